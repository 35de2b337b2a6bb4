// Benchmarks: measured, never asserted. Prints a Markdown table and writes
// benches/results.json.
//   node benches/run.mjs [--updates N] [--hours H] [--no-cli]
//   node benches/run.mjs --startup-only [--runs N]   only load → ready → Start → first bars,
//     N times (default 5), as a table and benches/startup.json
// Needs both wasm builds (scripts/build-wasm.sh), the release CLI (cargo build --release)
// and the comparison packages in benches/node_modules (npm ci --prefix benches);
// scripts/bench.sh does all of that first.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { serve } from "../scripts/serve.mjs";
import { ROOT, RAVDESS, launchBrowser, tempDir } from "../tests/e2e/helpers.mjs";
import { renderTable } from "./table.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const updates = Number(arg("updates", 1000));
const hours = Number(arg("hours", 1));
const skipCli = process.argv.includes("--no-cli");

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const sizeOf = (path) => {
  const body = readFileSync(path);
  return { raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
};
const sum = (rows) => rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip }), { raw: 0, gzip: 0 });

/** What a browser with wasm SIMD downloads for the page: everything under www/ except the
 * scalar build, type declarations and the optional extra models (fetched only when chosen). */
function transferSizes() {
  const www = join(ROOT, "www");
  const rows = files(www)
    .map((f) => relative(www, f))
    .filter((f) => !f.endsWith(".d.ts") && !f.startsWith("speech-emotion/pkg-scalar/") && !/^models\/.*\.(onnx|json)$/.test(f) || f === "models/index.json")
    .map((file) => ({ file, ...sizeOf(join(www, file)) }))
    .sort((a, b) => b.gzip - a.gzip);
  return { files: rows, total: sum(rows) };
}

/** The golden clips as raw float32 for the MFCC comparison page (it cannot read ../shared). */
const cache = join(ROOT, "benches/.cache");

function prepareClips() {
  const golden = JSON.parse(readFileSync(join(ROOT, "tests/golden/mfcc_golden.json"), "utf8"));
  mkdirSync(cache, { recursive: true });
  for (const c of golden.cases.filter((c) => c.clip)) {
    const out = join(cache, `${c.clip.replaceAll("/", "_")}.f32`);
    if (!existsSync(out)) execFileSync("sox", [join(RAVDESS, c.clip), "-t", "f32", "-c", "1", out]);
  }
}

async function withServer(fn) {
  const server = await serve(ROOT, 0, { isolate: "/benches/" });
  try {
    return await fn(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.close();
  }
}

/** benches/bench.html in a fresh headless Chromium. */
function benchPage(query) {
  return withServer(async (origin) => {
    const browser = await launchBrowser(["--enable-precise-memory-info", "--js-flags=--expose-gc"]);
    try {
      const page = await browser.newPage();
      const requests = [];
      page.on("requestfinished", (r) => requests.push(new URL(r.url()).pathname));
      const tNav = Date.now();
      await page.goto(`${origin}/benches/bench.html?${new URLSearchParams({ updates, ...query })}`);
      await page.waitForFunction(() => window.benchResult, null, { timeout: 60 * 60_000, polling: 1000 });
      const result = await page.evaluate(() => window.benchResult);
      if (result.error) throw new Error(result.error);
      result.wall_s = (Date.now() - tNav) / 1000;
      result.chromium = browser.version();
      result.requests = requests;
      return result;
    } finally {
      await browser.close();
    }
  });
}

/** The real page with a fake microphone: load → model ready → Start → first bars, first in
 * a fresh profile (cold), then reloaded in the same profile (warm: HTTP and service-worker
 * caches). */
function startup() {
  const wav = join(tempDir(), "speech.wav");
  execFileSync("sox", [join(RAVDESS, "Actor_03/03-01-03-02-02-02-03.flac"), "-r", "48000", wav]);
  return withServer(async (origin) => {
    const browser = await launchBrowser([
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${wav}`,
    ]);
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const measure = async (load) => {
        const t0 = Date.now();
        await load();
        await page.waitForFunction(() => !document.getElementById("start").disabled, null, { timeout: 60_000 });
        const ready = Date.now() - t0;
        const tClick = Date.now();
        await page.click("#start");
        // The first prediction is drawn in the same task that adds it to the timeline.
        await page.waitForFunction(() => Number(document.getElementById("session-summary").dataset.updates ?? 0) >= 1, null, { timeout: 60_000, polling: 5 });
        const firstBars = Date.now() - tClick;
        await page.click("#stop");
        return { page_load_to_model_ready_ms: ready, click_to_first_bars_ms: firstBars };
      };
      const cold = await measure(() => page.goto(origin + "/www/"));
      await page.evaluate(() => navigator.serviceWorker.ready);
      const warm = await measure(() => page.reload());
      return { cold, warm };
    } finally {
      await browser.close();
    }
  });
}

function cliThroughput() {
  const exe = join(ROOT, "target/release/speech-emotion");
  statSync(exe);
  const manifest = readFileSync(join(RAVDESS, "manifest.csv"), "utf8").trim().split("\n");
  const header = manifest[0].split(",");
  const audioSeconds = manifest.slice(1).reduce((s, line) => s + Number(line.split(",")[header.indexOf("duration_s")]), 0);
  const start = process.hrtime.bigint();
  execFileSync(exe, ["classify", RAVDESS], { stdio: ["ignore", "ignore", "ignore"] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { clips: manifest.length - 1, audio_s: audioSeconds, wall_s: seconds, realtime_factor: audioSeconds / seconds };
}

/**
 * Peak memory of the CLI on one long file (10 min and 2 h of 48 kHz stereo 16-bit WAV,
 * RAVDESS speech repeated): the file is decoded and classified in a stream, so the peak
 * should not grow with the length. Measured with GNU time's maximum resident set size.
 */
function cliLongFileMemory() {
  const exe = join(ROOT, "target/release/speech-emotion");
  const clip = join(RAVDESS, "Actor_01/03-01-05-01-01-01-01.flac");
  return [600, 7200].map((seconds) => {
    const wav = join(cache, `long-${seconds}s-48k-stereo.wav`);
    if (!existsSync(wav)) {
      const repeats = Math.ceil(seconds / 3.3);
      execFileSync("sox", [clip, "-r", "48000", "-c", "2", "-b", "16", wav, "repeat", String(repeats), "trim", "0", String(seconds)]);
    }
    const start = process.hrtime.bigint();
    const run = spawnSync("/usr/bin/time", ["-v", exe, "classify", wav], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (run.status !== 0) throw new Error(`the CLI failed on ${wav}: ${run.stderr}`);
    const report = run.stderr;
    const wall_s = Number(process.hrtime.bigint() - start) / 1e9;
    const rssKib = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(report)[1]);
    return { audio_s: seconds, file_bytes: statSync(wav).size, wall_s, peak_rss_bytes: rssKib * 1024 };
  });
}

if (process.argv.includes("--startup-only")) {
  const runs = [];
  for (let i = 0, n = Number(arg("runs", 5)); i < n; i++) runs.push(await startup());
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const pick = (visit, key) => median(runs.map((r) => r[visit][key]));
  const summary = Object.fromEntries(["cold", "warm"].map((visit) => [visit, {
    page_load_to_model_ready_ms: pick(visit, "page_load_to_model_ready_ms"),
    click_to_first_bars_ms: pick(visit, "click_to_first_bars_ms"),
  }]));
  const out = { date: new Date().toISOString().slice(0, 10), commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim(), runs, median: summary };
  writeFileSync(join(ROOT, "benches/startup.json"), JSON.stringify(out, null, 2) + "\n");
  console.log(`| visit | load → model ready (median of ${runs.length}) | click Start → first bars |\n|---|---|---|`);
  for (const visit of ["cold", "warm"]) console.log(`| ${visit} | ${summary[visit].page_load_to_model_ready_ms} ms | ${summary[visit].click_to_first_bars_ms} ms |`);
  process.exit(0);
}

prepareClips();
const sizes = transferSizes();
console.error("SIMD build: updates, stages, onnxruntime-web, Meyda, long run…");
const simd = await benchPage({ hours, ort: 1, meyda: 1 });
console.error("scalar build: updates and stages…");
const scalar = await benchPage({ hours: 0, pkg: "/www/speech-emotion/pkg-scalar/speech_emotion.js" });
console.error("page start-up, cold and warm…");
const start = await startup();
const cli = skipCli ? null : cliThroughput();
const cliLong = skipCli ? null : cliLongFileMemory();

const ortFiles = [...new Set(simd.requests.filter((p) => p.includes("/onnxruntime-web/") || p.endsWith(".onnx")))];
const ortTransfer = sum(ortFiles.map((p) => sizeOf(join(ROOT, p))));
const mem = simd.long_run.memory;
const first = mem.find((m) => m.minute === 1);
const last = mem.at(-1);
const results = {
  run: { date: new Date().toISOString().slice(0, 10), updates, hours },
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version, chromium: simd.chromium },
  transfer: sizes,
  simd,
  scalar,
  startup: start,
  onnxruntime_web_transfer: { files: ortFiles, ...ortTransfer },
  cli,
  cli_long_file: cliLong,
  memory_growth_bytes: first ? { wasm: last.wasm_bytes - first.wasm_bytes, js_heap: last.js_heap_bytes - first.js_heap_bytes } : null,
};
// Keys other runs wrote (transfer.wire by benches/transfer.mjs) are kept.
const resultsPath = join(ROOT, "benches/results.json");
const previous = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, "utf8")) : {};
results.transfer = { ...previous.transfer, ...sizes };
writeFileSync(resultsPath, JSON.stringify({ ...previous, ...results }, null, 2) + "\n");

const table = renderTable(results);
writeFileSync(join(ROOT, "benches/results.md"), table);
console.log("\n" + table);
console.log(`\nwritten to benches/results.json and benches/results.md`);
