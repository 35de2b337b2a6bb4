// scripts/serve.mjs serves only what is under its root: not a sibling folder whose name
// starts with the root's (`www-private/` beside `www/`), whatever the encoding of `..`.
// No browser needed: raw HTTP requests, so the client does not normalise the paths.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";

let dir, server, port;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "se-serve-"));
  mkdirSync(join(dir, "www", "sub"), { recursive: true });
  mkdirSync(join(dir, "www-private"));
  writeFileSync(join(dir, "www", "index.html"), "<p>page</p>");
  writeFileSync(join(dir, "www", "sub", "index.html"), "<p>sub</p>");
  writeFileSync(join(dir, "www-private", "secret.txt"), "SECRET");
  writeFileSync(join(dir, "secret.txt"), "SECRET");
  server = await serve(join(dir, "www"), 0);
  port = server.address().port;
});

after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** GET with the path sent exactly as given. */
function get(path) {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => ok({ status: res.statusCode, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

test("files under the root are served", async () => {
  assert.equal((await get("/")).status, 200);
  assert.equal((await get("/index.html")).body, "<p>page</p>");
  assert.equal((await get("/sub/")).body, "<p>sub</p>");
  assert.equal((await get("/sub/../index.html")).body, "<p>page</p>");
});

test("a sibling folder sharing the root's name prefix is not served", async () => {
  // Encoded separators survive URL parsing and decode to ../www-private/secret.txt:
  // the case a bare startsWith(root) let through.
  for (const path of [
    "/%2e%2e%2fwww-private%2fsecret.txt",
    "/%2E%2E%2Fwww-private%2Fsecret.txt",
    "/..%2fwww-private%2fsecret.txt",
    "/%2e%2e%2f%2e%2e%2fwww-private%2fsecret.txt",
    "/..%2fsecret.txt",
    "/sub/..%2f..%2fwww-private%2fsecret.txt",
  ]) {
    const { status, body } = await get(path);
    assert.equal(status, 403, path);
    assert.ok(!body.includes("SECRET"), path);
  }
  // Plain and %2e dot segments are resolved by the URL parser inside the root: not found.
  for (const path of ["/../www-private/secret.txt", "/%2e%2e/www-private/secret.txt", "/../../secret.txt", "/www-private/secret.txt"]) {
    const { status, body } = await get(path);
    assert.ok([403, 404].includes(status), `${path}: ${status}`);
    assert.ok(!body.includes("SECRET"), path);
  }
});

test("malformed escapes and NUL bytes are refused, not crashes", async () => {
  for (const path of ["/%E0%A4%A", "/index.html%00.png", "/%"]) {
    const { status } = await get(path);
    assert.ok([400, 403, 404].includes(status), `${path}: ${status}`);
  }
  assert.equal((await get("/index.html")).status, 200, "the server still answers");
});
