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
. "$root/bench/lib.sh"
pages="${1:-5000}"
conc="${2:-64}"
out="$root/bench/out/crawl"
site="/tmp/trawl-bench-site-$pages"
peer_dir="$root/../shared/bench"
[ -f "$peer_dir/v2_crawl_bench.py" ] || peer_dir="/work/shared/bench"
mkdir -p "$out"

bench_site "$site" "$pages"
bench_build
site_port=18471
bench_nginx "$site_port" "$site" "$out"

# Trawl on SQLite in a fresh data directory.
data="$(mktemp -d)"
api_port=18472
export TRAWL_DATA_DIR="$data" TRAWL_CRAWL_CONCURRENCY="$conc" TRAWL_CRAWL_HOST_CONCURRENCY="$conc"
bench_trawl "$api_port" "$out/trawl.log"

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
