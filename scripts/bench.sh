#!/usr/bin/env bash
# Benchmarks (measured, never asserted): installs what is missing, builds the wasm package
# and the release CLI, then runs benches/run.mjs, which prints a Markdown table and writes
# benches/results.json.   bash scripts/bench.sh [--updates N] [--hours H]
# First the transfer benchmark (benches/transfer.mjs: bytes on the wire for a first,
# second and offline visit; not affected by machine load). --transfer-only runs just that.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
transfer_only=0 args=()
for arg in "$@"; do
  if [ "$arg" = --transfer-only ]; then transfer_only=1; else args+=("$arg"); fi
done
bash scripts/setup.sh --browser
# What the benchmarks compare against (onnxruntime-web, Meyda): kept out of the test deps.
if [ "$transfer_only" = 0 ] && { [ ! -d benches/node_modules/onnxruntime-web ] || [ benches/package-lock.json -nt benches/node_modules/.package-lock.json ]; }; then
  npm ci --prefix benches --no-audit --no-fund
fi
bash scripts/build-wasm.sh
node benches/transfer.mjs
[ "$transfer_only" = 1 ] && exit 0
cargo build --release --quiet
node benches/run.mjs "${args[@]}"
node benches/personal.mjs
