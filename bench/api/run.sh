#!/usr/bin/env bash
# bench/api: the API figures of the issue, each printed beside its target. Not run in CI.
#  1. POST /v2/scrape latency, sequential, on a ~30 KB page of the generated site served
#     by nginx on loopback (markdown, main content), with the peer script's numbers.
#  2. Full-text search over 100,000 documents (GET /api/v1/documents?q=…), sequential,
#     p50/p99 over varied queries, on SQLite and on PostgreSQL.
#  3. JSONL export of the 100,000 documents: MB/s and the server's peak RSS meanwhile.
#
# usage: bench/api/run.sh [SCRAPES] [DOCUMENTS] [sqlite,postgres]
# needs: nginx (apt-get install nginx-light), python3, and for PostgreSQL psql and
# TRAWL_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); the
# bench creates its own database there (trawl_bench_api).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bench/lib.sh"
n="${1:-2000}"
docs="${2:-100000}"
backends="${3-sqlite,postgres}"  # "" runs the scrape part alone
out="$root/bench/out/api"
peer_dir="$root/../shared/bench"
[ -f "$peer_dir/v2_scrape_latency.py" ] || peer_dir="/work/shared/bench"
mkdir -p "$out"

site="/tmp/trawl-bench-site-5000"
bench_site "$site" 5000
# The documents: 5,000 pages of ~8 KB of article text (a typical page's main content),
# each stored under 20 URLs.
doc_site="/tmp/trawl-bench-site-docs-5000"
bench_site "$doc_site" 5000 8
bench_build

site_port=18481
api_port=18482
bench_nginx "$site_port" "$site" "$out"

if [ "$n" -gt 0 ]; then
  data="$(mktemp -d)"
  TRAWL_DATA_DIR="$data" bench_trawl "$api_port" "$out/trawl.log"
  echo "== POST /v2/scrape, $n sequential requests (target: p50 ≤ 2 ms, p99 ≤ 5 ms)"
  python3 "$peer_dir/v2_scrape_latency.py" "http://127.0.0.1:$api_port" "http://127.0.0.1:$site_port" "$n" "$key"
  bench_stop "$trawl_pid"
  rm -rf "$data"
fi

# The seeded databases are kept in bench/out/api (SQLite) and in the database
# trawl_bench_api (PostgreSQL) and reused by the next run; BENCH_API_RESEED=1 seeds anew.
pg_admin="${TRAWL_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_db="trawl_bench_api"
for backend in ${backends//,/ }; do
  data="$out/data-$backend"
  marker="$data/seeded-$docs"
  if [ "${BENCH_API_RESEED:-0}" = 1 ] || [ ! -f "$marker" ]; then
    rm -rf "$data"
    [ "$backend" = postgres ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" \
      -c "CREATE DATABASE $pg_db"
  fi
  mkdir -p "$data"
  export TRAWL_DATA_DIR="$data"
  if [ "$backend" = postgres ]; then
    export TRAWL_DATABASE_URL="${pg_admin%/*}/$pg_db"
  else
    unset TRAWL_DATABASE_URL
  fi
  if [ ! -f "$marker" ]; then
    echo "== $backend: seeding $docs documents"
    "$bin" bench-seed-documents --site "$doc_site" --count "$docs" 2>/dev/null
    # What autovacuum would do a little later: planner statistics for the new rows.
    [ "$backend" = postgres ] && psql -q "$TRAWL_DATABASE_URL" -c "ANALYZE documents"
    touch "$marker"
  fi
  bench_trawl "$api_port" "$out/trawl-$backend.log"
  echo "== $backend: search and export over $docs documents (targets: search p50 ≤ 10 ms; export ≥ 50 MB/s, RSS ≤ 100 MB)"
  python3 "$here/search_export.py" "http://127.0.0.1:$api_port" "$key" "$trawl_pid" "$docs"
  bench_stop "$trawl_pid"
done
