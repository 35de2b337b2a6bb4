#!/usr/bin/env bash
# Builds the WebAssembly modules once into the npm package www/speech-emotion/ (pkg/ and
# pkg-scalar/; the demo page, the e2e tests and the benchmarks use them from there). SIMD is compile-time only in tract, so it is switched on here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# Size over speed for the download: opt-level "s" and no symbol names take the module from
# 17.3 MB (4.1 MB gzip) to 9.6 MB (2.5 MB gzip) at about the same per-update time
# (benches/run.mjs). The native CLI keeps the O3 release profile.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_STRIP=true
build() { # OUT_DIR TARGET_DIR RUSTFLAGS   (wasm-pack resolves --out-dir against the crate)
  CARGO_TARGET_DIR="$PWD/$2" RUSTFLAGS="$3" \
    wasm-pack build --target web --release --out-dir "$PWD/$1" --out-name speech_emotion --no-pack wasm
}
# Two builds: SIMD for browsers with wasm SIMD (all current ones), scalar for the rest;
# www/speech-emotion/wasm-build.js picks one at run time. Separate target dirs keep both cached.
PKG=www/speech-emotion
build $PKG/pkg target "-C target-feature=+simd128"
build $PKG/pkg-scalar target/wasm-scalar ""
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
