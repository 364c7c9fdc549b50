#!/usr/bin/env bash
# Crawl throughput: a 5,000-page generated site served by nginx on loopback, crawled
# through Trawl's Firecrawl-compatible API (SQLite, Markdown + metadata stored, robots
# obeyed), then by the Scrapy peer in the same run. Not run in CI.
#
# usage: bench/crawl/run.sh [PAGES] [CONCURRENCY]
# needs: nginx (apt-get install nginx-light), python3; Scrapy is installed into
# bench/out/venv from PyPI on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pages="${1:-5000}"
conc="${2:-64}"
out="$root/bench/out/crawl"
site="/tmp/trawl-bench-site-$pages"
peer_dir="$root/../shared/bench"
[ -f "$peer_dir/v2_crawl_bench.py" ] || peer_dir="/work/shared/bench"
mkdir -p "$out"

command -v nginx >/dev/null || { echo "nginx is needed: apt-get install -y nginx-light" >&2; exit 1; }
[ -f "$site/manifest.json" ] || python3 "$root/bench/site/mksite.py" "$site" --pages "$pages" >/dev/null

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -q -p trawl)
bin="$CARGO_TARGET_DIR/release/trawl"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# nginx on a free loopback port, in the foreground of its own process.
site_port=18471
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
  server { listen 127.0.0.1:$site_port; root $site; index index.html; }
}
CONF
nginx -c "$out/nginx.conf" -p "$out" &
pids+=($!)

# Trawl on SQLite in a fresh data directory.
data="$(mktemp -d)"
api_port=18472
export TRAWL_DATA_DIR="$data" TRAWL_BIND="127.0.0.1:$api_port" TRAWL_FETCH_ALLOW="127.0.0.0/8" \
  TRAWL_CRAWL_CONCURRENCY="$conc" TRAWL_CRAWL_HOST_CONCURRENCY="$conc" TRAWL_LOG=warn \
  TRAWL_RATE_LIMIT_ENABLED=false
"$bin" migrate up >/dev/null 2>&1 || true
key="$("$bin" keys create --team default --name bench 2>/dev/null || true)"
"$bin" serve > "$out/trawl.log" 2>&1 &
trawl_pid=$!
pids+=($trawl_pid)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$api_port/health/ready" >/dev/null && break; sleep 0.05; done
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$site_port/robots.txt" >/dev/null && break; sleep 0.05; done

echo "== trawl: POST /v2/crawl, $pages pages, concurrency $conc, SQLite"
python3 "$peer_dir/v2_crawl_bench.py" "http://127.0.0.1:$api_port" "http://127.0.0.1:$site_port" \
  "$site/manifest.json" "$pages" $key | tee "$out/trawl.txt"
echo "trawl peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$trawl_pid/status)"
rm -rf "$data"

echo "== trawl crawl (CLI, no database)"
TRAWL_DATA_DIR="$(mktemp -d)" "$bin" crawl "http://127.0.0.1:$site_port/p/0.html" --limit "$pages" \
  --entire-domain --sitemap skip --concurrency "$conc" --out /dev/null 2>&1 | tail -n 1

echo "== peer: Scrapy, 32 concurrent"
if [ ! -x "$out/venv/bin/scrapy" ]; then
  python3 -m venv "$out/venv" && "$out/venv/bin/pip" install -q scrapy
fi
"$out/venv/bin/python" "$peer_dir/scrapy_crawl.py" "http://127.0.0.1:$site_port" "$out/scrapy.jsonl" 32
