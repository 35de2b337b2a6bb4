#!/usr/bin/env bash
# Builds the WebAssembly modules once into the npm package www/speech-emotion/ (pkg/ and
# pkg-scalar/; the demo page, the e2e tests and the benchmarks use them from there). SIMD is compile-time only in tract, so it is switched on here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# Size over speed for the download: opt-level "s" and no symbol names took the SIMD module
# from 17.3 MB (4.1 MB gzip) to 9.6 MB (2.5 MB gzip) at about the same per-update time
# (benches/run.mjs); "z" takes it from 10.23 MB / 1.73 MB brotli to 8.50 MB / 1.59 MB
# (benches/size-history.md) and costs about 0.2 ms per update (benches/results.json
# before and after, in git history).
# The hot numeric crates stay at -O3 (Cargo.toml). The native CLI keeps the O3 release profile.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_STRIP=true
build() { # OUT_DIR TARGET_DIR RUSTFLAGS   (wasm-pack resolves --out-dir against the crate)
  CARGO_TARGET_DIR="$PWD/$2" RUSTFLAGS="$3 $REMAP" \
    wasm-pack build --target web --release --out-dir "$PWD/$1" --out-name speech_emotion --no-pack wasm \
    -- --config "$PATCH_RUSTFFT"
}
# Two builds: SIMD for browsers with wasm SIMD (all current ones), scalar for the rest;
# www/speech-emotion/wasm-build.js picks one at run time. Separate target dirs keep both cached.
PKG=www/speech-emotion
# tract-core turns on rustfft's `wasm_simd` feature unconditionally (sonos/tract#2205), and
# rustfft then plans every FFT with v128 code on wasm32, with or without +simd128: the
# "scalar" module held SIMD instructions, so a browser without wasm SIMD rejected the
# fallback, and the SIMD module carried 0.36 MB of FFT kernels. The MFCC's one 512-point
# real FFT per frame does not need them. Both builds use a copy of rustfft with that module
# switched off (a cargo --config patch; Cargo.lock is put back afterwards).
RUSTFFT=target/rustfft-without-wasm-simd
rustfft_src=$(cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "rustfft").rsplit("/", 1)[0])')
rm -rf $RUSTFFT && cp -r "$rustfft_src" $RUSTFFT && chmod -R u+w $RUSTFFT
python3 - "$RUSTFFT/src/lib.rs" <<'PY'
import sys, pathlib
lib = pathlib.Path(sys.argv[1]); s = lib.read_text()
gate = '#[cfg(all(target_arch = "wasm32", feature = "wasm_simd"))]\nmod wasm_simd;'
stub = '#[cfg(not(all(target_arch = "wasm32", feature = "wasm_simd")))]\nmod wasm_simd {'
if s.count(gate) != 1 or s.count(stub) != 1:
    sys.exit(f"{lib}: rustfft's wasm_simd gates changed; update scripts/build-wasm.sh")
lib.write_text(s.replace(gate, '#[cfg(any())]\nmod wasm_simd;').replace(stub, '#[cfg(all())]\nmod wasm_simd {'))
PY
cp Cargo.lock target/Cargo.lock.kept
trap 'cp target/Cargo.lock.kept Cargo.lock' EXIT
PATCH_RUSTFFT="patch.crates-io.rustfft.path=\"$PWD/$RUSTFFT\""
# Panic locations name source files: without the build machine's registry and checkout
# paths (they said where the module was built, and cost 0.9 KB of brotli).
REMAP="--remap-path-prefix=$(dirname "$rustfft_src")/= --remap-path-prefix=$PWD/="
if [ "${1:-}" = --profile ]; then
  # Only the SIMD module, with its function names, for benches/profile-update.mjs
  # (scripts/profile-update.sh); never served. Its own target dir keeps the others cached.
  CARGO_PROFILE_RELEASE_STRIP=false build target/profile-pkg target/wasm-profile "-C target-feature=+simd128"
  exit 0
fi
build $PKG/pkg target "-C target-feature=+simd128"
build $PKG/pkg-scalar target/wasm-scalar ""

# wasm-opt (binaryen 116, the crates.io build that scripts/setup.sh installs; wasm-pack's own
# run is off in wasm/Cargo.toml because Debian's binaryen 108 breaks wasm-bindgen's tables).
# Measured on the SIMD module (benches/size-history.md): -O1 plus duplicate-function
# elimination takes the "z" build from 8.50 to 7.97 MB raw, 2.41 to 2.36 MB gzip and 1.586
# to 1.561 MB brotli (the "s" build: 10.17 → 9.52 MB, 1.717 → 1.703 MB brotli). -Os, -Oz and
# -O2 shrink the raw "s" module more (to 8.9-9.3 MB) but make the brotli one ~6 % larger,
# and the compressed size is what is downloaded. The features are the ones
# rustc 1.95 emits for wasm32 by default, plus SIMD for pkg/ only: wasm-opt validates each
# module against them, so SIMD code in the scalar build stops the build.
WASM_OPT_VERSION=116
command -v wasm-opt >/dev/null && [ "$(wasm-opt --version | awk '{print $3}')" = "$WASM_OPT_VERSION" ] || {
  echo "wasm-opt $WASM_OPT_VERSION is missing: run bash scripts/setup.sh (cargo install --locked wasm-opt --version 0.$WASM_OPT_VERSION.1)" >&2
  exit 1
}
FEATURES="--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int --enable-bulk-memory --enable-reference-types --enable-multivalue"
optimize() { # WASM [--enable-simd]
  wasm-opt "$1" $FEATURES ${2:-} -O1 --duplicate-function-elimination --remove-unused-module-elements \
    --strip-debug --strip-producers -o "$1.opt"
  mv "$1.opt" "$1"
}
optimize $PKG/pkg/speech_emotion_bg.wasm --enable-simd
optimize $PKG/pkg-scalar/speech_emotion_bg.wasm
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
