// scripts/serve.mjs serves only what is under its root: not a sibling folder whose name
// starts with the root's (`www-private/` beside `www/`), whatever the encoding of `..`, and
// no symbolic link out of it; only regular files (a FIFO must not hang it); files are
// streamed, so memory does not grow with their size, and what it caches is bounded.
// No browser needed: raw HTTP requests, so the client does not normalise the paths.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { createServer as createSocketServer } from "node:net";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { serve } from "../../scripts/serve.mjs";
import { ROOT } from "./helpers.mjs";

let dir, server, port;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "se-serve-"));
  mkdirSync(join(dir, "www", "sub"), { recursive: true });
  mkdirSync(join(dir, "www-private"));
  writeFileSync(join(dir, "www", "index.html"), "<p>page</p>");
  writeFileSync(join(dir, "www", "sub", "index.html"), "<p>sub</p>");
  writeFileSync(join(dir, "www-private", "secret.txt"), "SECRET");
  writeFileSync(join(dir, "secret.txt"), "SECRET");
  // Links out of the root, and links that stay inside it.
  symlinkSync("/etc", join(dir, "www", "etclink"));
  symlinkSync(join(dir, "secret.txt"), join(dir, "www", "leak.txt"));
  symlinkSync("../www-private", join(dir, "www", "private"));
  symlinkSync("index.html", join(dir, "www", "alias.html"));
  symlinkSync("sub", join(dir, "www", "subalias"));
  server = await serve(join(dir, "www"), 0);
  port = server.address().port;
});

after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** GET with the path sent exactly as given. `count`: only count the body's bytes. A
 * request that takes longer than `timeout` ms fails. */
function get(path, { to = port, headers = {}, count = false, timeout = 60_000 } = {}) {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port: to, path, method: "GET", headers, timeout }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on("data", (c) => (count ? (bytes += c.length) : chunks.push(c)));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        ok({ status: res.statusCode, headers: res.headers, raw, body: raw.toString("utf8"), bytes: count ? bytes : raw.length });
      });
      res.on("error", fail);
    });
    req.on("timeout", () => req.destroy(new Error(`${path}: no answer within ${timeout} ms`)));
    req.on("error", fail);
    req.end();
  });
}

/** `node scripts/serve.mjs root 0` as a child process (its memory is its own). */
async function serveInChild(root) {
  const child = spawn(process.execPath, [join(ROOT, "scripts/serve.mjs"), root, "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const childPort = await new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
      const m = out.match(/http:\/\/localhost:(\d+)\//);
      if (m) ok(Number(m[1]));
    });
    child.on("exit", (code) => fail(new Error(`serve.mjs exited (${code})`)));
  });
  const peakMb = () => Number(readFileSync(`/proc/${child.pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/)[1]) / 1024;
  return { child, port: childPort, peakMb, stop: () => child.kill() };
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

test("symbolic links are followed only while they stay inside the root", async () => {
  for (const path of ["/etclink/hostname", "/etclink/passwd", "/leak.txt", "/private/secret.txt"]) {
    const { status, body } = await get(path);
    assert.equal(status, 403, path);
    assert.ok(!body.includes("SECRET") && !body.includes("root:"), path);
  }
  assert.equal((await get("/alias.html")).body, "<p>page</p>");
  assert.equal((await get("/subalias/")).body, "<p>sub</p>");
  assert.equal((await get("/subalias/index.html")).body, "<p>sub</p>");
});

test("a FIFO or a socket in the root is refused and does not hang the server", async () => {
  const root = mkdtempSync(join(tmpdir(), "se-serve-fifo-"));
  writeFileSync(join(root, "index.html"), "<p>page</p>");
  execFileSync("mkfifo", [join(root, "pipe.js")]);
  const socket = createSocketServer();
  await new Promise((ok) => socket.listen(join(root, "socket.html"), ok));
  const server = await serveInChild(root);
  try {
    for (const path of ["/pipe.js", "/socket.html", "/pipe.js"]) {
      const { status } = await get(path, { to: server.port, timeout: 5000, headers: { "accept-encoding": "gzip" } });
      assert.ok([403, 404].includes(status), `${path}: ${status}`);
    }
    const { status, body } = await get("/index.html", { to: server.port, timeout: 5000 });
    assert.equal(status, 200);
    assert.equal(body, "<p>page</p>");
  } finally {
    server.stop();
    socket.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("a 1.5 GB file is streamed: the server's memory does not grow with it", async () => {
  const root = mkdtempSync(join(tmpdir(), "se-serve-big-"));
  writeFileSync(join(root, "index.html"), "<p>page</p>");
  const sparse = (name, bytes) => {
    const fd = openSync(join(root, name), "w");
    ftruncateSync(fd, bytes);
    closeSync(fd);
  };
  sparse("big.bin", 1.5e9);
  sparse("big.onnx", 100e6); // compressible by its name, too large to compress in memory
  const server = await serveInChild(root);
  try {
    const small = await get("/index.html", { to: server.port });
    assert.equal(small.headers.etag, `"${createHash("sha256").update("<p>page</p>").digest("hex").slice(0, 20)}"`);
    const before = server.peakMb();
    const big = await get("/big.bin", { to: server.port, count: true, headers: { "accept-encoding": "br, gzip" } });
    assert.equal(big.status, 200);
    assert.equal(Number(big.headers["content-length"]), 1.5e9);
    assert.equal(big.bytes, 1.5e9);
    const onnx = await get("/big.onnx", { to: server.port, count: true, headers: { "accept-encoding": "br, gzip" } });
    assert.equal(onnx.status, 200);
    assert.equal(onnx.bytes, Number(onnx.headers["content-length"]));
    const grew = server.peakMb() - before;
    assert.ok(grew < 200, `the server's peak memory grew by ${grew.toFixed(0)} MB serving 1.6 GB`);
    // The validator is kept: a revalidation is a 304 without reading the file again.
    const again = await get("/big.bin", { to: server.port, headers: { "if-none-match": big.headers.etag } });
    assert.equal(again.status, 304);
    assert.equal((await get("/index.html", { to: server.port })).status, 200, "the server still answers");
  } finally {
    server.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test("what the server caches (validators, compressed bodies) stays within its bound", async () => {
  const root = mkdtempSync(join(tmpdir(), "se-serve-cache-"));
  const limit = 1 << 20;
  const small = await serve(root, 0, { cacheBytes: limit });
  try {
    // 24 files of 256 KB (hex text: gzip halves it), each compressed and cached on request.
    for (let i = 0; i < 24; i++) {
      const text = randomBytes(128 << 10).toString("hex");
      writeFileSync(join(root, `f${i}.js`), text);
      const { status, headers, raw } = await get(`/f${i}.js`, { to: small.address().port, headers: { "accept-encoding": "gzip" } });
      assert.equal(status, 200);
      assert.equal(headers["content-encoding"], "gzip");
      assert.equal(gunzipSync(raw).toString(), text);
      assert.ok(small.cache.bytes <= limit, `cache holds ${small.cache.bytes} bytes after ${i + 1} files, bound ${limit}`);
    }
    assert.ok(small.cache.bytes > 0);
    assert.ok(server.cache.maxBytes <= 256 << 20, `default bound ${server.cache.maxBytes}`);
  } finally {
    small.close();
    rmSync(root, { recursive: true, force: true });
  }
});
