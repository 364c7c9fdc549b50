#!/usr/bin/env bash
# Runs schemathesis against a real Trawl, both inside the network namespace this script
# is started in (tests/api/openapi.rs starts it with `unshare --net`): the namespace has
# only a loopback interface, so whatever URL schemathesis makes the fetcher try, nothing
# leaves the machine. Usage: run-schemathesis.sh TRAWL ST DATA_DIR REPORT_DIR [ST_ARGS...]
set -euo pipefail
trawl=$1 st=$2 data=$3 report=$4
shift 4

ip link set lo up
export TRAWL_DATA_DIR="$data" TRAWL_BIND=127.0.0.1:3002 TRAWL_RATE_LIMIT_ENABLED=false \
  TRAWL_FETCH_TIMEOUT_MS=2000 TRAWL_LOG=warn TRAWL_LOG_FORMAT=json
unset TRAWL_REDIS_URL TRAWL_DATABASE_URL TRAWL_FETCH_ALLOW
"$trawl" migrate up >/dev/null
# An instance admin, so that the admin-only operations are exercised too.
password="schemathesis $(date +%s%N) passphrase"
printf '%s\n' "$password" |
  "$trawl" users create-admin --email schemathesis@example.com --password-stdin >/dev/null

"$trawl" serve >"$report/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:3002/health/ready >/dev/null 2>&1 && break
  sleep 0.1
done

# A 15-minute access token outlasts the run.
token=$(curl -fsS http://127.0.0.1:3002/api/v1/auth/token -H 'Content-Type: application/json' \
  -d "{\"email\":\"schemathesis@example.com\",\"password\":\"$password\"}" |
  sed -E 's/.*"access_token":"([^"]+)".*/\1/')

"$st" run http://127.0.0.1:3002/openapi.json \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --generation-with-security-parameters false \
  --generation-database none \
  --no-color \
  --report junit --report-dir "$report" \
  "$@"
