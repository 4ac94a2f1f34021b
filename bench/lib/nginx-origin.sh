# Sourced by bench scripts (after scratch.sh). nginx_origin PORT [DIRECTIVES]: the origin a proxy
# benchmark forwards to, one nginx worker on 127.0.0.1:PORT serving $W/www, where index.html is 612
# bytes (the size of nginx's welcome page: a small answer); a script adds its own files there. Keep-alive
# without a request limit, no access log. DIRECTIVES go into its http block: "sendfile on; tcp_nopush on;"
# where a script wants the body sent as one corked sendfile. Its pid is appended to PIDS.
nginx_origin() {
  mkdir -p "$W/www"; head -c 612 /dev/zero | tr '\0' 'x' > "$W/www/index.html"
  cat > "$W/backend.conf" <<C
daemon off; worker_processes 1; pid $W/backend.pid; error_log $W/backend.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; ${2:-}
  server { listen 127.0.0.1:$1 reuseport; root $W/www; } }
C
  nginx -c "$W/backend.conf" & PIDS+=($!)
}
