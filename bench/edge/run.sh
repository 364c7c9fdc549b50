#!/usr/bin/env bash
# Edge protection figures. Not run in CI.
#  1. the in-memory limiter's own cost per check (examples/limiter_overhead.rs; target <= 2 µs);
#  2. API-key-authenticated GET /api/v1/auth/me under `wrk -t2 -c32 -d10s`, with
#     the limiter off, in memory, and in Redis (target >= 15,000 req/s with Redis).
#     The budget is raised far above the load so every request is counted and allowed.
#
# usage: bench/edge/run.sh            (needs wrk and a Redis at TRAWL_BENCH_REDIS_URL,
#                                      default redis://127.0.0.1:6379)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
redis_url="${TRAWL_BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
duration="${TRAWL_BENCH_DURATION:-10s}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -q -p trawl --bin trawl --example limiter_overhead)
bin="$CARGO_TARGET_DIR/release/trawl"

echo "== 1. in-memory limiter, per check"
"$CARGO_TARGET_DIR/release/examples/limiter_overhead"

data="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
port=18491
export TRAWL_DATA_DIR="$data" TRAWL_BIND="127.0.0.1:$port" TRAWL_LOG=warn TRAWL_JOBS_IN_PROCESS=false
"$bin" migrate up >/dev/null 2>&1
key="$("$bin" keys create --team default --name bench 2>/dev/null)"

run() { # name, extra env...
  local name="$1"; shift
  env "$@" TRAWL_RATE_LIMIT_AUTHENTICATED=1000000000/min \
    TRAWL_RATE_LIMIT_REDIS_PREFIX="trawl-bench:$$:$name" "$bin" serve >"$data/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/live" >/dev/null && break; sleep 0.1; done
  # Warm-up, then the measured run.
  wrk -t2 -c32 -d2s -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/auth/me" >/dev/null
  echo "== $name: wrk -t2 -c32 -d$duration -H 'Authorization: Bearer <key>' /api/v1/auth/me"
  wrk -t2 -c32 -d"$duration" -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/auth/me" \
    | grep -E "Requests/sec|Latency|Non-2xx" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo
run limiter-off TRAWL_RATE_LIMIT_ENABLED=false
run memory TRAWL_RATE_LIMIT_ENABLED=true
run redis TRAWL_RATE_LIMIT_ENABLED=true TRAWL_REDIS_URL="$redis_url"
