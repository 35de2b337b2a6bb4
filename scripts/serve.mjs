// A tiny static file server for the demo and the browser tests: correct MIME types, a strict
// Content-Security-Policy, bound to 127.0.0.1. No dependencies.
//   node scripts/serve.mjs [ROOT=www] [PORT=8080]   (PORT 0 picks a free port)
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".d.ts": "text/plain; charset=utf-8",
};

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "style-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

// Compressed once per file version: the wasm shrinks about fourfold on the wire.
const gzipped = new Map();
function gzipOnce(path, mtimeMs, body) {
  const key = `${path}:${mtimeMs}`;
  if (!gzipped.has(key)) gzipped.set(key, gzipSync(body, { level: 9 }));
  return gzipped.get(key);
}

export function serve(root, port = 0) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://localhost");
      let path = normalize(join(base, decodeURIComponent(url.pathname)));
      // The root itself or something below it: a bare startsWith(base) would also admit a
      // sibling such as `www-private/` next to `www/`.
      if (path !== base && !path.startsWith(base.endsWith(sep) ? base : base + sep)) {
        throw Object.assign(new Error("outside root"), { status: 403 });
      }
      if ((await stat(path).catch(() => null))?.isDirectory()) path = join(path, "index.html");
      const { mtimeMs } = await stat(path);
      let body = await readFile(path);
      const headers = {};
      if (/\bgzip\b/.test(req.headers["accept-encoding"] ?? "") && extname(path) !== ".png") {
        body = gzipOnce(path, mtimeMs, body);
        headers["Content-Encoding"] = "gzip";
      }
      res.writeHead(200, {
        ...headers,
        "Vary": "Accept-Encoding",
        "Content-Type": MIME[extname(path)] ?? "application/octet-stream",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
      });
      res.end(body);
    } catch (e) {
      res.writeHead(e.status ?? 404, { "Content-Type": "text/plain" });
      res.end(e.status === 403 ? "forbidden" : "not found");
    }
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [root = "www", port = "8080"] = process.argv.slice(2);
  const server = await serve(root, Number(port));
  console.log(`serving ${resolve(root)} on http://localhost:${server.address().port}/`);
}
