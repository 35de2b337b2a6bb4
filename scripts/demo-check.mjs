// The demo command's smoke check (bash scripts/demo.sh --check, run first by .ci/run): the
// demo server, started as the demo starts it, serves the page and both wasm modules, and
// each module is the built file and compiles.
//   node scripts/demo-check.mjs [ROOT=www]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "./serve.mjs";

const root = process.argv[2] ?? "www";
const server = await serve(root, 0);
const base = `http://127.0.0.1:${server.address().port}`;
let failed = false;
async function get(path) {
  const response = await fetch(base + path, { headers: { "Accept-Encoding": "identity" } });
  const body = Buffer.from(await response.arrayBuffer());
  return { response, body };
}
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  failed ||= !ok;
}
try {
  const page = await get("/");
  check(page.response.status === 200 && page.body.toString().includes("<html"), `GET / → ${page.response.status}, ${page.body.length} B of HTML`);
  check(Boolean(page.response.headers.get("content-security-policy")), "the page is sent with its Content-Security-Policy");
  for (const pkg of ["pkg", "pkg-scalar"]) {
    const path = `/speech-emotion/${pkg}/speech_emotion_bg.wasm`;
    const { response, body } = await get(path);
    const onDisk = readFileSync(join(root, path));
    let compiles = false;
    try {
      await WebAssembly.compile(body);
      compiles = true;
    } catch (e) {
      console.error(e.message);
    }
    check(
      response.status === 200 && response.headers.get("content-type") === "application/wasm" && body.equals(onDisk) && compiles,
      `GET ${path} → ${response.status} ${response.headers.get("content-type")}, ${body.length} B, equal to the built file, compiles`,
    );
  }
} finally {
  server.close();
}
if (failed) {
  console.error("demo check failed");
  process.exit(1);
}
console.log("demo check passed: the page and its wasm modules are served");
