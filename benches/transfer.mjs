// Bytes on the wire, the way a browser sees them: the demo page in Debian's headless
// Chromium, first visit (fresh profile, Start listening with a fake microphone so the
// AudioWorklet loads too, until the service worker has installed and the network is quiet),
// second visit (reload, nothing changed) and offline visit (context offline, reload). Every
// request of the page, its Worker, the AudioWorklet and the service worker is counted twice:
// by Chromium (Playwright's request sizes = CDP encodedDataLength, headers included, per
// request) and by the server (bytes written to each socket, headers included), once with
// the browser limited to gzip and once with brotli. Measured, never asserted (the e2e tests
// assert the properties). Writes benches/results.json → transfer.wire and prints a table.
//   node benches/transfer.mjs [--www DIR] [--no-write]
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../scripts/serve.mjs";
import { ROOT, launchBrowser } from "../tests/e2e/helpers.mjs";
import { kb, transferRows } from "./table.mjs";

const FAKE_MIC = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"];

/** serve(www) with every byte counted: per request (path, status, encoding, bytes written
 * including headers) and in total per socket. `acceptEncoding`, when given, replaces what the
 * browser offers (to measure gzip and brotli in the same browser). */
export async function countingServer(www, { acceptEncoding } = {}) {
  const server = await serve(www, 0);
  const log = [];
  const open = new Set();
  let closed = 0;
  let inFlight = 0;
  let lastActivity = Date.now();
  let offline = false;
  let refused = 0;
  server.on("connection", (socket) => {
    if (offline) {
      refused++;
      return socket.destroy();
    }
    open.add(socket);
    socket.on("close", () => {
      closed += socket.bytesWritten;
      open.delete(socket);
    });
  });
  server.prependListener("request", (req, res) => {
    if (acceptEncoding !== undefined) req.headers["accept-encoding"] = acceptEncoding;
    inFlight++;
    lastActivity = Date.now();
    const socket = req.socket;
    res.on("close", () => {
      inFlight--;
      lastActivity = Date.now();
      const bytes = socket.bytesWritten - (socket.mark ?? 0);
      socket.mark = socket.bytesWritten;
      log.push({
        path: new URL(req.url, "http://x").pathname,
        status: res.statusCode,
        encoding: res.getHeader("content-encoding") ?? null,
        conditional: "if-none-match" in req.headers,
        bytes,
      });
    });
  });
  const total = () => closed + [...open].reduce((t, s) => t + s.bytesWritten, 0);
  /** Resolves once nothing was requested for `ms` and nothing is in flight. */
  const quiet = async (ms = 1500) => {
    while (inFlight > 0 || Date.now() - lastActivity < ms) await new Promise((r) => setTimeout(r, 100));
  };
  /** Offline: every connection is dropped unanswered (counted as refused), like a host that
   * cannot be reached. DevTools' offline emulation alone does not stop the browser's own
   * service-worker update check, which runs outside the page. */
  const setOffline = (value) => {
    offline = value;
    if (value) for (const s of open) s.destroy();
  };
  return { server, origin: `http://127.0.0.1:${server.address().port}`, log, total, quiet, setOffline, refused: () => refused };
}

/** What Chromium reports for each request that reached the network (not answered by the
 * service worker), from the page, its workers and the service worker. */
export function browserLog(context) {
  const entries = [];
  const seen = new Set();
  const record = async (request, failed) => {
    if (seen.has(request)) return;
    seen.add(request);
    const response = failed ? null : await request.response().catch(() => null);
    const sizes = failed ? null : await request.sizes().catch(() => null);
    entries.push({
      path: new URL(request.url()).pathname,
      status: response?.status() ?? null,
      fromServiceWorker: response?.fromServiceWorker() ?? false,
      bytes: sizes ? sizes.responseHeadersSize + Math.max(0, sizes.responseBodySize) : 0,
      failed: failed ? request.failure()?.errorText ?? "failed" : null,
    });
  };
  context.on("requestfinished", (r) => record(r, false));
  context.on("requestfailed", (r) => record(r, true));
  return entries;
}

export async function waitReady(page) {
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 120_000 });
}

/** Start listening until the first prediction, then stop: loads the AudioWorklet. */
export async function listenBriefly(page) {
  await page.click("#start");
  await page.waitForFunction(() => Number(document.getElementById("session-summary").dataset.updates ?? 0) >= 1, null, { timeout: 60_000 });
  await page.click("#stop");
}

/** Until the service worker of this version is active and controls the page. */
export async function serviceWorkerSettled(page) {
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    while (registration.installing || !navigator.serviceWorker.controller) await new Promise((r) => setTimeout(r, 50));
  });
}

const summarize = (server, from, totalBefore, refusedBefore, browser, browserFrom) => {
  const requests = server.log.slice(from);
  const perFile = {};
  for (const r of requests) {
    const f = (perFile[r.path] ??= { requests: 0, bodies: 0, bytes: 0 });
    f.requests++;
    if (r.status === 200) f.bodies++;
    f.bytes += r.bytes;
  }
  const network = browser.slice(browserFrom).filter((e) => !e.fromServiceWorker && !e.failed);
  return {
    server_bytes: server.total() - totalBefore,
    refused_connections: server.refused() - refusedBefore,
    browser_bytes: network.reduce((t, e) => t + e.bytes, 0),
    requests: requests.length,
    responses_with_body: requests.filter((r) => r.status === 200).length,
    not_modified: requests.filter((r) => r.status === 304).length,
    files: perFile,
    browser_requests: network.length,
    answered_by_service_worker: browser.slice(browserFrom).filter((e) => e.fromServiceWorker).length,
  };
};

/** First, second and offline visit of the page served from `www`. */
export async function measureVisits(www, { acceptEncoding, listen = true } = {}) {
  const server = await countingServer(www, { acceptEncoding });
  const browser = await launchBrowser(FAKE_MIC);
  try {
    const context = await browser.newContext();
    const seen = browserLog(context);
    const page = await context.newPage();
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const visit = async (load, { settle = false } = {}) => {
      const from = server.log.length;
      const before = server.total();
      const refused = server.refused();
      const browserFrom = seen.length;
      await load();
      await waitReady(page);
      if (listen) await listenBriefly(page);
      if (settle) await serviceWorkerSettled(page);
      // Chromium checks the service worker for an update about a second after the last
      // event it handled: wait for that too, then for the network to be quiet.
      await new Promise((r) => setTimeout(r, 3000));
      await server.quiet();
      await new Promise((r) => setTimeout(r, 300)); // let Chromium report the last sizes
      return summarize(server, from, before, refused, seen, browserFrom);
    };
    const first = await visit(() => page.goto(server.origin + "/"), { settle: true });
    const second = await visit(() => page.reload());
    await context.setOffline(true);
    server.setOffline(true);
    const offline = await visit(() => page.reload());
    server.setOffline(false);
    await context.setOffline(false);
    return { first, second, offline, page_errors: pageErrors, chromium: browser.version() };
  } finally {
    await browser.close();
    server.server.close();
  }
}

function fileSizes(www) {
  const manifest = join(www, "asset-manifest.js");
  if (!existsSync(manifest)) return null;
  const out = {};
  for (const b of ["pkg", "pkg-scalar"]) {
    const wasm = join(www, "speech-emotion", b, "speech_emotion_bg.wasm");
    if (!existsSync(wasm)) continue;
    const size = (p) => (existsSync(p) ? readFileSync(p).length : null);
    out[`${b}/speech_emotion_bg.wasm`] = { raw: size(wasm), gzip: size(`${wasm}.gz`), br: size(`${wasm}.br`) };
  }
  return out;
}

export async function run(www) {
  const result = { measured: new Date().toISOString(), wasm_files: fileSizes(www), by_encoding: {} };
  for (const [name, acceptEncoding] of [["gzip", "gzip, deflate"], ["brotli", "br, gzip, deflate"]]) {
    console.error(`transfer: three visits, ${name}…`);
    result.by_encoding[name] = await measureVisits(www, { acceptEncoding });
  }
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--www");
  const www = resolve(i > 0 ? process.argv[i + 1] : join(ROOT, "www"));
  // --from-json: only print the rows of the last run (what the README's table shows).
  const fromJson = process.argv.includes("--from-json");
  const wire = fromJson ? JSON.parse(readFileSync(join(ROOT, "benches/results.json"), "utf8")).transfer.wire : await run(www);
  if (!fromJson && !process.argv.includes("--no-write")) {
    const path = join(ROOT, "benches/results.json");
    const results = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
    results.transfer = { ...(results.transfer ?? {}), wire };
    writeFileSync(path, JSON.stringify(results, null, 2) + "\n");
  }
  const wasm = wire.wasm_files?.["pkg/speech_emotion_bg.wasm"];
  const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
  const rows = [...transferRows(wire), ...(wasm ? [["… pkg/speech_emotion_bg.wasm (raw / gzip / brotli 11)", `${mb(wasm.raw)} / ${mb(wasm.gzip)} / ${mb(wasm.br)}`, ""]] : [])];
  const lines = ["| measure | value | target |", "| --- | --- | --- |", ...rows.map((r) => `| ${r.join(" | ")} |`)];
  console.log(lines.join("\n"));
  if (fromJson) process.exit(0);
  for (const [name, v] of Object.entries(wire.by_encoding)) {
    console.log(`\n${name}: browser-reported bytes first / second / offline = ${v.first.browser_bytes} / ${v.second.browser_bytes} / ${v.offline.browser_bytes}; server-counted ${v.first.server_bytes} / ${v.second.server_bytes} / ${v.offline.server_bytes}`);
    for (const [file, f] of Object.entries(v.first.files).sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 6)) {
      console.log(`  first visit ${file}: ${f.requests} request(s), ${f.bodies} with a body, ${kb(f.bytes)}`);
    }
    for (const [file, f] of Object.entries(v.second.files)) console.log(`  second visit ${file}: ${f.requests} request(s), ${f.bodies} with a body, ${f.bytes} B`);
  }
}
