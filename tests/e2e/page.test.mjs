// The demo page in real headless Chromium: file classification agrees with the native CLI,
// bad files give a visible error, and every request stays on the page's origin.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, openSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, RAVDESS, ROOT, cliResults, launchBrowser, startServer, tempDir } from "./helpers.mjs";

const CLIPS = [
  "Actor_03/03-01-05-02-01-01-03.flac",
  "Actor_10/03-01-04-02-02-01-10.flac",
  "Actor_17/03-01-03-02-01-02-17.flac",
].map((p) => join(RAVDESS, p));

let browser, server, origin, page;
const requests = [];

before(async () => {
  ({ server, origin } = await startServer());
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(origin + "/");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function classifyInPage(file) {
  await page.setInputFiles("#file-input", file);
  const name = file.split("/").pop();
  await page.waitForFunction(
    (n) => {
      const status = document.getElementById("status").textContent;
      return status.startsWith(`${n}:`) || !document.getElementById("error").hidden;
    },
    name,
    { timeout: 60_000 },
  );
  const error = await page.locator("#error").textContent();
  assert.equal(await page.locator("#error").isHidden(), true, `unexpected error: ${error}`);
  return page.locator("#result-label").getAttribute("data-label");
}

test("a chosen file gets the same top label as the native CLI", async () => {
  const expected = cliResults(CLIPS);
  for (const [i, clip] of CLIPS.entries()) {
    const label = await classifyInPage(clip);
    assert.equal(label, expected[i].label, `${clip}: page says ${label}, CLI says ${expected[i].label}`);
    const bars = await page.locator("#bars [data-label]").count();
    assert.equal(bars, Object.keys(expected[i].probabilities).length);
  }
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.screenshot({ path: join(ARTIFACTS, "file-result-desktop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(ARTIFACTS, "file-result-phone.png"), fullPage: true });
});

test("browsers without wasm SIMD get the scalar build, with the same answers", async () => {
  assert.equal(await page.locator("#model-name").getAttribute("data-build"), "pkg", "Chromium has SIMD");
  assert.equal(await page.locator("#model-name").getAttribute("data-streaming"), "incremental", "the embedded model streams");
  const scalar = await browser.newPage();
  try {
    await scalar.goto(origin + "/?wasm=scalar");
    await scalar.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 60_000 });
    assert.equal(await scalar.locator("#model-name").getAttribute("data-build"), "pkg-scalar");
    const [expected] = cliResults([CLIPS[1]]);
    await scalar.setInputFiles("#file-input", CLIPS[1]);
    await scalar.waitForFunction(() => document.getElementById("status").textContent.includes(".flac:"), null, { timeout: 60_000 });
    assert.equal(await scalar.locator("#result-label").getAttribute("data-label"), expected.label);
  } finally {
    await scalar.close();
  }
});

test("a dropped 44.1 kHz stereo WAV gets the same top label as the native CLI", async () => {
  // The browser decodes and resamples with Web Audio, the CLI with symphonia and rubato.
  const wav = join(tempDir(), "angry-44k-stereo.wav");
  execFileSync("sox", [CLIPS[0], "-r", "44100", "-c", "2", "-b", "16", wav]);
  const [expected] = cliResults([wav]);
  const bytes = readFileSync(wav).toString("base64");
  await page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], "angry-44k-stereo.wav", { type: "audio/wav" }));
    document.getElementById("drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("angry-44k-stereo.wav:") || !document.getElementById("error").hidden, null, { timeout: 60_000 });
  assert.equal(await page.locator("#error").isHidden(), true, await page.locator("#error").textContent());
  assert.equal(await page.locator("#result-label").getAttribute("data-label"), expected.label);
});

test("a long WAV is read and classified in pieces, with the CLI's numbers", async () => {
  // 5 min of 48 kHz stereo: the worker reads it a block at a time (decodeAudioData would
  // hold all of it, decoded) and resamples with the same code as the CLI.
  const wav = join(tempDir(), "five-minutes.wav");
  execFileSync("sox", [CLIPS[2], "-r", "48000", "-c", "2", "-b", "16", wav, "pad", "0", "0.7", "repeat", "74", "trim", "0", "300"]);
  const [expected] = cliResults([wav]);
  const label = await classifyInPage(wav);
  assert.equal(await page.locator("#result").getAttribute("data-read"), "in-pieces");
  assert.equal(label, expected.label);
  // Windows start each second up to 297 s (30001 frames, 300 per window), and one more
  // covers the last frame.
  const segments = await page.locator("#segments li").allTextContents();
  assert.equal(segments.length, 299);
  assert.match(segments.at(-1), /^297\.0 s–300\.0 s: /);
  for (const [label, p] of Object.entries(expected.probabilities)) {
    const shown = Number(await page.locator(`#bars [data-label="${label}"]`).getAttribute("aria-valuenow"));
    assert.ok(Math.abs(shown - 100 * p) <= 0.51, `${label}: page ${shown} %, CLI ${100 * p} %`);
  }
  assert.equal(await page.locator("#result-note").isHidden(), true);
});

test("a truncated WAV is classified as far as it goes, and the page says so", async () => {
  const wav = join(tempDir(), "cut.wav");
  execFileSync("sox", [CLIPS[0], "-r", "44100", "-c", "2", "-b", "16", wav]);
  const bytes = readFileSync(wav);
  writeFileSync(wav, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const [expected] = cliResults([wav]);
  assert.match(expected.warnings[0], /^truncated: /);
  const label = await classifyInPage(wav);
  assert.equal(label, expected.label);
  assert.equal(await page.locator("#result-note").isVisible(), true);
  assert.equal(await page.locator("#result-note").textContent(), `Only part of this file could be used: ${expected.warnings[0]}.`);
});

test("the same file chosen again, or after a model change, is classified again", async () => {
  const [expected] = cliResults([CLIPS[1]]);
  await classifyInPage(CLIPS[1]);
  assert.match(await page.locator("#result-model").textContent(), new RegExp(`model ${expected.model.name} \\(${expected.model.fingerprint}\\)`));
  const forget = () => page.evaluate(() => {
    document.getElementById("status").textContent = "";
    document.getElementById("result-label").dataset.label = "";
  });
  await forget();
  assert.equal(await classifyInPage(CLIPS[1]), expected.label, "chosen again: classified again");

  // A model change puts the file through the new model (same weights, another name here).
  await forget();
  const dir = tempDir();
  const onnx = join(dir, "renamed.onnx");
  writeFileSync(onnx, readFileSync(join(ROOT, "models/emotion4.onnx")));
  const meta = join(dir, "renamed.json");
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(join(ROOT, "models/emotion4.json"), "utf8")), name: "renamed" }));
  await page.setInputFiles("#model-files", [onnx, meta]);
  await page.waitForFunction(() => document.getElementById("status").textContent.includes(".flac:"), null, { timeout: 60_000 });
  assert.equal(await page.locator("#result-label").getAttribute("data-label"), expected.label);
  const shownModel = await page.locator("#result-model").textContent();
  assert.match(shownModel, /model renamed \(([0-9a-f]{16})\)/);
  assert.ok(!shownModel.includes(expected.model.fingerprint), "another metadata, another fingerprint");
  await page.selectOption("#model-select", "builtin");
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById("status").textContent.includes(".flac:"), null, { timeout: 60_000 });
});

test("a model change while a long file is being classified classifies it again with the new model", async () => {
  // 5 min of 48 kHz stereo: ~55 pieces, classified in about 2 s here. The model is changed
  // from inside the page at the first progress (its files fetched once beforehand), so the
  // change lands mid-file; the test says so when it did not.
  const wav = join(tempDir(), "long-change.wav");
  execFileSync("sox", [CLIPS[2], "-r", "48000", "-c", "2", "-b", "16", wav, "pad", "0", "0.7", "repeat", "74", "trim", "0", "300"]);
  await page.evaluate(() => Promise.all(["models/emotion8.onnx", "models/emotion8.json"].map((url) => fetch(url).then((r) => r.arrayBuffer()))));
  const out = execFileSync(join(ROOT, "target/debug/speech-emotion"), ["--model", join(ROOT, "models/emotion8.onnx"), "classify", wav], { encoding: "utf8" });
  const expected = JSON.parse(out);
  await page.evaluate(() => {
    const status = document.getElementById("status");
    const model = document.getElementById("model-name");
    status.textContent = "";
    window.seen = []; // "model | status" at every change of either
    let switched = false;
    const observer = new MutationObserver(() => {
      window.seen.push(`${model.textContent.split(":")[0]} | ${status.textContent}`);
      if (!switched && /^Classifying long-change\.wav: /.test(status.textContent)) {
        switched = true;
        const select = document.getElementById("model-select");
        select.value = "emotion8";
        select.dispatchEvent(new Event("change"));
      }
      if (status.textContent.startsWith("long-change.wav:")) observer.disconnect();
    });
    for (const el of [status, model]) observer.observe(el, { childList: true, characterData: true, subtree: true });
  });
  await page.setInputFiles("#file-input", wav);
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion8:"), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("long-change.wav:") || !document.getElementById("error").hidden, null, { timeout: 60_000 });
  assert.equal(await page.locator("#error").isHidden(), true, await page.locator("#error").textContent());
  const seen = await page.evaluate(() => window.seen);
  const first = seen.find((s) => s.includes("| long-change.wav:"));
  assert.ok(first.startsWith("emotion8 |"), `the first result must come from the new model (else the change came too late to test this): ${seen.join("; ")}`);
  assert.match(await page.locator("#result-model").textContent(), new RegExp(`^long-change\\.wav · model emotion8 \\(${expected.model.fingerprint}\\)`));
  assert.equal(await page.locator("#bars [data-label]").count(), 8);
  assert.equal(await page.locator("#result-label").getAttribute("data-label"), expected.label);
  await page.selectOption("#model-select", "builtin");
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("long-change.wav:"), null, { timeout: 60_000 });
});

test("a 2 GB file that is not a WAV is refused up front with what to do", async () => {
  // Sparse: 2 GiB on disk costs nothing. Chromium cannot read it whole ("could not be read,
  // typically due to permission problems"); only WAVs are read in pieces.
  const big = join(tempDir(), "two-gigabytes.flac");
  const fd = openSync(big, "w");
  ftruncateSync(fd, 2 ** 31);
  closeSync(fd);
  await page.evaluate(() => (document.getElementById("error").hidden = true));
  await page.setInputFiles("#file-input", big);
  await page.locator("#error").waitFor({ state: "visible", timeout: 30_000 });
  const message = await page.locator("#error").textContent();
  assert.match(message, /^"two-gigabytes\.flac" is 2\.1 GB: only WAV files are read in pieces, and other formats are decoded whole, up to 256 MB\. Convert it to WAV, or cut it into shorter parts\.$/);
  assert.doesNotMatch(message, /permission/);
});

test("a file that changed after it was chosen says to choose it again", async () => {
  const dir = tempDir();
  const wav = join(dir, "changed.wav");
  execFileSync("sox", [CLIPS[0], "-r", "16000", "-c", "1", "-b", "16", wav]);
  // Chosen in an input the page does not watch, then changed on disk, then dropped: the
  // browser refuses to read a file that changed since it was chosen (NotReadableError).
  await page.evaluate(() => document.body.append(Object.assign(document.createElement("input"), { type: "file", id: "stash", hidden: true })));
  await page.setInputFiles("#stash", wav);
  writeFileSync(wav, readFileSync(wav).subarray(0, 20_000));
  utimesSync(wav, new Date(), new Date(Date.now() + 5000));
  await page.evaluate(() => (document.getElementById("error").hidden = true));
  await page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(document.getElementById("stash").files[0]);
    document.getElementById("drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await page.locator("#error").waitFor({ state: "visible", timeout: 30_000 });
  const message = await page.locator("#error").textContent();
  assert.match(message, /^"changed\.wav" could not be read \(NotReadableError\): .* Choose it again/);
  assert.doesNotMatch(message, /typically due to permission problems/);
  await page.evaluate(() => document.getElementById("stash").remove());
});

test("a file that is not audio shows a readable error", async () => {
  const bogus = join(tempDir(), "notes.wav");
  writeFileSync(bogus, "these are not the samples you are looking for");
  await page.setInputFiles("#file-input", bogus);
  await page.locator("#error").waitFor({ state: "visible", timeout: 30_000 });
  assert.match(await page.locator("#error").textContent(), /not an audio file/);
});

test("your own model loads, and one that does not fit gives a clear error", async () => {
  const dir = tempDir();
  const onnx = join(dir, "mine.onnx");
  writeFileSync(onnx, readFileSync(join(ROOT, "models/emotion4.onnx")));
  const meta = JSON.parse(readFileSync(join(ROOT, "models/emotion4.json"), "utf8"));
  const good = join(dir, "mine.json");
  writeFileSync(good, JSON.stringify({ ...meta, name: "mine" }));
  await page.setInputFiles("#model-files", [onnx, good]);
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("mine (your own)"), null, { timeout: 30_000 });

  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ ...meta, name: "bad", labels: ["a", "b", "c"], label_aliases: {}, speech: { ...meta.speech, output_index: 3 } }));
  await page.setInputFiles("#model-files", [onnx, bad]);
  await page.locator("#error").waitFor({ state: "visible", timeout: 30_000 });
  assert.match(await page.locator("#error").textContent(), /This model cannot be used: .*3 labels plus the speech output/);
  assert.match(await page.locator("#model-name").textContent(), /^mine \(your own\)/, "the working model stays");

  // Duplicate labels would make two bars one: refused, and the working model stays.
  const twice = join(dir, "twice.json");
  writeFileSync(twice, JSON.stringify({ ...meta, name: "twice", labels: ["neutral", "sad", "sad", "angry"] }));
  await page.setInputFiles("#model-files", [onnx, twice]);
  await page.waitForFunction(() => /appears more than once/.test(document.getElementById("error").textContent), null, { timeout: 30_000 });
  assert.match(await page.locator("#model-name").textContent(), /^mine \(your own\)/, "the working model stays");

  // A graph that makes tract panic while loading (found by fuzzing): in wasm the panic
  // aborts the instance, so the page restarts its worker with the built-in model.
  const tiny = readFileSync(join(ROOT, "fuzz/tiny/tiny.onnx"));
  tiny[1_462_334_316 % tiny.length] = 92;
  const panicking = join(dir, "panicking.onnx");
  writeFileSync(panicking, tiny);
  await page.setInputFiles("#model-files", [panicking, good]);
  await page.waitForFunction(() => /This model cannot be used/.test(document.getElementById("error").textContent), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 60_000 });
  assert.equal(await page.locator("#model-select").inputValue(), "builtin");
  assert.match(await classifyInPage(CLIPS[0]), /^(neutral|happy|sad|angry)$/, "the restarted worker classifies");

  await page.setInputFiles("#model-files", [onnx]);
  assert.match(await page.locator("#error").textContent(), /Choose two files together/);
  await page.selectOption("#model-select", "builtin");
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 30_000 });
});

test("model files named in capitals (.ONNX, .JSON) load", async () => {
  const dir = tempDir();
  const onnx = join(dir, "MINE.ONNX");
  writeFileSync(onnx, readFileSync(join(ROOT, "models/emotion4.onnx")));
  const meta = join(dir, "MINE.JSON");
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(join(ROOT, "models/emotion4.json"), "utf8")), name: "capitals" }));
  await page.evaluate(() => (document.getElementById("error").hidden = true));
  await page.setInputFiles("#model-files", [onnx, meta]);
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("capitals (your own)") || !document.getElementById("error").hidden, null, { timeout: 30_000 });
  assert.equal(await page.locator("#error").isHidden(), true, await page.locator("#error").textContent());

  // The same two files chosen again after the built-in model: loaded again (a file input
  // fires no "change" for the files it already holds unless it is emptied).
  await page.selectOption("#model-select", "builtin");
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 30_000 });
  await page.setInputFiles("#model-files", [onnx, meta]);
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("capitals (your own)"), null, { timeout: 30_000 });
  await page.selectOption("#model-select", "builtin");
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 30_000 });
});

test("the 8-class model beside the page can be chosen and agrees with the CLI", async () => {
  await page.selectOption("#model-select", "emotion8");
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion8:"), null, { timeout: 30_000 });
  const onnx = join(ROOT, "models/emotion8.onnx");
  const out = execFileSync(join(ROOT, "target/debug/speech-emotion"), ["--model", onnx, "classify", CLIPS[1]], { encoding: "utf8" });
  const expected = JSON.parse(out);
  assert.equal(await classifyInPage(CLIPS[1]), expected.label);
  assert.equal(await page.locator("#bars [data-label]").count(), 8);
  assert.match(await page.locator("#result-model").textContent(), new RegExp(`model emotion8 \\(${expected.model.fingerprint}\\)`));
  await page.selectOption("#model-select", "builtin");
  await page.waitForFunction(() => document.getElementById("model-name").textContent.startsWith("emotion4:"), null, { timeout: 30_000 });
});

test("every request went to the page's own origin", () => {
  assert.ok(requests.length > 0);
  const foreign = requests.filter((url) => !url.startsWith(origin + "/") && !url.startsWith("blob:") && !url.startsWith("data:"));
  assert.deepEqual(foreign, []);
});
