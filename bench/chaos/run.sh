#!/usr/bin/env bash
# The chaos suite (issue 21): kill experiments on the queue, each printing its figures and
# a PASS/FAIL line. Loopback only; every process killed is one this suite started.
# Not run in CI (its short Rust equivalents are `jobs_process::a_sigkilled_*` in the api
# tests); run by hand:
#
#   bench/chaos/run.sh                  # both kill experiments
#   TRAWL_BIN=path/to/trawl KILLS=10 JOBS=400 bench/chaos/run.sh
#
# needs: python3, psql and a PostgreSQL at TRAWL_CHAOS_PG (default
# postgres://postgres@127.0.0.1:5432/postgres) where a scratch database may be created.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ -z "${TRAWL_BIN:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
  (cd "$root" && cargo build --release -q -p trawl)
  export TRAWL_BIN="$CARGO_TARGET_DIR/release/trawl"
fi
admin="${TRAWL_CHAOS_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
db="trawl_chaos_$$"
psql -X -q "$admin" -c "CREATE DATABASE $db"
trap 'psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
status=0
python3 "$here/kill.py" worker-pg "${admin%/*}/$db" || status=1
python3 "$here/kill.py" server-sqlite || status=1
exit $status
