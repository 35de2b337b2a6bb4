#!/usr/bin/env bash
# Where a stream update's time goes, by stage (resampling, MFCC, trunk, head, the rest) and
# by function: builds the SIMD wasm module with function names (scripts/build-wasm.sh
# --profile, into target/profile-pkg) and profiles updates in Node (benches/profile-update.mjs,
# writes benches/profile.json). Shares, not timings; run it on a quiet machine all the same.
#   bash scripts/profile-update.sh [--updates N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build-wasm.sh --profile
node benches/profile-update.mjs "$@"
