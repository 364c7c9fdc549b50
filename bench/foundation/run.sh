#!/usr/bin/env bash
# Foundation figures. Not part of CI (it takes ~20 s and wants an idle machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p trawl --quiet
python3 bench/foundation/bench.py target/release/trawl "${1:-7}"
