#!/usr/bin/env bash
# Extraction on one core: throughput beside htmd on a generated site, then main-content
# quality (token F1) and throughput on the corpus beside trafilatura, same pages, same run.
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

# trafilatura from PyPI, pinned, in a venv beside the build.
venv="$CARGO_TARGET_DIR/venv"
if ! "$venv/bin/python" -c 'import trafilatura' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q trafilatura==2.0.0 lxml_html_clean==0.4.6
fi
corpus="$root/crates/trawl-extract/tests/corpus/pages"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo
"$venv/bin/python" "$here/trafilatura_corpus.py" "$corpus" "$out" "$rounds"
cargo run --release -q -p trawl-extract --example corpus_bench -- "$rounds" "trafilatura=$out"
