#!/usr/bin/env bash
# Queue figures: trawl on SQLite and PostgreSQL beside Celery 5 + Redis, in one run.
#   - throughput: N no-op jobs, enqueue → completed (bulk enqueue, batched claims/completes)
#   - latency: enqueue → handler start on an idle queue (p50/p90/p99)
#   - bloat: throughput again with BLOAT finished jobs in the table (partial indexes)
# usage: bench/queue/run.sh [JOBS=100000] [BLOAT=1000000] [CELERY_JOBS=10000]
# Needs PostgreSQL (TRAWL_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres)
# and Redis on 127.0.0.1:6379 for Celery (`pip install celery redis`). Not run in CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jobs="${1:-100000}"
bloat="${2:-1000000}"
celery_jobs="${3:-10000}"
pg_admin="${TRAWL_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
peer_dir="$root/../shared/bench"
[ -f "$peer_dir/celery_bench.py" ] || peer_dir="/work/shared/bench"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -q -p trawl)
bin="$CARGO_TARGET_DIR/release/trawl"

work="$(mktemp -d)"
pg_db="trawl_bench_$$"
celery_pid=""
cleanup() {
    [ -n "$celery_pid" ] && kill "$celery_pid" 2>/dev/null && wait "$celery_pid" 2>/dev/null
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
out="$work/results.txt"

run_trawl() {
    env -i PATH="$PATH" \
        TRAWL_LOG=error TRAWL_DATA_DIR="$work" TRAWL_DATABASE_URL="$1" \
        TRAWL_DATABASE_POOL_SIZE="${TRAWL_BENCH_POOL:-16}" \
        TRAWL_JOBS_CONCURRENCY="${TRAWL_BENCH_CONCURRENCY:-1000}" \
        TRAWL_JOBS_BATCH_SIZE="${TRAWL_BENCH_BATCH:-500}" \
        "$bin" bench-queue --jobs "$jobs" --bloat "$bloat" | tee -a "$out"
}

echo "== trawl, SQLite (WAL file)"
run_trawl "sqlite://$work/bench.db"

echo "== trawl, PostgreSQL"
psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null
pg_url="$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$pg_admin" "$pg_db")"
run_trawl "$pg_url"

echo "== peer: Celery + Redis (worker -c 2 prefork, as its header says)"
redis-cli -n 1 flushdb >/dev/null
redis-cli -n 2 flushdb >/dev/null
(cd "$peer_dir" && exec celery -A celery_bench worker -c 2 -P prefork --without-gossip \
    --without-mingle -l warning >"$work/celery.log" 2>&1) &
celery_pid=$!
sleep 4
(cd "$peer_dir" && python3 celery_bench.py "$celery_jobs") | tee -a "$out"

echo
echo "== side by side (enqueue → completed, no-op jobs)"
grep -E "jobs/s" "$out" | grep -v "finished jobs in the table" | sed -E 's/^/  /'
echo "== latency and bloat"
grep -E "latency|finished jobs in the table" "$out" | sed -E 's/^/  /'
