# Shared start-up for the benchmark scripts: sourced, not run. Builds the release binary,
# serves a generated site with nginx, starts Trawl on a fresh database, and stops all
# of it on exit. Every process started here is remembered in `pids` and killed by pid.
#
# Needs `root` (the repository) set by the caller.

pids=()
bench_cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap bench_cleanup EXIT

# Builds trawl in release mode and sets `bin`.
bench_build() {
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
  (cd "$root" && cargo build --release -q -p trawl)
  bin="$CARGO_TARGET_DIR/release/trawl"
}

# bench_site DIR PAGES [KB]: generates the site once.
bench_site() {
  local kb=()
  [ -n "${3:-}" ] && kb=(--kb "$3")
  [ -f "$1/manifest.json" ] || python3 "$root/bench/site/mksite.py" "$1" --pages "$2" "${kb[@]}" >/dev/null
}

# bench_nginx PORT ROOT OUT: serves ROOT on 127.0.0.1:PORT until exit.
bench_nginx() {
  local port="$1" site="$2" out="$3"
  command -v nginx >/dev/null || { echo "nginx is needed: apt-get install -y nginx-light" >&2; exit 1; }
  cat > "$out/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  types { text/html html; text/plain txt; application/xml xml; }
  server { listen 127.0.0.1:$port; root $site; index index.html; }
}
CONF
  nginx -c "$out/nginx.conf" -p "$out" &
  pids+=($!)
  bench_wait "http://127.0.0.1:$port/robots.txt"
}

# bench_wait URL: until URL answers 2xx (5 s at most).
bench_wait() {
  for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done
  echo "no answer from $1" >&2
  return 1
}

# bench_trawl PORT LOG: migrates the database the TRAWL_* environment names, creates an
# API key of the default team (`key`), serves on PORT with rate limits off (the benches
# measure throughput, bench/edge measures the limiter) and sets `trawl_pid`.
bench_trawl() {
  local port="$1" log="$2"
  export TRAWL_BIND="127.0.0.1:$port" TRAWL_FETCH_ALLOW="127.0.0.0/8" TRAWL_LOG="${TRAWL_LOG:-warn}" \
    TRAWL_RATE_LIMIT_ENABLED=false
  "$bin" migrate up >/dev/null 2>&1
  key="$("$bin" keys create --team default --name "bench-$RANDOM" 2>/dev/null)"
  "$bin" serve > "$log" 2>&1 &
  trawl_pid=$!
  pids+=($trawl_pid)
  bench_wait "http://127.0.0.1:$port/health/ready"
}

# bench_stop PID: stops one process this script started, waits for it and forgets it, so
# the exit trap never signals a later process that was given the same id.
bench_stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local kept=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  pids=("${kept[@]}")
}
