// Shared set-up for the browser tests: the static server, Debian's Chromium via
// playwright-core, and the native CLI as the reference.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../../scripts/serve.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const RAVDESS = resolve(ROOT, "../shared/data/ravdess");
export const ARTIFACTS = join(ROOT, "tests/e2e/artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

export async function startServer() {
  const server = await serve(join(ROOT, "www"), 0);
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

/** A new page of the demo at `origin`, once the model is ready (Start enabled). */
export async function openReadyPage(browser, origin) {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(origin + "/");
  await page.waitForFunction(() => !document.getElementById("start").disabled, null, { timeout: 60_000 });
  return page;
}

/** The native CLI's result for each file (the reference the page must agree with). */
export function cliResults(files) {
  const exe = join(ROOT, "target/debug/speech-emotion");
  const out = execFileSync(exe, ["classify", "--format", "jsonl", ...files], { encoding: "utf8" });
  return out.trim().split("\n").map((line) => JSON.parse(line));
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), "se-e2e-"));
}

/** RFC 4180 CSV text → rows of cells (quoted cells may hold `,`, `""` and line breaks). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') cell += c;
      else if (text[i + 1] === '"') cell += text[i++];
      else quoted = false;
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      rows.push([...row, cell]);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) rows.push([...row, cell]);
  return rows;
}
