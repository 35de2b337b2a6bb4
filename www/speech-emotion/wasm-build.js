// Which wasm build runs here: the SIMD one where the browser validates a SIMD instruction,
// the scalar one otherwise. One file for both users: the classifier worker imports it as
// a module, the service worker loads it with importScripts, so no ES exports.
(() => {
  // The smallest module using v128 (i8x16.splat, i8x16.popcnt), as wasm-feature-detect does.
  const SIMD_PROBE = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
  ]);
  const simd = typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  self.speechEmotionWasm = {
    simd,
    /** Directory of the build to load; `force` ("simd" | "scalar") overrides detection. */
    dir: (force) => ((force ? force === "simd" : simd) ? "pkg" : "pkg-scalar"),
  };
})();
