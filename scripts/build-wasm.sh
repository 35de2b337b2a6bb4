#!/usr/bin/env bash
# Builds the WebAssembly modules once into the npm package www/speech-emotion/ (pkg/ and
# pkg-scalar/; the demo page, the e2e tests and the benchmarks use them from there). SIMD is compile-time only in tract, so it is switched on here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# Size over speed for the download: opt-level "s" and no symbol names took the SIMD module
# from 17.3 MB (4.1 MB gzip) to 9.6 MB (2.5 MB gzip) at about the same per-update time
# (benches/run.mjs); "z" takes it from 10.23 MB / 1.73 MB brotli to 8.50 MB / 1.59 MB
# (benches/size-history.md) and costs about 0.2 ms per update (benches/results.json
# before and after, in git history).
# The hot numeric crates stay at -O3 (Cargo.toml). The native CLI keeps the O3 release profile.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_STRIP=true
# rustfft is patched to leave its wasm SIMD kernels out (Cargo.toml, vendor/README.md), so
# the scalar module holds no SIMD instruction and neither module carries unused FFT kernels.
# Panic locations name source files: without the build machine's registry and checkout
# paths (they said where the module was built, and cost 0.9 KB of brotli).
cargo fetch --locked --quiet
registry_src=$(dirname "$(cargo metadata --format-version 1 --locked --offline | python3 -c '
import json, sys
print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "tract-core"))')")
REMAP="--remap-path-prefix=$(dirname "$registry_src")/= --remap-path-prefix=$PWD/="
step_start=$(date +%s)
timed() { echo "   ($1: $(( $(date +%s) - step_start )) s)"; step_start=$(date +%s); }

# cargo + wasm-bindgen, the two steps wasm-pack ran (it is not needed, and installing it
# compiled ~200 crates): a release build of the shell for wasm32, then the JS bindings.
# The wasm-bindgen CLI must be the version in Cargo.lock (scripts/setup.sh installs it).
build() { # OUT_DIR TARGET_DIR RUSTFLAGS; sets $changed (0: the module was already built)
  changed=1
  CARGO_TARGET_DIR="$PWD/$2" RUSTFLAGS="$3 $REMAP" \
    cargo build --release --locked --target wasm32-unknown-unknown -p speech-emotion-wasm
  local wasm="$2/wasm32-unknown-unknown/release/speech_emotion_wasm.wasm"
  # Unchanged module since the last run: keep the optimised output (a re-run takes seconds).
  local stamp="$1/.source-sha256" sum
  sum=$(sha256sum "$wasm" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -f "$1/speech_emotion_bg.wasm" ]; then
    echo "$1: module unchanged, kept"; changed=0; return
  fi
  rm -rf "$1"
  wasm-bindgen --target web --out-dir "$1" --out-name speech_emotion "$wasm"
  echo "$sum" > "$stamp.pending"   # written as the stamp once wasm-opt has run
}
# Two builds: SIMD for browsers with wasm SIMD (all current ones), scalar for the rest;
# www/speech-emotion/wasm-build.js picks one at run time. Separate target dirs keep both cached.
PKG=www/speech-emotion
if [ "${1:-}" = --profile ]; then
  # Only the SIMD module, with its function names, for benches/profile-update.mjs
  # (scripts/profile-update.sh); never served. Its own target dir keeps the others cached.
  rm -f target/profile-pkg/.source-sha256
  CARGO_PROFILE_RELEASE_STRIP=false build target/profile-pkg target/wasm-profile "-C target-feature=+simd128"
  rm -f target/profile-pkg/.source-sha256.pending
  exit 0
fi
mkdir -p target
build $PKG/pkg target "-C target-feature=+simd128"; simd_changed=$changed
timed "SIMD module"
build $PKG/pkg-scalar target/wasm-scalar ""; scalar_changed=$changed
timed "scalar module"

# wasm-opt: binaryen 116 from npm (its `binaryen` package ships wasm-opt compiled to
# JavaScript; package.json pins it, `npm ci` installs it: no C++ build). It gives the same
# bytes as the native binaryen 116 from crates.io (checked on the SIMD module when it replaced
# it: the same SHA-256; 19 s instead of 6 s, but no ~15 min C++ build). Debian's binaryen 108 breaks wasm-bindgen 0.2.130's tables.
# Measured on the SIMD module (benches/size-history.md): -O1 plus duplicate-function
# elimination takes the "z" build from 8.50 to 7.97 MB raw, 2.41 to 2.36 MB gzip and 1.586
# to 1.561 MB brotli (the "s" build: 10.17 → 9.52 MB, 1.717 → 1.703 MB brotli). -Os, -Oz and
# -O2 shrink the raw "s" module more (to 8.9-9.3 MB) but make the brotli one ~6 % larger,
# and the compressed size is what is downloaded. The features are the ones
# rustc 1.95 emits for wasm32 by default, plus SIMD for pkg/ only: wasm-opt validates each
# module against them, so SIMD code in the scalar build stops the build.
WASM_OPT="$PWD/node_modules/.bin/wasm-opt"
WASM_OPT_VERSION=116
[ -x "$WASM_OPT" ] && [ "$("$WASM_OPT" --version | awk '{print $3}')" = "$WASM_OPT_VERSION" ] || {
  echo "wasm-opt $WASM_OPT_VERSION is missing: run bash scripts/setup.sh (npm ci installs binaryen $WASM_OPT_VERSION)" >&2
  exit 1
}
FEATURES="--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int --enable-bulk-memory --enable-reference-types --enable-multivalue"
optimize() { # PKG_DIR [--enable-simd]
  "$WASM_OPT" "$1/speech_emotion_bg.wasm" $FEATURES ${2:-} -O1 --duplicate-function-elimination \
    --remove-unused-module-elements --strip-debug --strip-producers -o "$1/speech_emotion_bg.wasm.opt"
  mv "$1/speech_emotion_bg.wasm.opt" "$1/speech_emotion_bg.wasm"
  mv "$1/.source-sha256.pending" "$1/.source-sha256"
}
[ $simd_changed = 0 ] || optimize $PKG/pkg --enable-simd
[ $scalar_changed = 0 ] || optimize $PKG/pkg-scalar
timed "wasm-opt"
ls -l $PKG/pkg/*.wasm $PKG/pkg-scalar/*.wasm
# The licences travel with the npm package (code MIT OR Apache-2.0; weights CC BY-NC-SA 4.0).
cp LICENSE-MIT LICENSE-APACHE LICENSE-MODEL.md $PKG/

# Models other than the embedded one are offered by the page as files beside it.
mkdir -p www/models
python3 - <<'PY'
import json, pathlib, shutil
models, out = pathlib.Path("models"), pathlib.Path("www/models")
listing = []
for meta_path in sorted(models.glob("*.json")):
    if meta_path.name.startswith("metrics-") or meta_path.stem == "emotion4":
        continue  # emotion4 is embedded in the wasm
    onnx = meta_path.with_suffix(".onnx")
    if not onnx.exists():
        continue
    meta = json.loads(meta_path.read_text())
    shutil.copy(onnx, out / onnx.name)
    shutil.copy(meta_path, out / meta_path.name)
    listing.append({"name": meta["name"], "title": f"{len(meta['labels'])} emotions ({meta['name']})"})
(out / "index.json").write_text(json.dumps(listing, indent=1) + "\n")
print(f"www/models: {[m['name'] for m in listing] or 'no extra models'}")
PY

# Last, from everything above: the service worker's asset manifest (file → SHA-256, so a
# deploy is one new version, never a mix) and pre-compressed .br/.gz copies of the wasm.
node scripts/asset-manifest.mjs www
