# Sourced by bench scripts. haproxy_http_config NBTHREAD BIND BACKEND_PORT: prints the HAProxy peer's
# configuration for HTTP benchmarks: `mode http`, keep-alive on both sides (`http-reuse always` to one
# server, 127.0.0.1:BACKEND_PORT), generous timeouts. BIND is the whole `bind` line's argument, e.g.
# "127.0.0.1:19201 ssl crt $W/haproxy.pem alpn http/1.1" to terminate TLS.
haproxy_http_config() {
  cat <<C
global
  nbthread $1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend f
  bind $2
  default_backend b
backend b
  http-reuse always
  server s1 127.0.0.1:$3
C
}
