// A tiny static file server for the demo and the browser tests: correct MIME types, a strict
// Content-Security-Policy, bound to 127.0.0.1. No dependencies.
//   node scripts/serve.mjs [ROOT=www] [PORT=8080]   (PORT 0 picks a free port)
import { createServer } from "node:http";
import { constants as fsConstants, realpathSync } from "node:fs";
import { open, realpath, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createHash } from "node:crypto";
import { brotliCompress, constants, gzip } from "node:zlib";

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
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

// Validators and compression. The ETag is the SHA-256 prefix that scripts/asset-manifest.mjs
// puts in the service worker's manifest, with the encoding appended (a strong ETag names one
// representation); it is computed by streaming the file once per version (device, inode,
// mtime, size) up to HASH_MAX, beyond which it is the size and mtime. Brotli when the
// browser offers it (over HTTPS, and on localhost: Chromium 156 sends "gzip, deflate, br,
// zstd" to 127.0.0.1), gzip otherwise. The build's
// pre-compressed .br/.gz next to a file are streamed when not older than it (brotli at
// quality 11 of the 10 MB wasm takes ~20 s); other compressible files up to COMPRESS_MAX
// are compressed here, larger ones are sent as they are. Nothing is ever read whole beyond
// COMPRESS_MAX: files are streamed, so memory does not grow with their size.
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".webmanifest", ".wasm", ".svg", ".onnx", ".ts", ".md"]);
const COMPRESS_MAX = 16 << 20;
const HASH_MAX = 64 << 20;
const CACHE_BYTES = 64 << 20;

/** A least-recently-used cache bounded by the bytes of what it holds. */
class Cache {
  constructor(maxBytes) {
    this.maxBytes = maxBytes;
    this.bytes = 0;
    this.map = new Map();
  }
  get(key) {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }
  set(key, value, bytes) {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
  delete(key) {
    const entry = this.map.get(key);
    if (entry) {
      this.map.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}

async function sha256Prefix(handle) {
  const hash = createHash("sha256");
  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 })) hash.update(chunk);
  return hash.digest("hex").slice(0, 20);
}

async function compress(body, encoding) {
  if (encoding === "br") {
    const quality = body.length > 1e6 ? 5 : 11;
    return brotliAsync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: quality } });
  }
  return gzipAsync(body, { level: 9 });
}

const inside = (root, path) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
const refuse = (status) => Object.assign(new Error(status === 403 ? "forbidden" : "not found"), { status });

/** Opens a regular file without blocking (a FIFO would block open() itself); anything
 * else (FIFO, device, socket, directory) is refused. Returns {handle, info}. */
async function openRegular(path) {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  const info = await handle.stat().catch(() => null);
  if (!info?.isFile()) {
    await handle.close();
    throw refuse(403);
  }
  return { handle, info };
}

function negotiate(acceptEncoding = "") {
  const offered = new Set(acceptEncoding.split(",").map((t) => t.split(";"))
    .filter(([, q]) => !/^\s*q=0(\.0*)?\s*$/.test(q ?? "")).map(([name]) => name.trim().toLowerCase()));
  return offered.has("br") ? "br" : offered.has("gzip") ? "gzip" : null;
}

/** Serves `root` on 127.0.0.1. `isolate`: a path prefix whose documents are served
 * cross-origin isolated (COOP + COEP), which is what gives `performance.now()` 5 µs steps
 * instead of 100 µs in Chromium; the benchmark page uses it, the demo does not need it. */
export function serve(root, port = 0, { isolate = null, cacheBytes = CACHE_BYTES } = {}) {
  const base = resolve(root);
  let realBase;
  try {
    realBase = realpathSync(base);
  } catch {
    realBase = base;
  }
  // ETags and compressed bodies, least recently used first out, at most cacheBytes.
  const cache = new Cache(cacheBytes);
  const server = createServer(async (req, res) => {
    let handle = null;
    try {
      const url = new URL(req.url, "http://localhost");
      const path = normalize(join(base, decodeURIComponent(url.pathname)));
      // The root itself or something below it: a bare startsWith(base) would also admit a
      // sibling such as `www-private/` next to `www/`.
      if (!inside(base, path)) throw refuse(403);
      // Symbolic links are followed only while they stay inside the root (`ln -s /etc
      // www/etc` is refused), and only regular files are read: a FIFO in the root would
      // block the read forever, a device would never end.
      let real = await realpath(path).catch(() => null);
      if (!real) throw refuse(404);
      if (!inside(realBase, real)) throw refuse(403);
      let name = path; // the name asked for decides the type, as before
      if ((await stat(real)).isDirectory()) {
        name = join(path, "index.html");
        real = await realpath(join(real, "index.html")).catch(() => null);
        if (!real) throw refuse(404);
        if (!inside(realBase, real)) throw refuse(403);
      }
      const opened = await openRegular(real);
      handle = opened.handle;
      const { info } = opened;
      const key = `${info.dev}:${info.ino}:${info.mtimeMs}:${info.size}`;
      let hash = cache.get(key);
      if (!hash) {
        // Files beyond HASH_MAX (recordings, never the app's own files) are named by size and
        // modification time, as nginx does: hashing 1.5 GB would cost seconds per version.
        hash = info.size <= HASH_MAX ? await sha256Prefix(handle) : `${info.size.toString(16)}-${Math.round(info.mtimeMs * 1000).toString(16)}`;
        cache.set(key, hash, 100 + key.length);
      }
      const encoding = COMPRESSIBLE.has(extname(name)) ? negotiate(req.headers["accept-encoding"]) : null;
      // Which bytes go out: a fresh pre-compressed sibling, a body compressed here, or the file.
      let sibling = null;
      let body = null;
      let used = null;
      if (encoding) {
        const ext = encoding === "br" ? ".br" : ".gz";
        const preReal = await realpath(real + ext).catch(() => null);
        const pre = preReal && inside(realBase, preReal) ? await stat(preReal).catch(() => null) : null;
        if (pre?.isFile() && pre.mtimeMs >= info.mtimeMs) {
          sibling = preReal;
          used = encoding;
        } else if (info.size <= COMPRESS_MAX) {
          const bodyKey = `${key}:${encoding}`;
          body = cache.get(bodyKey);
          if (!body) {
            body = await compress(await handle.readFile(), encoding);
            cache.set(bodyKey, body, body.length);
          }
          used = encoding;
        }
      }
      const etag = `"${hash}${used ? `-${used}` : ""}"`;
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
      if (sibling) {
        await handle.close();
        handle = null;
        const pre = await openRegular(sibling);
        handle = pre.handle;
        headers["Content-Length"] = pre.info.size;
      } else headers["Content-Length"] = body ? body.length : info.size;
      if (used) headers["Content-Encoding"] = used;
      headers["Content-Type"] = MIME[extname(name)] ?? "application/octet-stream";
      res.writeHead(200, headers);
      if (req.method === "HEAD") return res.end();
      if (body) return res.end(body);
      const stream = handle.createReadStream({ start: 0, highWaterMark: 1 << 20 }); // closes the handle when done
      handle = null;
      await pipeline(stream, res);
    } catch (e) {
      if (res.headersSent) return res.destroy(); // a read failed mid-body, or the client left
      res.writeHead(e.status ?? 404, { "Content-Type": "text/plain" });
      res.end(e.status === 403 ? "forbidden" : "not found");
    } finally {
      await handle?.close().catch(() => {});
    }
  });
  server.cache = cache; // for the tests: what is kept, and its bound
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [root = "www", port = "8080"] = process.argv.slice(2);
  const server = await serve(root, Number(port));
  console.log(`serving ${resolve(root)} on http://localhost:${server.address().port}/`);
}
