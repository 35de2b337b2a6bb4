// A tiny static file server for the demo and the browser tests: correct MIME types, a strict
// Content-Security-Policy, bound to 127.0.0.1. No dependencies.
//   node scripts/serve.mjs [ROOT=www] [PORT=8080]   (PORT 0 picks a free port)
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";

import { createHash } from "node:crypto";
import { brotliCompressSync, constants } from "node:zlib";
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
  "frame-ancestors 'none'",
].join("; ");

// Validators and compression, computed once per file version (path, mtime, size). The
// ETag is the SHA-256 prefix that scripts/asset-manifest.mjs puts in the service worker's
// manifest, with the encoding appended (a strong ETag names one representation). Brotli
// when the browser offers it (over HTTPS, and on localhost: Chromium 156 sends "gzip,
// deflate, br, zstd" to 127.0.0.1), gzip otherwise. The build's pre-compressed .br/.gz next
// to a file are used when not older than it (brotli at quality 11 of the 10 MB wasm takes
// ~20 s); smaller files are compressed here.
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".webmanifest", ".wasm", ".svg", ".onnx", ".ts", ".md"]);
const versions = new Map();
async function version(path, { mtimeMs, size }) {
  const key = `${path}:${mtimeMs}:${size}`;
  if (!versions.has(key)) {
    const body = await readFile(path);
    versions.set(key, { body, etag: createHash("sha256").update(body).digest("hex").slice(0, 20), encoded: {} });
  }
  return versions.get(key);
}
async function encoded(v, path, mtimeMs, encoding) {
  if (!v.encoded[encoding]) {
    const ext = encoding === "br" ? ".br" : ".gz";
    const pre = await stat(path + ext).catch(() => null);
    if (pre && pre.mtimeMs >= mtimeMs) v.encoded[encoding] = await readFile(path + ext);
    else if (encoding === "br") {
      const quality = v.body.length > 1e6 ? 5 : 11;
      v.encoded.br = brotliCompressSync(v.body, { params: { [constants.BROTLI_PARAM_QUALITY]: quality } });
    } else v.encoded.gzip = gzipSync(v.body, { level: 9 });
  }
  return v.encoded[encoding];
}
function negotiate(acceptEncoding = "") {
  const offered = new Set(acceptEncoding.split(",").map((t) => t.split(";"))
    .filter(([, q]) => !/^\s*q=0(\.0*)?\s*$/.test(q ?? "")).map(([name]) => name.trim().toLowerCase()));
  return offered.has("br") ? "br" : offered.has("gzip") ? "gzip" : null;
}

/** Serves `root` on 127.0.0.1. `isolate`: a path prefix whose documents are served
 * cross-origin isolated (COOP + COEP), which is what gives `performance.now()` 5 µs steps
 * instead of 100 µs in Chromium; the benchmark page uses it, the demo does not need it. */
export function serve(root, port = 0, { isolate = null } = {}) {
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
      const v = await version(path, await stat(path));
      const encoding = COMPRESSIBLE.has(extname(path)) ? negotiate(req.headers["accept-encoding"]) : null;
      const body = encoding ? await encoded(v, path, mtimeMs, encoding) : v.body;
      const etag = `"${v.etag}${encoding ? `-${encoding}` : ""}"`;
      // Every response is revalidated (no-cache) and a match costs a 304 without a body:
      // the service worker, not the HTTP cache, is what makes a revisit free.
      const headers = {
        "Vary": "Accept-Encoding",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
        "ETag": etag,
      };
      if (isolate && url.pathname.startsWith(isolate)) {
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      }
      const match = (req.headers["if-none-match"] ?? "").split(",").map((t) => t.trim().replace(/^W\//, ""));
      if (match.includes(etag) || match.includes("*")) {
        res.writeHead(304, headers);
        return res.end();
      }
      if (encoding) headers["Content-Encoding"] = encoding;
      headers["Content-Type"] = MIME[extname(path)] ?? "application/octet-stream";
      headers["Content-Length"] = body.length;
      res.writeHead(200, headers);
      res.end(req.method === "HEAD" ? undefined : body);
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
