#!/usr/bin/env bash
# Builds the WebAssembly package once into www/pkg (used by the demo, the e2e tests and
# the benchmarks). SIMD is compile-time only in tract, so it is switched on here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUSTFLAGS="-C target-feature=+simd128" \
  wasm-pack build --target web --release --out-dir www/pkg --out-name speech_emotion --no-pack \
  . --no-default-features
ls -l www/pkg/*.wasm
