#!/usr/bin/env bash
# Installs whatever this project needs and is missing. Safe to run again: each step checks
# first and does nothing when it is already satisfied. Sourced by demo.sh and test.sh.
#   bash scripts/setup.sh [--browser] [--python] [--python-package] [--checks] [--engines]
# Without options: what the demo needs (Rust's wasm target, wasm-bindgen-cli, npm packages with wasm-opt).
# --checks adds the test command's tools (cargo-deny).
# --python-package adds .venv-python (maturin, numpy, pytest, mypy, Ray Data): the Python package's build and tests.
# --engines adds Firefox ESR and WebKitGTK with their WebDriver servers (tests/engines/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Each step's time, so a slow install shows where it is (the README lists fresh-machine times).
step_start=$(date +%s)
timed() { echo "   (took $(( $(date +%s) - step_start )) s)"; step_start=$(date +%s); }
have() { command -v "$1" >/dev/null 2>&1; }
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

want_browser=0 want_python=0 want_python_package=0 want_checks=0 want_engines=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --python) want_python=1 ;;
    --python-package) want_python_package=1 ;;
    --checks) want_checks=1 ;;
    --engines) want_engines=1 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && { echo "apt packages present: $*"; return; }
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing ${missing[*]} (apt)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

step "Rust wasm32 target"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "present"
else
  rustup target add wasm32-unknown-unknown
fi
timed

step "wasm-bindgen-cli (must equal the wasm-bindgen version in Cargo.lock; scripts/build-wasm.sh and the wasm tests run it)"
[ -f Cargo.lock ] || cargo generate-lockfile
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if have wasm-bindgen && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$bindgen_version" ]; then
  echo "wasm-bindgen $bindgen_version present"
else
  # Without --locked: the CLI's own lockfile pins a yanked crate.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi
timed

step "npm packages (package-lock.json: binaryen's wasm-opt for the build; playwright-core, vite, typescript for the tests)"
if [ -x node_modules/.bin/wasm-opt ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "node_modules up to date"
else
  npm ci --no-audit --no-fund
fi
timed

if [ "$want_checks" = 1 ]; then
  step "cargo-deny (licence, ban and source checks of the dependency tree)"
  if have cargo-deny && [ "$(cargo deny --version | awk '{print $2}')" = "0.20.2" ]; then
    echo "cargo-deny 0.20.2 present"
  else
    # --debug: it checks this small tree in about a second either way, and an unoptimised
    # build installs in 76 s instead of 192 s on 2 idle cores (measured 2026-12-03).
    cargo install --locked --debug cargo-deny --version 0.20.2
  fi
  timed
fi

if [ "$want_browser" = 1 ]; then
  step "Chromium and ChromeDriver (Debian packages; nothing is downloaded by the test tools)"
  apt_install chromium chromium-driver
  timed
  step "sox and GNU time (the browser tests convert a shared clip to a 44.1 kHz stereo WAV; the benchmark measures the CLI's peak memory)"
  apt_install sox time
  timed
fi

if [ "$want_engines" = 1 ]; then
  step "Firefox ESR, PulseAudio (its audio output), WebKitGTK's WebDriver and MiniBrowser, Xvfb (Debian packages)"
  apt_install firefox-esr pulseaudio webkit2gtk-driver xvfb
  timed
  step "geckodriver (Firefox's WebDriver server)"
  if have geckodriver && [ "$(geckodriver --version | awk 'NR == 1 {print $2}')" = "0.37.1" ]; then
    echo "geckodriver 0.37.1 present"
  else
    # --debug, as for cargo-deny: it only relays WebDriver calls; 69 s instead of 133 s.
    cargo install --locked --debug geckodriver --version 0.37.1
  fi
  timed
fi

if [ "$want_python" = 1 ]; then
  step "Python test environment (.venv-test: numpy, librosa, soundfile, pytest)"
  if [ ! -x .venv-test/bin/python ]; then python3 -m venv .venv-test; fi
  stamp=.venv-test/.requirements-installed
  if [ -f "$stamp" ] && cmp -s "$stamp" training/requirements-test.txt; then
    echo "present"
  else
    .venv-test/bin/pip install -q -r training/requirements-test.txt
    cp training/requirements-test.txt "$stamp"
  fi
  timed
fi

if [ "$want_python_package" = 1 ]; then
  step "Python package environment (.venv-python: maturin, numpy, pytest, mypy, ray[data], pyarrow; all from PyPI)"
  if [ ! -x .venv-python/bin/python ]; then python3 -m venv .venv-python; fi
  stamp=.venv-python/.requirements-installed
  if [ -f "$stamp" ] && cmp -s "$stamp" python/requirements-test.txt; then
    echo "present"
  else
    .venv-python/bin/pip install -q -r python/requirements-test.txt
    cp python/requirements-test.txt "$stamp"
  fi
  timed
fi
