#!/usr/bin/env bash
# Crawl throughput: a 5,000-page generated site served by nginx on loopback, crawled
# through Trawl's Firecrawl-compatible API (SQLite, Markdown + metadata stored, robots
# obeyed), then by the Scrapy peer in the same run. Not run in CI.
#
# usage: bench/crawl/run.sh [PAGES] [CONCURRENCY] [ROUNDS]
# ROUNDS (default 3) service crawls, each on a fresh database, are printed one by one and
# then as their median beside Scrapy's figure: this machine's speed drifts from minute to
# minute, so one run is a poor figure.
# needs: nginx (apt-get install nginx-light), python3; Scrapy is installed into
# bench/out/venv from PyPI on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bench/lib.sh"
pages="${1:-5000}"
conc="${2:-64}"
rounds="${3:-3}"
out="$root/bench/out/crawl"
site="/tmp/trawl-bench-site-$pages"
peer_dir="$root/../shared/bench"
[ -f "$peer_dir/v2_crawl_bench.py" ] || peer_dir="/work/shared/bench"
mkdir -p "$out"

bench_site "$site" "$pages"
bench_build
site_port=18471
bench_nginx "$site_port" "$site" "$out"

# Trawl on SQLite, each round in a fresh data directory.
api_port=18472
export TRAWL_CRAWL_CONCURRENCY="$conc" TRAWL_CRAWL_HOST_CONCURRENCY="$conc"
rates=()
echo "== trawl: POST /v2/crawl, $pages pages, concurrency $conc, SQLite, $rounds rounds"
for round in $(seq 1 "$rounds"); do
  data="$(mktemp -d)"
  export TRAWL_DATA_DIR="$data"
  bench_trawl "$api_port" "$out/trawl.log"
  python3 "$peer_dir/v2_crawl_bench.py" "http://127.0.0.1:$api_port" "http://127.0.0.1:$site_port" \
    "$site/manifest.json" "$pages" $key | tee "$out/trawl-$round.txt"
  echo "trawl peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$trawl_pid/status)"
  rates+=("$(sed -n 's/.*pages_per_s=\([0-9.]*\).*/\1/p' "$out/trawl-$round.txt")")
  bench_stop "$trawl_pid"
  rm -rf "$data"
done
median="$(printf '%s\n' "${rates[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.1f", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')"

echo "== trawl crawl (CLI, no database)"
TRAWL_DATA_DIR="$(mktemp -d)" "$bin" crawl "http://127.0.0.1:$site_port/p/0.html" --limit "$pages" \
  --entire-domain --sitemap skip --concurrency "$conc" --out /dev/null 2>&1 | tail -n 1

echo "== peer: Scrapy, 32 concurrent"
if [ ! -x "$out/venv/bin/scrapy" ]; then
  python3 -m venv "$out/venv" && "$out/venv/bin/pip" install -q scrapy
fi
"$out/venv/bin/python" "$peer_dir/scrapy_crawl.py" "http://127.0.0.1:$site_port" "$out/scrapy.jsonl" 32 \
  | tee "$out/scrapy.txt"
scrapy="$(sed -n 's/.*= \([0-9.]*\) pages\/s.*/\1/p' "$out/scrapy.txt" | tail -n 1)"
echo "== trawl median of $rounds rounds: $median pages/s (rounds: ${rates[*]}); Scrapy $scrapy pages/s;" \
  "ratio $(awk -v a="$median" -v b="$scrapy" 'BEGIN {printf "%.1f", a/b}')x"
