#!/usr/bin/env bash
# README command 1: install what is missing, build the wasm package and the CLI, and serve
# the demo page on http://localhost:${PORT:-8080}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build-wasm.sh
echo; echo "== native CLI (target/release/speech-emotion)"
cargo build --release --quiet
echo; echo "Open http://localhost:${PORT:-8080}/ (Ctrl-C stops the server)"
exec node scripts/serve.mjs www "${PORT:-8080}"
