#!/usr/bin/env bash
# README command 1: install what is missing, build the wasm package and serve the demo page
# on http://localhost:${PORT:-8080}.
#   bash scripts/demo.sh           build, then serve until Ctrl-C
#   bash scripts/demo.sh --check   build, serve on a free port, fetch the page and a wasm
#                                  module from the server, stop (.ci/run runs this first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: bash scripts/demo.sh [--check]" >&2; exit 2 ;;
esac
t0=$(date +%s)
bash scripts/setup.sh
t1=$(date +%s)
bash scripts/build-wasm.sh
t2=$(date +%s)
echo; echo "set-up $((t1 - t0)) s, wasm build $((t2 - t1)) s"
if [ $check = 1 ]; then
  exec node scripts/demo-check.mjs www
fi
echo "Open http://localhost:${PORT:-8080}/ (Ctrl-C stops the server)"
exec node scripts/serve.mjs www "${PORT:-8080}"
