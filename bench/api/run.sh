#!/usr/bin/env bash
# POST /v2/scrape latency, sequential, on a ~30 KB page of the generated site served by
# nginx on loopback (markdown, main content). Not run in CI.
#
# usage: bench/api/run.sh [REQUESTS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
n="${1:-2000}"
out="$root/bench/out/api"
site="/tmp/trawl-bench-site-5000"
peer_dir="$root/../shared/bench"
[ -f "$peer_dir/v2_scrape_latency.py" ] || peer_dir="/work/shared/bench"
mkdir -p "$out"
command -v nginx >/dev/null || { echo "nginx is needed: apt-get install -y nginx-light" >&2; exit 1; }
[ -f "$site/manifest.json" ] || python3 "$root/bench/site/mksite.py" "$site" --pages 5000 >/dev/null

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -q -p trawl)
bin="$CARGO_TARGET_DIR/release/trawl"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

site_port=18481
cat > "$out/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  types { text/html html; }
  server { listen 127.0.0.1:$site_port; root $site; }
}
CONF
nginx -c "$out/nginx.conf" -p "$out" &
pids+=($!)

data="$(mktemp -d)"
api_port=18482
# Throughput, not the rate limiter (bench/edge measures that): limits off.
export TRAWL_DATA_DIR="$data" TRAWL_BIND="127.0.0.1:$api_port" TRAWL_FETCH_ALLOW="127.0.0.0/8" TRAWL_LOG=warn \
  TRAWL_RATE_LIMIT_ENABLED=false
"$bin" migrate up >/dev/null 2>&1
key="$("$bin" keys create --team default --name bench 2>/dev/null)"
"$bin" serve > "$out/trawl.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$api_port/health/ready" >/dev/null && break; sleep 0.05; done
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$site_port/p/1.html" >/dev/null && break; sleep 0.05; done

echo "== trawl: POST /v2/scrape, $n sequential requests"
python3 "$peer_dir/v2_scrape_latency.py" "http://127.0.0.1:$api_port" "http://127.0.0.1:$site_port" "$n" "$key"
rm -rf "$data"
