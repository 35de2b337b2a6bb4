#!/usr/bin/env bash
# Benchmarks (measured, never asserted): installs what is missing, builds the wasm package
# and the release CLI, then runs benches/run.mjs, which prints a Markdown table and writes
# benches/results.json.   bash scripts/bench.sh [--updates N] [--hours H]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh --browser
bash scripts/build-wasm.sh
cargo build --release --quiet
node benches/run.mjs "$@"
