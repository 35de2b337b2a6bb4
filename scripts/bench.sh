#!/usr/bin/env bash
# Benchmarks (measured, never asserted): installs what is missing, builds the wasm package
# and the release CLI, then runs benches/run.mjs, which prints a Markdown table and writes
# benches/results.json.   bash scripts/bench.sh [--updates N] [--hours H]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh --browser
# What the benchmarks compare against (onnxruntime-web, Meyda): kept out of the test deps.
if [ ! -d benches/node_modules/onnxruntime-web ] || [ benches/package-lock.json -nt benches/node_modules/.package-lock.json ]; then
  npm ci --prefix benches --no-audit --no-fund
fi
bash scripts/build-wasm.sh
cargo build --release --quiet
node benches/run.mjs "$@"
