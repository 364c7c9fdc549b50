#!/usr/bin/env bash
# SQLite page size (issue 21.8): one crawl of the generated site per page size, 4 KiB and
# 64 KiB, in the same run, printing beside each other the crawl rate (pages/s) and what
# the server wrote to disk (/proc/PID/io write_bytes, per crawled page), plus the database
# and WAL sizes. Trawl creates new databases with 64 KiB pages (store/sqlite.rs); this
# bench pre-creates the file with the other size (an existing file keeps its page size).
# Not run in CI.
#
# usage: bench/sqlite_pages/run.sh [PAGES] [CONCURRENCY]
# BENCH_BIN=path uses that binary instead of building the release one. Serves the site
# with nginx when installed, else with python3's threaded http.server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bench/lib.sh"
pages="${1:-1000}"
conc="${2:-32}"
out="$root/bench/out/sqlite_pages"
site="/tmp/trawl-bench-site-$pages"
peer_dir="$root/../shared/bench"
[ -f "$peer_dir/v2_crawl_bench.py" ] || peer_dir="/work/shared/bench"
mkdir -p "$out"
bench_site "$site" "$pages"
if [ -n "${BENCH_BIN:-}" ]; then bin="$BENCH_BIN"; else bench_build; fi
site_port=18491
if command -v nginx >/dev/null; then
  bench_nginx "$site_port" "$site" "$out"
else
  (cd "$site" && exec python3 -m http.server "$site_port" --bind 127.0.0.1 >/dev/null 2>&1) &
  pids+=($!)
  bench_wait "http://127.0.0.1:$site_port/robots.txt"
fi
api_port=18492
export TRAWL_CRAWL_CONCURRENCY="$conc" TRAWL_CRAWL_HOST_CONCURRENCY="$conc"
for size in 4096 65536; do
  data="$(mktemp -d)"
  export TRAWL_DATA_DIR="$data" TRAWL_DATABASE_URL="sqlite://$data/trawl.db"
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA page_size=$size'); c.execute('PRAGMA journal_mode=WAL'); c.close()" "$data/trawl.db"
  bench_trawl "$api_port" "$out/trawl-$size.log"
  got="$(sqlite3 "$data/trawl.db" 'PRAGMA page_size')"
  before="$(awk '/^write_bytes/ {print $2}' /proc/$trawl_pid/io)"
  python3 "$peer_dir/v2_crawl_bench.py" "http://127.0.0.1:$api_port" "http://127.0.0.1:$site_port" \
    "$site/manifest.json" "$pages" $key > "$out/crawl-$size.txt"
  after="$(awk '/^write_bytes/ {print $2}' /proc/$trawl_pid/io)"
  rate="$(sed -n 's/.*pages_per_s=\([0-9.]*\).*/\1/p' "$out/crawl-$size.txt")"
  wal="$(stat -c %s "$data/trawl.db-wal" 2>/dev/null || echo 0)"
  db="$(stat -c %s "$data/trawl.db")"
  echo "page_size=$got pages_per_s=$rate written_kb_per_page=$(( (after - before) / 1024 / pages )) db_mb=$(( db / 1048576 )) wal_mb=$(( wal / 1048576 ))"
  bench_stop "$trawl_pid"
  rm -rf "$data"
done
