#!/usr/bin/env bash
# Extraction throughput on one core: trawl-extract beside htmd, same pages, same run.
# usage: bench/extract/run.sh [PAGES] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pages="${1:-5000}"
rounds="${2:-3}"
site="/tmp/trawl-bench-site-$pages"
mksite="$root/bench/site/mksite.py"
if [ ! -f "$site/manifest.json" ]; then
    python3 "$mksite" "$site" --pages "$pages"
fi
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo run --release -q -p trawl-extract --example extract_bench -- "$site" "$rounds"
