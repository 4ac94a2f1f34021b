#!/usr/bin/env bash
# bench/h2-ab.sh A_BINARY B_BINARY [ROUNDS]: two stoep binaries side by side behind TLS + ALPN h2, each in front
# of one origin nginx (1 worker: /small 13 B, /big 100 KB), interleaved rounds of h2load -c 8 -m 32 (n=40000 small,
# 8000 big); req/s and the proxy's CPU µs per request (utime+stime from /proc/PID/stat). Loopback only; ports
# 19391-19394; stops only what it started.
set -u
A=$1; B=$2; ROUNDS=${3:-3}
WD=$(mktemp -d); chmod 755 $WD
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $WD/key.pem -out $WD/cert.pem -days 2 -subj /CN=bench.test -addext 'subjectAltName=DNS:bench.test,IP:127.0.0.1' >/dev/null 2>&1
mkdir -p $WD/www $WD/tmp; printf 'hello, bench\n' > $WD/www/small; head -c 102400 /dev/urandom > $WD/www/big; chmod -R a+rX $WD/www; chmod 777 $WD/tmp
cat > $WD/origin.conf <<C
user root;
worker_processes 1; pid $WD/origin.pid; error_log $WD/origin.err error;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $WD/tmp/ob; proxy_temp_path $WD/tmp/op; fastcgi_temp_path $WD/tmp/of; uwsgi_temp_path $WD/tmp/ou; scgi_temp_path $WD/tmp/os;
  keepalive_requests 1000000; keepalive_timeout 120s;
  server { listen 127.0.0.1:19391; root $WD/www; default_type application/octet-stream; } }
C
setsid nginx -c $WD/origin.conf -p $WD -g 'daemon off;' >/dev/null 2>&1 & OP=$!
i=0; PIDS=()
for bin in $A $B; do
  port=$((19393 + i)); i=$((i+1))
  cat > $WD/t$port.yml <<C
global: {checkNewVersion: false, sendAnonymousUsage: false}
entryPoints: {websecure: {address: "127.0.0.1:$port"}}
providers: {file: {filename: "$WD/d.yml"}}
C
  PORTS+=($port)
done
cat > $WD/d.yml <<C
http:
  routers: {all: {rule: 'PathPrefix(\`/\`)', service: origin, tls: {}}}
  services: {origin: {loadBalancer: {servers: [{url: "http://127.0.0.1:19391"}]}}}
tls:
  stores: {default: {defaultCertificate: {certFile: "$WD/cert.pem", keyFile: "$WD/key.pem"}}}
C
$A run --traefik-config $WD/t19393.yml --stats-socket $WD/a.sock >$WD/a.log 2>&1 & PA=$!
$B run --traefik-config $WD/t19394.yml --stats-socket $WD/b.sock >$WD/b.log 2>&1 & PB=$!
sleep 1
CLK=$(getconf CLK_TCK)
ticks() { local f; read -ra f <<<"$(cut -d')' -f2- /proc/$1/stat)"; echo $((f[11] + f[12])); }
for r in $(seq 1 $ROUNDS); do
  for body in small big; do
    n=40000; [ $body = big ] && n=8000
    for t in A:$PA:19393 B:$PB:19394; do
      IFS=: read name pid port <<<"$t"
      c0=$(ticks $pid)
      out=$(timeout 60 h2load -c 8 -m 32 -n $n https://127.0.0.1:$port/$body 2>&1)
      c1=$(ticks $pid)
      rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
      ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
      echo "round $r $body $name $rps req/s $(( (c1-c0)*1000000/CLK/ok )) us-cpu/req ok=$ok"
    done
  done
done
kill $PA $PB; kill -- -$OP 2>/dev/null; sleep 0.5; rm -rf $WD
