// The demo page in the other browser engines, Firefox ESR and WebKitGTK, driven over plain
// WebDriver (./webdriver.mjs): the model gets ready, a chosen file gets the native CLI's
// label, live listening with the engine's fake microphone gives predictions, and after the
// service worker is installed the page loads and classifies with the server stopped. Every
// request the page made stays on its origin.
//   node --test tests/engines/            both engines; SE_ENGINES=firefox (or webkit) for one
// An engine whose programs are missing FAILS, saying `bash scripts/setup.sh --engines`
// installs them, unless SE_ENGINES leaves it out.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../../scripts/serve.mjs";
import { ENGINES, launch, missing, saveScreenshot } from "./webdriver.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const RAVDESS = resolve(ROOT, "../shared/data/ravdess");
const CLI = join(ROOT, "target/debug/speech-emotion");
const ONLINE_CLIP = join(RAVDESS, "Actor_10/03-01-04-02-02-01-10.flac");
const OFFLINE_CLIP = join(RAVDESS, "Actor_08/03-01-03-02-02-01-08.flac");

const selected = (process.env.SE_ENGINES ?? Object.keys(ENGINES).join(",")).split(/[\s,]+/).filter(Boolean);
for (const name of selected) {
  if (!(name in ENGINES)) throw new Error(`SE_ENGINES: unknown engine "${name}" (known: ${Object.keys(ENGINES).join(", ")})`);
}

/** The native CLI's label for a file: the reference the page must agree with. */
function cliLabel(file) {
  assert.ok(existsSync(CLI), `${CLI} is missing: build it with \`cargo build\``);
  return JSON.parse(execFileSync(CLI, ["classify", "--format", "jsonl", file], { encoding: "utf8" }).trim()).label;
}

// What the page shows, for messages when a wait times out.
const PAGE_STATE = `const $ = (id) => document.getElementById(id);
  return { status: $("status")?.textContent, error: $("error")?.hidden ? null : $("error")?.textContent,
    state: $("live-state")?.dataset.state, updates: $("session-summary")?.dataset.updates, url: location.href };`;

// Firefox: a fake microphone (a tone) granted without a prompt. WebKitGTK: mock capture devices.
const OPTIONS = {
  firefox: {
    prefs: {
      "media.navigator.streams.fake": true,
      "media.navigator.permission.disabled": true,
      "media.autoplay.default": 0,
    },
  },
  webkit: { args: ["--enable-mock-capture-devices=true"] },
};

for (const engine of Object.keys(ENGINES)) {
  const excluded = !selected.includes(engine) && `left out by SE_ENGINES=${process.env.SE_ENGINES}`;
  describe(ENGINES[engine].title, { skip: excluded }, () => {
    let server, origin, browser, session;
    const seen = new Set(); // every URL in the page's performance timeline, over all loads
    let t0;

    /** Adds the page's navigation and resource entries (this document's) to `seen`. */
    const collectRequests = async () => {
      const urls = await session.execute("return performance.getEntries().filter((e) => e.entryType === 'navigation' || e.entryType === 'resource').map((e) => e.name);");
      for (const url of urls) seen.add(url);
    };

    // The status too: on a reload Firefox restores the buttons' disabled state from the page
    // before, so #start can be enabled before the model is ready.
    const ready = () =>
      session.waitUntil("const $ = (id) => document.getElementById(id); return !!$('start') && !$('start').disabled && $('status').textContent.startsWith('Ready');", {
        timeout: 120_000,
        what: "the model to be ready (#start enabled, status Ready)",
        describe: PAGE_STATE,
      });

    /** Chooses `file` in #file-input and returns the page's label once the result is shown. */
    const classify = async (file) => {
      const name = file.split("/").pop();
      await session.sendKeys("#file-input", file);
      await session.waitUntil(
        "const $ = (id) => document.getElementById(id); return $('status').textContent.startsWith(arguments[0] + ':') || !$('error').hidden;",
        { args: [name], timeout: 90_000, what: `the result for ${name}`, describe: PAGE_STATE },
      );
      const { error, label, hidden } = await session.execute(`const $ = (id) => document.getElementById(id);
        return { error: $("error").hidden ? null : $("error").textContent, label: $("result-label").dataset.label, hidden: $("result").hidden };`);
      assert.equal(error, null, `the page shows an error for ${name}: ${error}`);
      assert.equal(hidden, false, "#result is shown");
      return label;
    };

    before(async () => {
      const problem = missing(engine);
      if (problem) throw new Error(problem);
      t0 = Date.now();
      server = await serve(join(ROOT, "www"), 0);
      origin = `http://127.0.0.1:${server.address().port}`;
      browser = await launch(engine, OPTIONS[engine]);
      session = browser.session;
    });

    after(async () => {
      await browser?.close();
      server?.closeAllConnections();
      server?.close();
      if (t0) console.log(`${engine}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    // Keeps a screenshot of a failure, and says where.
    const step = (title, fn) =>
      test(title, async () => {
        try {
          await fn();
        } catch (error) {
          if (session) {
            const shot = await saveScreenshot(session, `${engine}-${title.replace(/\W+/g, "-")}`).catch(() => null);
            if (shot) error.message += `\n(screenshot: ${shot})`;
          }
          throw error;
        }
      });

    step("the page loads until the model is ready", async () => {
      await session.navigate(origin + "/");
      await ready();
      assert.equal(await session.execute("return document.getElementById('error').hidden;"), true, "no error shown");
    });

    step("a chosen file gets the native CLI's label", async () => {
      const expected = cliLabel(ONLINE_CLIP);
      assert.equal(await classify(ONLINE_CLIP), expected);
    });

    step("live listening with the fake microphone gives predictions", async () => {
      await session.click("#start");
      await session.waitUntil(
        "const $ = (id) => document.getElementById(id); return $('live-state').dataset.state !== 'idle' && Number($('session-summary').dataset.updates ?? 0) >= 3;",
        { timeout: 60_000, what: "live predictions (state not idle, 3 updates)", describe: PAGE_STATE },
      );
      const first = Number(await session.execute("return document.getElementById('session-summary').dataset.updates;"));
      await session.waitUntil("return Number(document.getElementById('session-summary').dataset.updates) > arguments[0];", {
        args: [first],
        timeout: 30_000,
        what: "more live predictions",
        describe: PAGE_STATE,
      });
      const state = await session.execute("return document.getElementById('live-state').dataset.state;");
      assert.ok(["listening", "emotion", "uncertain", "no_speech"].includes(state), state);
      await session.click("#stop");
      await session.waitUntil("return /microphone is released/.test(document.getElementById('status').textContent);", {
        timeout: 15_000,
        what: "the microphone to be released",
        describe: PAGE_STATE,
      });
      assert.equal(await session.execute("return document.getElementById('error').hidden;"), true, "no error shown");
    });

    step("with the server stopped, a reload is ready and classifies a file", async () => {
      const controlled = await session.executeAsync(`const done = arguments[arguments.length - 1];
        navigator.serviceWorker.ready.then(async () => {
          for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 100));
          done(!!navigator.serviceWorker.controller);
        }, (e) => done("service worker: " + e.message));`);
      assert.equal(controlled, true, "the page is controlled by an installed service worker");
      await collectRequests();
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections(); // no kept-alive connection may serve the reload
      });
      await assert.rejects(fetch(origin + "/"), "the server is down");
      // A person's reload. WebDriver's Refresh is not used: Firefox's bypasses the service
      // worker (like Shift+reload), so it shows "unable to connect" with the server down.
      await session.execute("document.documentElement.dataset.previousLoad = 'yes'; setTimeout(() => location.reload(), 0);");
      await session.waitUntil("return document.readyState === 'complete' && !document.documentElement.dataset.previousLoad;", {
        timeout: 60_000,
        acrossNavigation: true,
        what: "the reloaded page",
        describe: PAGE_STATE,
      });
      await ready();
      const expected = cliLabel(OFFLINE_CLIP);
      assert.equal(await classify(OFFLINE_CLIP), expected);
    });

    step("every request of the page stayed on its origin", async () => {
      await collectRequests();
      assert.ok([...seen].some((url) => url.startsWith(origin + "/")), [...seen].join("\n"));
      const foreign = [...seen].filter((url) => !url.startsWith(origin + "/") && !/^(blob|data):/.test(url));
      assert.deepEqual(foreign, []);
    });
  });
}
