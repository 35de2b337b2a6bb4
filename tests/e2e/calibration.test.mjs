// Speaker calibration on the page, in real headless Chromium: from the live microphone
// (15 s of the fake microphone's speech) and from a chosen recording; every result then says
// it is calibrated, "New speaker" forgets it, and nothing about it is stored.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { RAVDESS, launchBrowser, openReadyPage, startServer, tempDir } from "./helpers.mjs";

let server, origin;
const dir = tempDir();
// Calm speech of one actor: three neutral/calm clips joined (about 6 s of voice).
const calmWav = join(dir, "calm.wav");
execFileSync("sox", [
  join(RAVDESS, "Actor_08/03-01-01-01-01-01-08.flac"),
  join(RAVDESS, "Actor_08/03-01-01-01-02-01-08.flac"),
  join(RAVDESS, "Actor_08/03-01-02-01-01-01-08.flac"),
  "-r", "48000", "-c", "1", "-b", "16", calmWav,
]);
const angryFlac = join(RAVDESS, "Actor_08/03-01-05-02-01-01-08.flac");

before(async () => ({ server, origin } = await startServer()));
after(() => server?.close());

const openPage = (browser) => openReadyPage(browser, origin);

const calibrated = (page) => page.locator("#calibration-state").getAttribute("data-calibrated");

test("calibrating from a recording marks every result as calibrated; New speaker forgets it", async () => {
  const browser = await launchBrowser();
  try {
    const page = await openPage(browser);
    assert.equal(await calibrated(page), "false");
    await page.setInputFiles("#calibration-file", calmWav);
    await page.waitForFunction(() => document.getElementById("calibration-state").dataset.calibrated === "true", null, { timeout: 30_000 });
    assert.match(await page.locator("#calibration-state").textContent(), /Calibrated to this voice \(\d+\.\d s of speech\)/);
    await page.setInputFiles("#file-input", angryFlac);
    await page.waitForSelector("#result:not([hidden])", { timeout: 30_000 });
    assert.match(await page.locator("#result-confidence").textContent(), /calibrated/);
    await page.click("#new-speaker");
    await page.waitForFunction(() => document.getElementById("calibration-state").dataset.calibrated === "false");
    assert.ok(await page.locator("#new-speaker").isDisabled());
    // The same recording chosen again calibrates again (the input is emptied after each choice,
    // or it would fire no "change" for the file it already holds).
    await page.setInputFiles("#calibration-file", calmWav);
    await page.waitForFunction(() => document.getElementById("calibration-state").dataset.calibrated === "true", null, { timeout: 30_000 });
    await page.click("#new-speaker");
    await page.waitForFunction(() => document.getElementById("calibration-state").dataset.calibrated === "false");
    // Nothing of the calibration is kept anywhere.
    const stored = await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
    assert.equal(stored, 0);
  } finally {
    await browser.close();
  }
});

test("too little speech in a calibration recording gives a readable error", async () => {
  const browser = await launchBrowser();
  try {
    const page = await openPage(browser);
    const short = join(dir, "short.wav");
    execFileSync("sox", [angryFlac, short, "trim", "0", "1"]);
    await page.setInputFiles("#calibration-file", short);
    await page.waitForSelector("#error:not([hidden])", { timeout: 30_000 });
    assert.match(await page.locator("#error").textContent(), /needs at least 3 s of speech/);
    assert.equal(await calibrated(page), "false");
  } finally {
    await browser.close();
  }
});

test("calibrating from the live microphone takes 15 s and then every update is calibrated", async () => {
  const browser = await launchBrowser([
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${calmWav}`,
  ]);
  try {
    const page = await openPage(browser);
    await page.click("#calibrate");
    await page.waitForFunction(() => document.getElementById("calibration-state").dataset.calibrated === "true", null, { timeout: 60_000 });
    await page.waitForFunction(() => / · calibrated$/.test(document.getElementById("live-state").textContent), null, { timeout: 10_000 });
  } finally {
    await browser.close();
  }
});
