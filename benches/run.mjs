// Benchmarks: measured, never asserted. Prints a Markdown table and writes
// benches/results.json.   node benches/run.mjs [--updates N] [--hours H]
// Needs the wasm package (scripts/build-wasm.sh) and the release CLI (cargo build --release).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { serve } from "../scripts/serve.mjs";
import { ROOT, RAVDESS, launchBrowser } from "../tests/e2e/helpers.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const updates = Number(arg("updates", 1000));
const hours = Number(arg("hours", 1));
const pkg = arg("pkg", null); // e.g. /target/pkg-scalar/speech_emotion.js: another build
const skipCli = process.argv.includes("--no-cli");

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function transferSizes() {
  // What the page downloads: everything under www/ except type declarations.
  const rows = files(join(ROOT, "www"))
    .filter((f) => !f.endsWith(".d.ts") && !f.endsWith(".gitignore"))
    .map((f) => {
      const body = readFileSync(f);
      return { file: relative(join(ROOT, "www"), f), raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip }), { raw: 0, gzip: 0 });
  return { files: rows, total };
}

async function browserBench() {
  const server = await serve(ROOT, 0);
  const browser = await launchBrowser(["--enable-precise-memory-info"]);
  try {
    const page = await browser.newPage();
    const url = `http://127.0.0.1:${server.address().port}/benches/bench.html?updates=${updates}&hours=${hours}${pkg ? `&pkg=${encodeURIComponent(pkg)}` : ""}`;
    const tNav = Date.now();
    await page.goto(url);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 60 * 60_000, polling: 1000 });
    const result = await page.evaluate(() => window.benchResult);
    if (result.error) throw new Error(result.error);
    result.wall_s = (Date.now() - tNav) / 1000;
    result.chromium = browser.version();
    return result;
  } finally {
    await browser.close();
    server.close();
  }
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

const fmt = (x, digits = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

const sizes = transferSizes();
const browser = await browserBench();
const cli = skipCli ? null : cliThroughput();
const mem = browser.long_run.memory;
const first = mem.find((m) => m.minute === 1);
const last = mem.at(-1);
const results = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, chromium: browser.chromium },
  transfer: sizes,
  browser,
  cli,
  memory_growth_bytes: { wasm: last.wasm_bytes - first.wasm_bytes, js_heap: last.js_heap_bytes - first.js_heap_bytes },
};
writeFileSync(join(ROOT, "benches/results.json"), JSON.stringify(results, null, 2) + "\n");

console.log(`\nMachine: ${results.machine.cpus} × ${results.machine.cpu}; Chromium ${browser.chromium} headless; Node ${process.version}\n`);
console.log("| measure | value |\n|---|---|");
console.log(`| per update (250 ms of 48 kHz audio → resample + MFCC + model over 3 s), p50 | ${fmt(browser.update_ms.p50)} ms |`);
console.log(`| per update, p95 (n = ${browser.update_ms.n}) | ${fmt(browser.update_ms.p95)} ms |`);
console.log(`| start-up: wasm instantiated / model ready / first prediction | ${fmt(browser.startup_ms.wasm_instantiated, 0)} / ${fmt(browser.startup_ms.model_ready, 0)} / ${fmt(browser.startup_ms.first_prediction, 0)} ms |`);
console.log(`| page transfer, total (raw / gzip) | ${mb(sizes.total.raw)} / ${mb(sizes.total.gzip)} |`);
for (const f of sizes.files.slice(0, 3)) console.log(`| … ${f.file} (raw / gzip) | ${mb(f.raw)} / ${mb(f.gzip)} |`);
console.log(`| ${hours} h stream: wall time, × real time | ${fmt(browser.long_run.seconds, 0)} s, ${fmt(browser.long_run.realtime_factor, 0)}× |`);
console.log(`| memory growth minute 1 → ${last.minute}: wasm / JS heap | ${results.memory_growth_bytes.wasm} / ${results.memory_growth_bytes.js_heap} bytes |`);
if (cli) console.log(`| native CLI over ${cli.clips} RAVDESS clips (${fmt(cli.audio_s / 60, 0)} min of audio) | ${fmt(cli.wall_s, 1)} s, ${fmt(cli.realtime_factor, 0)}× real time |`);
console.log(`\nwritten to benches/results.json`);
