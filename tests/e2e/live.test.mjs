// The live page in real headless Chromium with a fake microphone fed from a WAV file:
// bars update several times a second, the session's top label agrees with the native CLI
// on the same audio, silence is "no speech", a denied microphone shows what to do, the
// page works offline after the first visit, and nothing is requested after Start.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, RAVDESS, ROOT, cliResults, launchBrowser, openReadyPage, parseCsv, startServer, tempDir } from "./helpers.mjs";

const fakeMic = (wav) => [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  `--use-file-for-fake-audio-capture=${wav}`,
];

let server, origin;
const dir = tempDir();
// A real shared clip as a 48 kHz WAV (Chromium's fake microphone loops it).
const speechWav = join(dir, "angry-48k.wav");
execFileSync("sox", [join(RAVDESS, "Actor_03/03-01-05-02-01-01-03.flac"), "-r", "48000", "-c", "1", "-b", "16", speechWav]);
const silenceWav = join(dir, "silence.wav");
execFileSync("sox", ["-n", "-r", "48000", "-c", "1", "-b", "16", silenceWav, "trim", "0", "5"]);

before(async () => ({ server, origin } = await startServer()));
after(() => server?.close());

const openPage = (browser) => openReadyPage(browser, origin);

const entries = (page) => page.evaluate(() => document.getElementById("session-summary").textContent);

describe("live listening with a fake microphone", () => {
  let browser, page;
  const requests = [];
  before(async () => {
    browser = await launchBrowser(fakeMic(speechWav));
    page = await openPage(browser);
    page.context().on("request", (r) => requests.push({ url: r.url(), at: Date.now() }));
  });
  after(() => browser?.close());

  test("bars update at least four times a second and agree with the CLI", async () => {
    const [expected] = cliResults([speechWav]);
    const started = Date.now();
    await page.click("#start");
    await page.locator("#stop").waitFor({ state: "visible" });
    assert.equal(await page.locator("#live-bars [data-label]").count(), Object.keys(expected.probabilities).length);
    const count = () => page.evaluate(() => Number(document.getElementById("session-summary").dataset.updates ?? 0));
    await page.waitForFunction(() => Number(document.getElementById("session-summary").dataset.updates ?? 0) >= 2, null, { timeout: 30_000 });
    const first = await count();
    const t0 = Date.now();
    await page.waitForTimeout(3000);
    const rate = (await count() - first) / ((Date.now() - t0) / 1000);
    assert.ok(rate >= 3.5, `updates per second: ${rate.toFixed(2)}`);
    // Let the looped clip play at least twice so the session average is over real speech.
    await page.waitForFunction(() => Number(document.getElementById("session-summary").dataset.updates ?? 0) >= 40, null, { timeout: 30_000 });
    const label = await page.locator("#session-summary").getAttribute("data-label");
    assert.equal(label, expected.label, `page session says ${label} (${await entries(page)}), CLI says ${expected.label}`);
    const state = await page.locator("#live-state").getAttribute("data-state");
    assert.ok(["emotion", "uncertain", "no_speech"].includes(state), state);
    const afterStart = requests.filter((r) => r.at > started);
    assert.deepEqual(afterStart.map((r) => r.url), [], "no request at all after Start");

    await page.setViewportSize({ width: 1200, height: 1000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, "live-desktop.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, "live-phone.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, "live-phone-dark.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light", reducedMotion: "no-preference" });
  });

  test("history exports as CSV and JSON, then clears", async () => {
    const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    const csv = readFileSync(await csvDownload.path(), "utf8").trim().split("\n");
    assert.match(csv[0], /^time_s,state,label,neutral,happy,sad,angry,calibrated,model,model_fingerprint$/);
    assert.ok(csv.length > 10, `${csv.length} CSV lines`);
    // Every export names the model the way the CLI does: same name, same fingerprint.
    const [cli] = cliResults([speechWav]);
    assert.ok(csv.slice(1).every((row) => row.endsWith(`,false,${cli.model.name},${cli.model.fingerprint}`)), csv[1]);
    const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.click("#export-json")]);
    const json = JSON.parse(readFileSync(await jsonDownload.path(), "utf8"));
    assert.deepEqual(json.labels, ["neutral", "happy", "sad", "angry"]);
    assert.deepEqual(json.model, cli.model);
    assert.ok(json.predictions.every((p) => p.calibrated === false));
    assert.ok(json.predictions.length >= csv.length - 1);
    await page.click("#stop");
    assert.match(await page.locator("#status").textContent(), /microphone is released/);
    await page.click("#clear");
    assert.equal(await page.evaluate(() => Number(document.getElementById("session-summary").dataset.updates ?? 0)), 0);
  });

  test("labels from a model's metadata neither split the CSV header nor run as formulas", async () => {
    // Same weights, hostile names: a comma, quotes, a line break and formulas, as anyone's
    // metadata may hold. Exported, they are quoted (RFC 4180) and start with ' like the CLI's.
    const meta = JSON.parse(readFileSync(join(ROOT, "models/emotion4.json"), "utf8"));
    const labels = ["=1+1", "a,b", 'say "hi"', "two\nlines"];
    writeFileSync(join(dir, "hostile.json"), JSON.stringify({ ...meta, name: "@model", labels, label_aliases: {} }));
    await page.setInputFiles("#model-files", [join(ROOT, "models/emotion4.onnx"), join(dir, "hostile.json")]);
    await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("@model (your own)"), null, { timeout: 30_000 });
    await page.click("#start");
    await page.waitForFunction(() => Number(document.getElementById("session-summary").dataset.updates ?? 0) >= 3, null, { timeout: 30_000 });
    await page.click("#stop");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    const rows = parseCsv(readFileSync(await download.path(), "utf8"));
    assert.deepEqual(rows[0], ["time_s", "state", "label", "'=1+1", "a,b", 'say "hi"', "two\nlines", "calibrated", "model", "model_fingerprint"]);
    assert.ok(rows.length >= 4, `${rows.length} rows`);
    for (const row of rows.slice(1)) {
      assert.equal(row.length, rows[0].length, row.join("|"));
      assert.equal(row[8], "'@model");
      assert.ok(row[2] === "" || ["'=1+1", ...labels.slice(1)].includes(row[2]), row[2]);
      assert.ok(row.every((cell) => !/^[=+\-@]/.test(cell)), row.join("|"));
    }
    await page.click("#clear");
    await page.selectOption("#model-select", "builtin");
    await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 30_000 });
  });

  test("every request of the session stayed on the page's origin", () => {
    const foreign = requests.filter((r) => !r.url.startsWith(origin + "/") && !/^(blob|data):/.test(r.url));
    assert.deepEqual(foreign, []);
  });
});

test("a silent microphone shows no speech", async () => {
  const browser = await launchBrowser(fakeMic(silenceWav));
  try {
    const page = await openPage(browser);
    await page.click("#start");
    await page.waitForFunction(() => Number(document.getElementById("session-summary").dataset.updates ?? 0) >= 6, null, { timeout: 30_000 });
    assert.equal(await page.locator("#live-state").getAttribute("data-state"), "no_speech");
    assert.equal(await page.locator("#live-state").textContent(), "No speech");
    assert.equal(await page.locator("#session-summary").textContent(), "No speech yet.");
  } finally {
    await browser.close();
  }
});

test("a denied microphone shows what to do", async () => {
  const browser = await launchBrowser(["--use-fake-device-for-media-stream", "--deny-permission-prompts"]);
  try {
    const page = await openPage(browser);
    await page.click("#start");
    await page.locator("#error").waitFor({ state: "visible", timeout: 30_000 });
    assert.match(await page.locator("#error").textContent(), /Microphone access was denied\. Allow the microphone/);
    assert.equal(await page.locator("#start").isVisible(), true);
    assert.equal(await page.locator("#live-state").textContent(), "Not listening");
  } finally {
    await browser.close();
  }
});

test("after a first visit the page classifies a file offline", async () => {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(origin + "/");
    await page.waitForFunction(() => !document.getElementById("start").disabled, null, { timeout: 60_000 });
    await page.evaluate(() => navigator.serviceWorker.ready);
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => !document.getElementById("start").disabled, null, { timeout: 60_000 });
    const clip = join(RAVDESS, "Actor_08/03-01-03-02-02-01-08.flac");
    const [expected] = cliResults([clip]);
    await page.setInputFiles("#file-input", clip);
    await page.waitForFunction(() => document.getElementById("status").textContent.includes(".flac:"), null, { timeout: 60_000 });
    assert.equal(await page.locator("#result-label").getAttribute("data-label"), expected.label);
  } finally {
    await browser.close();
  }
});

test("the page is served with a strict Content-Security-Policy", async () => {
  const response = await fetch(origin + "/");
  const csp = response.headers.get("content-security-policy");
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /https?:|\*/);
});
