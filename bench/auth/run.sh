#!/usr/bin/env bash
# Auth figures: API-key-authenticated GET /api/v1/jobs/{id} under wrk -t2 -c32 -d10s, and
# /health/live p99 while 50 clients log in (argon2id) at once. Not part of CI (~30 s,
# wants an idle machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p trawl --quiet
python3 bench/auth/bench.py "${CARGO_TARGET_DIR:-target}/release/trawl"
