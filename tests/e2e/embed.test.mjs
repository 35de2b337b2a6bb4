// The npm package as a web developer gets it: `npm pack` of www/speech-emotion, installed
// from the tarball into a page with no bundler and into one built with Vite; each served
// with the strict CSP, then the <speech-emotion-meter> listens to the fake microphone and
// a file is classified through the one-line API, with the CLI's label and no request off
// the page's origin. The package's TypeScript types compile against a usage example.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";
import { CODES } from "../../www/speech-emotion/errors.js";
import { RAVDESS, ROOT, cliResults, launchBrowser, tempDir } from "./helpers.mjs";

const PACKAGE = join(ROOT, "www/speech-emotion");
const CLIP = join(RAVDESS, "Actor_03/03-01-05-02-01-01-03.flac");
const work = tempDir();
const npm = (args, cwd) => execFileSync("npm", ["--no-audit", "--no-fund", "--loglevel=error", ...args], { cwd, encoding: "utf8" });
const tarball = (() => {
  const [{ filename }] = JSON.parse(npm(["pack", PACKAGE, "--pack-destination", work, "--json"], work));
  return join(work, filename);
})();

/** A personal profile of Actor_03 from the CLI (two neutral, two angry clips), as JSON text. */
function cliProfile() {
  const csv = join(work, "enrol.csv");
  const clips = ["01-01-01", "01-01-02", "05-02-02", "05-01-01"].map((n) => join(RAVDESS, `Actor_03/03-01-${n}-01-03.flac`));
  writeFileSync(csv, "path,label\n" + clips.map((c, i) => `${c},${i < 2 ? "neutral" : "angry"}`).join("\n") + "\n");
  const out = join(work, "profile.json");
  execFileSync(join(ROOT, "target/debug/speech-emotion"), ["enrol", "-o", out, csv]);
  return readFileSync(out, "utf8");
}

/** A copy of an example page with the tarball installed beside it (never from the registry). */
function install(example) {
  const dir = join(work, example);
  cpSync(join(ROOT, "tests/embed", example), dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `embed-${example}`, private: true, type: "module" }));
  npm(["install", "--offline", "--no-package-lock", tarball], dir);
  return dir;
}

test("the tarball holds the API, both wasm builds, types, README and licences, and nothing else", () => {
  const [{ files }] = JSON.parse(npm(["pack", PACKAGE, "--dry-run", "--json"], work));
  const paths = files.map((f) => f.path).sort();
  for (const path of ["index.js", "index.d.ts", "meter.js", "worker.js", "capture-worklet.js", "pkg/speech_emotion_bg.wasm",
    "pkg-scalar/speech_emotion_bg.wasm", "README.md", "LICENSE-MIT", "LICENSE-APACHE", "LICENSE-MODEL.md", "package.json"]) {
    assert.ok(paths.includes(path), `${path} is packed: ${paths}`);
  }
  assert.deepEqual(paths.filter((p) => /\.(br|gz|tgz)$/.test(p)), [], "no pre-compressed copies");
  // Every JS module the package imports is packed (a missing one fails only in a browser).
  for (const file of paths.filter((p) => p.endsWith(".js"))) {
    const source = readFileSync(join(PACKAGE, file), "utf8");
    for (const [, spec] of source.matchAll(/(?:import\s*(?:[^"']*from\s*)?|import\(|new URL\()\s*["'](\.\/[^"']+)["']/g)) {
      const target = join(file, "..", spec);
      assert.ok(paths.includes(target) || target.endsWith(".wasm"), `${file} imports ${spec}, which is not packed`);
    }
  }
});

test("the demo page uses only the package's public exports", () => {
  const www = join(ROOT, "www");
  const demo = readdirSync(www).filter((f) => f.endsWith(".js") && f !== "asset-manifest.js");
  const used = demo.flatMap((file) =>
    [...readFileSync(join(www, file), "utf8").matchAll(/["'](?:\.\/)?speech-emotion\/([^"']+)["']/g)].map((m) => [file, `./${m[1]}`]));
  assert.ok(used.some(([file]) => file === "app.js"), "the page imports the package");
  const exported = Object.values(JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")).exports)
    .map((e) => (typeof e === "string" ? e : e.default));
  assert.deepEqual(used.filter(([, path]) => !exported.includes(path)), []);
});

test("the package version is the crate's (one version for the engine and the package)", () => {
  const cargo = readFileSync(join(ROOT, "Cargo.toml"), "utf8").match(/\[workspace\.package\][^[]*?version = "([^"]+)"/)[1];
  assert.equal(JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")).version, cargo);
});

test("the README's error table lists exactly the codes the package reports", () => {
  const readme = readFileSync(join(PACKAGE, "README.md"), "utf8");
  const listed = [...readme.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), Object.keys(CODES).sort());
  const declared = readFileSync(join(PACKAGE, "index.d.ts"), "utf8").match(/export type ErrorCode =([^;]+);/)[1];
  assert.deepEqual([...declared.matchAll(/"([a-z-]+)"/g)].map((m) => m[1]).sort(), Object.keys(CODES).sort());
});

test("the TypeScript types compile against the README's usage (and reject misuse)", () => {
  const dir = install("types");
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir], { cwd: dir, encoding: "utf8" });
});

const pages = {
  "no bundler": () => install("plain"),
  "built with Vite": () => {
    const dir = install("vite");
    execFileSync(process.execPath, [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: dir, encoding: "utf8" });
    return join(dir, "dist");
  },
};

for (const [name, prepare] of Object.entries(pages)) {
  describe(`embedded from the tarball, ${name}`, () => {
    let server, origin, browser, page;
    const requests = [];
    const errors = [];
    before(async () => {
      const root = prepare();
      assert.ok(existsSync(join(root, "index.html")));
      server = await serve(root, 0);
      origin = `http://127.0.0.1:${server.address().port}`;
      const wav = join(work, "speech-48k.wav");
      if (!existsSync(wav)) execFileSync("sox", [CLIP, "-r", "48000", "-c", "1", "-b", "16", wav]);
      browser = await launchBrowser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${wav}`]);
      page = await browser.newPage();
      page.context().on("request", (r) => requests.push(r.url()));
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(origin + "/");
    });
    after(async () => {
      await browser?.close();
      server?.close();
    });

    test("<speech-emotion-meter> listens to the microphone and shows bars", async () => {
      const button = page.locator("speech-emotion-meter").getByRole("button", { name: "Start listening" });
      await button.waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => !document.querySelector("speech-emotion-meter").shadowRoot.querySelector("button").disabled, null, { timeout: 60_000 });
      const labels = await page.locator("speech-emotion-meter [role=meter]").evaluateAll((bars) => bars.map((b) => b.dataset.label));
      assert.deepEqual(labels, ["neutral", "happy", "sad", "angry"]);
      await button.click();
      await page.waitForFunction(() => ["emotion", "uncertain"].includes(document.querySelector("speech-emotion-meter").dataset.state), null, { timeout: 20_000 });
      const widths = await page.locator("speech-emotion-meter [part=fill]").evaluateAll((fills) => fills.map((f) => parseFloat(f.style.width)));
      assert.ok(Math.abs(widths.reduce((a, b) => a + b, 0) - 100) <= 4, `bars sum to 100 %: ${widths}`);
      await page.locator("speech-emotion-meter").getByRole("button", { name: "Stop" }).click();
      await page.waitForFunction(() => document.querySelector("speech-emotion-meter").dataset.state === "idle");
    });

    test("classifyFile gives the native CLI's label", async () => {
      await page.setInputFiles("#file", CLIP);
      await page.waitForFunction(() => document.getElementById("label").dataset.label || document.getElementById("label").dataset.error, null, { timeout: 60_000 });
      assert.equal(await page.locator("#label").getAttribute("data-error"), null, await page.locator("#label").textContent());
      assert.equal(await page.locator("#label").getAttribute("data-label"), cliResults([CLIP])[0].label);
    });

    test("a file that is not audio is a SpeechEmotionError with code not-audio", async () => {
      await page.evaluate(() => delete document.getElementById("label").dataset.label);
      await page.setInputFiles("#file", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not audio at all") });
      await page.waitForFunction(() => document.getElementById("label").dataset.error, null, { timeout: 30_000 });
      assert.equal(await page.locator("#label").getAttribute("data-error"), "not-audio");
      assert.match(await page.locator("#label").textContent(), /"notes\.txt" is not an audio file this browser can decode/);
    });

    test("<speech-emotion-meter> takes a personal profile: every update is personal (last: the profile stays in use)", async () => {
      await page.evaluate((json) => (document.querySelector("speech-emotion-meter").profile = json), cliProfile());
      await page.locator("speech-emotion-meter").getByRole("button", { name: "Start listening" }).click();
      await page.waitForFunction(() => / · personal$/.test(document.querySelector("speech-emotion-meter").shadowRoot.querySelector(".state").textContent), null, { timeout: 20_000 });
      await page.locator("speech-emotion-meter").getByRole("button", { name: "Stop" }).click();
      await page.waitForFunction(() => document.querySelector("speech-emotion-meter").dataset.state === "idle");
    });

    test("every request stayed on the page's origin, and nothing failed", () => {
      assert.deepEqual(requests.filter((url) => !url.startsWith(origin + "/") && !/^(blob|data):/.test(url)), []);
      assert.deepEqual(errors, []);
    });
  });
}
