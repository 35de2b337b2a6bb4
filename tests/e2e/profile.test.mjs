// "Teach it your voice" in real headless Chromium: a personal profile enrolled on the page
// from one Korean speaker's own clips (two per emotion) classifies that speaker's other
// sentences like the native CLI with the same clips (`speech-emotion enrol` + `--profile`),
// the exported profile works in the CLI, live updates from the fake microphone are
// personal, the Record button takes a clip from the microphone, and "Remember on this
// device" keeps only the profile in IndexedDB until Forget deletes it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ARTIFACTS, ROOT, launchBrowser, openReadyPage, parseCsv, startServer, tempDir } from "./helpers.mjs";

const KOREAN = resolve(ROOT, "../shared/data/korean");
const CLI = join(ROOT, "target/debug/speech-emotion");
const dir = tempDir();

// Speaker F: the first two clips of each emotion enrol; clips whose sentence no enrolment
// clip said are held out (the Rust test tests/personal_profile.rs takes the same ones).
const [header, ...rows] = parseCsv(readFileSync(join(KOREAN, "manifest.csv"), "utf8")).filter((r) => r.length > 1);
const col = (name) => header.indexOf(name);
const clips = rows.filter((r) => r[col("speaker")] === "F").map((r) => ({ path: join(KOREAN, r[col("path")]), emotion: r[col("emotion")], text: r[col("text")] }));
const enrolled = [];
for (const c of clips) if (enrolled.filter((e) => e.emotion === c.emotion).length < 2) enrolled.push(c);
const words = new Set(enrolled.map((c) => c.text));
const heldOut = clips.filter((c) => !words.has(c.text));
const emotions = [...new Set(enrolled.map((c) => c.emotion))];

// The native reference: the CLI's profile from the same clips, and its verdicts.
const csv = join(dir, "enrol.csv");
writeFileSync(csv, "path,label\n" + enrolled.map((c) => `${c.path},${c.emotion}`).join("\n") + "\n");
const cliProfile = join(dir, "cli-profile.json");
execFileSync(CLI, ["enrol", "-o", cliProfile, csv]);
const classify = (profile, files) =>
  execFileSync(CLI, ["classify", "--format", "jsonl", "--profile", profile, ...files], { encoding: "utf8" }).trim().split("\n").map((l) => JSON.parse(l));
const verdicts = classify(cliProfile, heldOut.map((c) => c.path));
// The held-out clip the CLI's profile gets right most surely: the page must say the same.
const best = verdicts.map((v, i) => ({ v, clip: heldOut[i] })).filter(({ v, clip }) => v.label === clip.emotion).sort((a, b) => b.v.confidence - a.v.confidence)[0];
assert.ok(best, "the CLI's profile gets at least one held-out clip right");

let server, origin;
before(async () => ({ server, origin } = await startServer()));
after(() => server?.close());

async function enrolFromFiles(page) {
  for (const emotion of emotions) {
    const files = enrolled.filter((c) => c.emotion === emotion).map((c) => c.path);
    await page.setInputFiles(`tr[data-label="${emotion}"] input.enrol-file`, files);
    await page.waitForSelector(`tr[data-label="${emotion}"][data-clips="2"]`, { timeout: 30_000 });
  }
  await page.waitForFunction(() => !document.getElementById("profile-use").disabled);
  await page.click("#profile-use");
  await page.waitForSelector('#profile-state[data-personal="true"]', { timeout: 60_000 });
}

const bars = (page) => page.$$eval("#bars .bar", (els) => Object.fromEntries(els.map((b) => [b.dataset.label, Number(b.getAttribute("aria-valuenow"))])));

test("a profile enrolled on the page classifies a held-out sentence like the CLI, and its export works in the CLI", async () => {
  const browser = await launchBrowser();
  try {
    const page = await openReadyPage(browser, origin);
    assert.match(await page.locator("#enrol-missing").textContent(), /at least 2 clips of each of at least 2 emotions/);
    await enrolFromFiles(page);
    assert.match(await page.locator("#profile-state").textContent(), /Personal profile profile-[0-9a-f]{16} in use/);
    await page.setInputFiles("#file-input", best.clip.path);
    await page.waitForSelector("#result:not([hidden])", { timeout: 30_000 });
    assert.equal(await page.locator("#result-label").getAttribute("data-label"), best.v.label);
    assert.match(await page.locator("#result-confidence").textContent(), / · personal$/);
    const shown = await bars(page);
    for (const [label, p] of Object.entries(best.v.probabilities)) {
      assert.ok(Math.abs(shown[label] - 100 * p) <= 1.01, `${label}: page ${shown[label]} %, CLI ${100 * p} %`);
    }
    // The exported profile is the one in use, and the CLI reads it and agrees.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#profile-export")]);
    const exported = join(dir, "page-profile.json");
    await download.saveAs(exported);
    const id = JSON.parse(readFileSync(exported, "utf8")).id;
    assert.equal(await page.locator("#profile-state").getAttribute("data-id"), id);
    const [again] = classify(exported, [best.clip.path]);
    assert.equal(again.label, best.v.label);
    assert.equal(again.profile, id);
    // Nothing was stored: the profile lives in the tab until Remember is picked.
    const stored = await page.evaluate(async () => (await indexedDB.databases()).length + localStorage.length);
    assert.equal(stored, 0);
    // "Stop using it": global results again.
    await page.click("#profile-off");
    await page.waitForSelector('#profile-state[data-personal="false"]');
  } finally {
    await browser.close();
  }
});

test("bad enrolments and profiles say what to do, and the profile in use stays", async () => {
  const browser = await launchBrowser();
  try {
    const page = await openReadyPage(browser, origin);
    // One emotion only: Use stays disabled and the panel says what is missing.
    await page.setInputFiles(`tr[data-label="${emotions[0]}"] input.enrol-file`, [enrolled[0].path]);
    await page.waitForSelector(`tr[data-label="${emotions[0]}"][data-clips="1"]`, { timeout: 30_000 });
    assert.match(await page.locator("#enrol-missing").textContent(), /Still missing: 1 more .*clips of 1 more emotion/);
    assert.ok(await page.locator("#profile-use").isDisabled());
    await page.click("#profile-forget");
    await page.waitForSelector(`tr[data-label="${emotions[0]}"][data-clips="0"]`);
    await enrolFromFiles(page);
    const id = await page.locator("#profile-state").getAttribute("data-id");
    // A damaged profile file and one made with another model are refused; this one stays.
    const damaged = join(dir, "damaged.json");
    writeFileSync(damaged, readFileSync(cliProfile, "utf8").slice(0, 200));
    await page.setInputFiles("#profile-import", damaged);
    await page.waitForSelector("#error:not([hidden])", { timeout: 30_000 });
    assert.match(await page.locator("#error").textContent(), /not a usable personal profile/);
    const foreign = JSON.parse(readFileSync(cliProfile, "utf8"));
    foreign.model.fingerprint = "0123456789abcdef";
    const foreignFile = join(dir, "foreign.json");
    writeFileSync(foreignFile, JSON.stringify(foreign));
    await page.setInputFiles("#profile-import", foreignFile);
    await page.waitForFunction(() => /enrol again with this model/.test(document.getElementById("error").textContent), null, { timeout: 30_000 });
    assert.equal(await page.locator("#profile-state").getAttribute("data-id"), id);
    // The CLI's own profile imports and is used as it is.
    await page.setInputFiles("#profile-import", cliProfile);
    const cliId = JSON.parse(readFileSync(cliProfile, "utf8")).id;
    await page.waitForFunction((want) => document.getElementById("profile-state").dataset.id === want, cliId, { timeout: 30_000 });
  } finally {
    await browser.close();
  }
});

test("live from the fake microphone: Record takes a clip, and every update with the profile is personal", async () => {
  const wav = join(dir, "held-out.wav");
  execFileSync("sox", [best.clip.path, "-r", "48000", "-c", "1", "-b", "16", wav]);
  const browser = await launchBrowser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${wav}`]);
  try {
    const page = await openReadyPage(browser, origin);
    await page.click(`tr[data-label="${emotions[0]}"] .enrol-record`);
    await page.waitForSelector(`tr[data-label="${emotions[0]}"][data-clips="1"]`, { timeout: 30_000 });
    assert.match(await page.locator(`tr[data-label="${emotions[0]}"] .enrol-have`).textContent(), /^1 clip, 4\.\d s · 1 more$/);
    await page.click("#profile-forget");
    await page.waitForSelector(`tr[data-label="${emotions[0]}"][data-clips="0"]`);
    await enrolFromFiles(page);
    await page.waitForFunction(() => / · personal$/.test(document.getElementById("live-state").textContent), null, { timeout: 30_000 });
    // The held-out sentence, looped by the fake microphone: over 8 s of personal updates the
    // session's label is the one the CLI's profile gives the clip.
    await page.click("#clear");
    await page.waitForFunction(() => Number(document.getElementById("session-summary").dataset.updates) >= 32, null, { timeout: 30_000 });
    assert.equal(await page.locator("#session-summary").getAttribute("data-label"), best.v.label);
    await page.screenshot({ path: join(ARTIFACTS, "profile-panel.png"), fullPage: true });
  } finally {
    await browser.close();
  }
});

test("Remember on this device keeps the profile across visits; Forget deletes it", async () => {
  const browser = await launchBrowser();
  try {
    const page = await openReadyPage(browser, origin);
    await page.check("#profile-remember");
    await enrolFromFiles(page);
    const id = await page.locator("#profile-state").getAttribute("data-id");
    await page.waitForFunction(async () => (await indexedDB.databases()).some((d) => d.name === "speech-emotion"));
    // What is kept is the profile's JSON, never audio.
    const kept = await page.evaluate(
      () =>
        new Promise((res) => {
          const r = indexedDB.open("speech-emotion");
          r.onsuccess = () => {
            const get = r.result.transaction("profile").objectStore("profile").get("json");
            get.onsuccess = () => {
              r.result.close();
              res(get.result);
            };
          };
        }),
    );
    assert.equal(JSON.parse(kept).id, id);
    assert.ok(kept.length < 10 * 1024, `${kept.length} bytes`);
    await page.reload();
    await page.waitForFunction((want) => document.getElementById("profile-state").dataset.id === want, id, { timeout: 60_000 });
    assert.ok(await page.locator("#profile-remember").isChecked());
    await page.click("#profile-forget");
    await page.waitForSelector('#profile-state[data-personal="false"]');
    await page.waitForFunction(async () => (await indexedDB.databases()).length === 0);
    await page.reload();
    await page.waitForFunction(() => !document.getElementById("start").disabled, null, { timeout: 60_000 });
    assert.equal(await page.locator("#profile-state").getAttribute("data-personal"), "false");
    assert.equal(await page.evaluate(async () => (await indexedDB.databases()).length), 0);
  } finally {
    await browser.close();
  }
});
