#!/usr/bin/env bash
# README command 2: every test. Installs what is missing first (see scripts/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# CI builds each crate once, so incremental caches only cost disk (CI ran out of it once).
export CARGO_INCREMENTAL=0
# Each section's time is printed at the end, so a slow suite shows before CI's limit does.
t0=$(date +%s) last=$t0 current="set-up (installs)" times=()
section() {
  local now; now=$(date +%s)
  times+=("$(printf '%5d s  %s' $((now - last)) "$current")")
  last=$now current="$*"
  printf '\n\033[1m==== %s\033[0m\n' "$*"
}

bash scripts/setup.sh --browser --python --python-package --checks --engines

section "Supply chain: cargo deny check licenses bans sources (advisories need GitHub: not reachable here)"
cargo deny check licenses bans sources

section "Rust: native tests of the engine and the CLI (cargo test)"
cargo test

section "Rust: the engine is publishable (cargo package with every included file; cargo doc)"
bash scripts/package-check.sh
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p speech-emotion --quiet

section "Rust: the wasm shell's tests in headless Chromium and Firefox (wasm-bindgen-test-runner)"
# cargo runs each wasm32 test binary through wasm-bindgen's test runner (installed with
# wasm-bindgen-cli), which drives the browser whose WebDriver server it is given, headless.
wasm_test() { # DRIVER_VARIABLE DRIVER_PATH
  env "$1=$2" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --locked --target wasm32-unknown-unknown -p speech-emotion-wasm
}
wasm_test CHROMEDRIVER "$(command -v chromedriver)"
# The same tests in Firefox ESR (the build above is reused; only the runner changes).
wasm_test GECKODRIVER "$(command -v geckodriver)"

section "Python: training feature tests (pytest)"
.venv-test/bin/python -m pytest training/tests -q
python3 training/model_card.py --check   # the model card's tables equal the metrics file
python3 training/personal_metadata.py emotion4 --check  # the metadata's personal block equals training/personal.py's
node scripts/bench-table.mjs --check      # the README's benchmark table equals benches/results.json
node benches/personal.mjs --check         # … and its personal-profile table benches/personal.json

section "Python package: wheel (maturin, dev profile) against the CLI, exceptions, stubs (mypy), Ray on a local two-node cluster (pytest)"
# The dev profile (optimised dependencies, no LTO) reuses `cargo test`'s build of every
# dependency (cli/Cargo.toml and python/Cargo.toml ask for the same features), so only
# pyo3, numpy and the package's own crate compile here.
(cd python && ../.venv-python/bin/maturin build --quiet --profile dev -i ../.venv-python/bin/python --out ../target/wheels)
.venv-python/bin/pip install -q --force-reinstall --no-deps "$(ls -t target/wheels/speech_emotion-*.whl | head -1)"
cargo build --quiet  # the tests compare the package with the native CLI
.venv-python/bin/python -m pytest python/tests -q
python3 benches/python.py --check  # the README's Python bench table equals benches/python.json

section "Browser: wasm package + end-to-end tests in Chromium (node --test)"
bash scripts/build-wasm.sh
cargo build --quiet  # the e2e tests compare the page with the native CLI
node --test tests/e2e/

section "Browser: Firefox ESR and WebKitGTK through WebDriver (node --test tests/engines/)"
node --test tests/engines/

section "done"
echo; printf '%s\n' "${times[@]}"
echo "all test suites passed in $(( $(date +%s) - t0 )) s"
