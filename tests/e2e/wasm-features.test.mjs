// The scalar build is the fallback for browsers without WebAssembly SIMD (iOS 15 and
// older), so it must not hold a single SIMD instruction: such a browser rejects the whole
// module. Checked with binaryen's validator (wasm-opt from npm's binaryen, installed by scripts/setup.sh) against
// the features scripts/build-wasm.sh allows; the SIMD build is checked the same way and must
// fail, which shows the check can.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, tempDir } from "./helpers.mjs";

const PKG = join(ROOT, "www", "speech-emotion");
const WASM_OPT = join(ROOT, "node_modules", ".bin", "wasm-opt");
// The features without SIMD: the one list in build-wasm.sh.
const FEATURES = readFileSync(join(ROOT, "scripts", "build-wasm.sh"), "utf8").match(/^FEATURES="([^"]+)"/m)[1].split(" ");

/** wasm-opt's exit status validating `wasm` against FEATURES alone (the module's own
 * target-features section, which wasm-opt would add to them, is stripped first). */
function validatesWithoutSimd(wasm) {
  const stripped = join(tempDir(), "stripped.wasm");
  const strip = spawnSync(WASM_OPT, [wasm, "--all-features", "--strip-target-features", "-o", stripped], { encoding: "utf8" });
  assert.equal(strip.status, 0, strip.stderr);
  const check = spawnSync(WASM_OPT, [stripped, ...FEATURES, "-o", join(tempDir(), "checked.wasm")], { encoding: "utf8" });
  return { ok: check.status === 0, simdErrors: (check.stderr.match(/SIMD operations require SIMD/g) || []).length };
}

test("the scalar build holds no SIMD instruction", () => {
  const result = validatesWithoutSimd(join(PKG, "pkg-scalar", "speech_emotion_bg.wasm"));
  assert.deepEqual(result, { ok: true, simdErrors: 0 });
});

test("the SIMD build does use SIMD (so the check above can fail)", () => {
  const result = validatesWithoutSimd(join(PKG, "pkg", "speech_emotion_bg.wasm"));
  assert.equal(result.ok, false);
  assert.ok(result.simdErrors > 0);
});
