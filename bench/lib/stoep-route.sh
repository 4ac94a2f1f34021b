# Sourced by the per-request benchmarks. stoep_route_config DIR PORT HOST BACKEND_PORT [ROUTER_EXTRA
# [DYNAMIC_TAIL]]: writes DIR/traefik.yml (entry point "web" on 127.0.0.1:PORT, the file provider on
# DIR/dyn.yml) and DIR/dyn.yml, the plain router they measure: Host(`HOST`) to a loadBalancer on
# 127.0.0.1:BACKEND_PORT. ROUTER_EXTRA goes into the router's map (", middlewares: [m]"), DYNAMIC_TAIL
# on a line of its own after the services (the middlewares' map).
stoep_route_config() {
  local d=$1 port=$2 host=$3 backend_port=$4 router_extra=${5:-} tail=${6:-}
  cat > "$d/traefik.yml" <<C
entryPoints: {web: {address: "127.0.0.1:$port"}}
providers: {file: {filename: "$d/dyn.yml"}}
C
  cat > "$d/dyn.yml" <<C
http:
  routers: {bench: {rule: "Host(\`$host\`)", service: b$router_extra}}
  services: {b: {loadBalancer: {servers: [{url: "http://127.0.0.1:$backend_port"}]}}}
$tail
C
}
