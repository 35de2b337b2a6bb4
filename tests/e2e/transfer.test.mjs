// What goes over the wire, asserted as properties (bytes and request counts, never times):
// a first visit downloads each file at most once (page, Worker, AudioWorklet and the
// service worker's precache together), a revisit with nothing changed costs ≤ 20 KB, an
// offline visit costs nothing and still works, and a deploy is picked up as a whole: the
// old version keeps running unmixed until the new one is complete, then the page switches
// and only the changed files were downloaded. Served from a copy of www/ so files can change.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, launchBrowser, tempDir } from "./helpers.mjs";
import { MANIFEST, buildManifest, render } from "../../scripts/asset-manifest.mjs";
import { countingServer, listenBriefly, measureVisits, serviceWorkerSettled } from "../../benches/transfer.mjs";

const WWW = join(ROOT, "www");
let www;
let visits;

/** A copy of www/ with a version marker in the HTML, a page module and a script the Worker
 * and the service worker both load; the manifest regenerated as the build would. */
function mark(dir, version) {
  const html = readFileSync(join(dir, "index.html"), "utf8")
    .replace(/<meta name="deploy"[^>]*>\n/, "")
    .replace("</head>", `<meta name="deploy" content="${version}">\n</head>`);
  writeFileSync(join(dir, "index.html"), html);
  appendFileSync(join(dir, "timeline.js"), `\nglobalThis.deployMarker = "${version}";\n`);
  appendFileSync(join(dir, "speech-emotion/wasm-build.js"), `\nself.deployMarker = "${version}";\n`);
  writeFileSync(join(dir, MANIFEST), render(buildManifest(dir)));
}

async function markers(page) {
  const worker = page.workers().find((w) => w.url().includes("/worker.js"));
  return {
    html: await page.evaluate(() => document.querySelector('meta[name="deploy"]')?.content ?? null),
    page: await page.evaluate(() => globalThis.deployMarker ?? null),
    worker: worker ? await worker.evaluate(() => self.deployMarker ?? null) : "no worker",
  };
}

async function ready(page) {
  // Tolerates the navigation a version switch makes (an empty page that refreshes itself).
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await page.waitForFunction(() => document.getElementById("status")?.textContent.startsWith("Ready"), null, { timeout: 5_000 });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
}

before(async () => {
  execFileSync(process.execPath, [join(ROOT, "scripts/asset-manifest.mjs"), "--check", WWW], { stdio: "inherit" });
  www = join(tempDir(), "www");
  cpSync(WWW, www, { recursive: true });
  visits = await measureVisits(www);
});


test("the asset manifest is the build's: it fails on drift", () => {
  const copy = join(tempDir(), "www");
  cpSync(WWW, copy, { recursive: true, filter: (src) => !/\.(wasm|br|gz)$/.test(src) });
  writeFileSync(join(copy, MANIFEST), render(buildManifest(copy)));
  execFileSync(process.execPath, [join(ROOT, "scripts/asset-manifest.mjs"), "--check", copy], { stdio: "pipe" });
  appendFileSync(join(copy, "style.css"), "\n/* changed after the build */\n");
  assert.throws(() => execFileSync(process.execPath, [join(ROOT, "scripts/asset-manifest.mjs"), "--check", copy], { stdio: "pipe" }));
  const manifest = buildManifest(WWW);
  for (const path of ["index.html", "app.js", "csp-check.js", "csp-probe.js", ...["index.js", "worker.js", "capture-worklet.js", "wasm-build.js"].map((f) => `speech-emotion/${f}`)]) {
    assert.ok(path in manifest.shell, `${path} is precached`);
  }
  assert.ok("speech-emotion/pkg/speech_emotion_bg.wasm" in manifest.builds.pkg);
  assert.ok(!("sw.js" in manifest.shell) && !Object.keys(manifest.shell).some((p) => /\.(br|gz|d\.ts)$/.test(p)));
});

test("first visit: every file is downloaded at most once, Worker, AudioWorklet and service worker included", () => {
  const { first } = visits;
  assert.deepEqual(visits.page_errors, []);
  const twice = Object.entries(first.files).filter(([, f]) => f.bodies > 1);
  assert.deepEqual(twice, [], `downloaded more than once: ${JSON.stringify(twice)}`);
  for (const path of ["/speech-emotion/worker.js", "/speech-emotion/capture-worklet.js", "/sw.js", "/speech-emotion/pkg/speech_emotion_bg.wasm"]) {
    assert.ok(first.files[path]?.bodies === 1, `${path} was downloaded (${JSON.stringify(first.files[path])})`);
  }
  // Every file the page, its workers and the service worker asked for is in the manifest.
  const manifest = buildManifest(www);
  const known = new Set(["/", "/sw.js", `/${MANIFEST}`, ...Object.keys({ ...manifest.shell, ...manifest.builds.pkg }).map((p) => `/${p}`)]);
  assert.deepEqual(Object.keys(first.files).filter((p) => !known.has(p)), []);
  console.log(`first visit: ${first.server_bytes} bytes in ${first.requests} requests`);
});

test("second visit with nothing changed: ≤ 20 KB and no file body", () => {
  const { second } = visits;
  assert.ok(second.server_bytes <= 20_000, `second visit: ${second.server_bytes} bytes`);
  assert.equal(second.responses_with_body, 0, JSON.stringify(second.files));
  console.log(`second visit: ${second.server_bytes} bytes in ${second.requests} requests (all 304)`);
});

test("offline visit (host unreachable): nothing on the wire, the page gets ready and live listening gives predictions", () => {
  assert.equal(visits.offline.server_bytes, 0);
  assert.equal(visits.offline.requests, 0);
});

test("a deploy is picked up whole: old version unmixed until the new one is complete, only changed files downloaded", async () => {
  const dir = join(tempDir(), "www");
  cpSync(WWW, dir, { recursive: true });
  mark(dir, "v1");
  const server = await countingServer(dir);
  const browser = await launchBrowser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.origin + "/");
    await ready(page);
    await serviceWorkerSettled(page);
    await server.quiet();
    assert.deepEqual(await markers(page), { html: "v1", page: "v1", worker: "v1" });

    mark(dir, "v2"); // the deploy: three files and the manifest change, the wasm does not
    const from = server.log.length;
    await page.reload();
    await ready(page);
    // The old version runs, whole, while the new one installs in the background.
    assert.deepEqual(await markers(page), { html: "v1", page: "v1", worker: "v1" });
    await listenBriefly(page);
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      while (!registration.waiting) await new Promise((r) => setTimeout(r, 50));
    });
    await server.quiet();
    const downloaded = server.log.slice(from).filter((r) => r.status === 200).map((r) => r.path);
    assert.ok(!downloaded.some((p) => p.endsWith(".wasm")), `the unchanged wasm was not downloaded again: ${downloaded}`);
    for (const p of ["/timeline.js", "/", "/speech-emotion/wasm-build.js", `/${MANIFEST}`]) assert.ok(downloaded.includes(p), `${p} downloaded: ${downloaded}`);
    const counts = downloaded.reduce((m, p) => ({ ...m, [p]: (m[p] ?? 0) + 1 }), {});
    assert.ok(Object.values(counts).every((n) => n === 1), `each changed file once: ${JSON.stringify(counts)}`);

    // Reloading the only tab switches to the new version, whole.
    await page.reload();
    await ready(page);
    await serviceWorkerSettled(page);
    assert.deepEqual(await markers(page), { html: "v2", page: "v2", worker: "v2" });
    await listenBriefly(page);
  } finally {
    await browser.close();
    server.server.close();
  }
});
