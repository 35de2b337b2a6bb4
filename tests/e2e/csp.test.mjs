// The Content-Security-Policy wherever the page is hosted. The same policy in the demo
// server, the page's <meta> tag, www/_headers (Netlify, Cloudflare Pages) and the README's
// nginx and Apache snippets. Served by a plain static server that sends no headers at all,
// the page still cannot fetch off-origin (the <meta> policy), and the start-up self-check
// shows that its Worker runs without a policy — which the meta tag cannot give it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { ROOT, launchBrowser, startServer } from "./helpers.mjs";
import { CSP } from "../../scripts/serve.mjs";

const WWW = join(ROOT, "www");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json" };
const without = (policy, directive) => policy.split("; ").filter((d) => !d.startsWith(directive)).join("; ");

/** A static host that sends nothing but Content-Type: no CSP, no caching headers. */
function plainServer(root) {
  const server = createServer(async (req, res) => {
    let path = normalize(join(root, decodeURIComponent(new URL(req.url, "http://x").pathname)));
    if (!path.startsWith(root)) return res.writeHead(403).end();
    if ((await stat(path).catch(() => null))?.isDirectory()) path = join(path, "index.html");
    const body = await readFile(path).catch(() => null);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** Another origin that counts what reaches it. */
function offOrigin() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(req.url);
    res.writeHead(200, { "Access-Control-Allow-Origin": "*", "Content-Type": "text/plain" }).end("leaked");
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, hits, url: `http://127.0.0.1:${server.address().port}` })));
}

let plain, plainOrigin, demo, browser, target;
before(async () => {
  plain = await plainServer(WWW);
  plainOrigin = `http://127.0.0.1:${plain.address().port}`;
  demo = await startServer();
  target = await offOrigin();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  plain?.close();
  demo?.server.close();
  target?.server.close();
});

async function openPage(origin) {
  const context = await browser.newContext({ serviceWorkers: "block" });
  const page = await context.newPage();
  const warnings = [];
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await page.goto(origin + "/");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 120_000 });
  await page.waitForFunction(() => document.documentElement.dataset.workerCsp, null, { timeout: 30_000 });
  return { context, page, warnings };
}

test("one policy everywhere: server header, <meta>, _headers, README snippets", () => {
  const html = readFileSync(join(WWW, "index.html"), "utf8");
  const meta = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)?.[1];
  assert.equal(meta, without(CSP, "frame-ancestors"), "the <meta> policy is the header's minus frame-ancestors (ignored in <meta>)");
  assert.ok(html.indexOf("Content-Security-Policy") < html.indexOf("<script"), "the <meta> policy comes before any script");
  assert.match(readFileSync(join(WWW, "_headers"), "utf8"), new RegExp(`^  Content-Security-Policy: ${CSP.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  assert.ok(readme.includes(`add_header Content-Security-Policy "${CSP}" always;`), "the nginx snippet");
  assert.ok(readme.includes(`Header always set Content-Security-Policy "${CSP}"`), "the Apache snippet");
});

test("served with no headers at all, the page still cannot fetch off-origin", async () => {
  const response = await fetch(plainOrigin + "/");
  assert.equal(response.headers.get("content-security-policy"), null);
  const { context, page } = await openPage(plainOrigin);
  try {
    const outcome = await page.evaluate(async (url) => {
      const violations = [];
      document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
      const results = [];
      for (const attempt of [
        () => fetch(`${url}/fetch`),
        () => new Promise((ok, fail) => { const x = new XMLHttpRequest(); x.open("GET", `${url}/xhr`); x.onload = ok; x.onerror = fail; x.send(); }),
      ]) {
        results.push(await attempt().then(() => "allowed", () => "blocked"));
      }
      navigator.sendBeacon(`${url}/beacon`, "x"); // must not arrive either (checked at the server)
      await new Promise((r) => setTimeout(r, 300));
      return { results, violations };
    }, target.url);
    assert.deepEqual(outcome.results, ["blocked", "blocked"]);
    assert.ok(outcome.violations.includes("connect-src"), JSON.stringify(outcome.violations));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(target.hits, [], "nothing reached the other origin");
  } finally {
    await context.close();
  }
});

test("served with no headers, the self-check warns that the Worker has no policy (what <meta> cannot cover)", async () => {
  const { context, page, warnings } = await openPage(plainOrigin);
  try {
    assert.equal(await page.evaluate(() => document.documentElement.dataset.workerCsp), "missing");
    assert.equal(await page.locator("#csp-note").isVisible(), true);
    assert.ok(warnings.some((w) => w.includes("Content-Security-Policy")), JSON.stringify(warnings));
    // Not covered, and why the note exists: a Worker takes its policy from its own response
    // headers, so here it could reach another origin.
    const worker = page.workers().find((w) => w.url().includes("/worker.js"));
    const fromWorker = await worker.evaluate((url) => fetch(`${url}/from-worker`).then(() => "allowed", () => "blocked"), target.url);
    assert.equal(fromWorker, "allowed");
    assert.ok(target.hits.includes("/from-worker"));
  } finally {
    target.hits.length = 0;
    await context.close();
  }
});

test("served with the headers, the Worker has the policy and no note is shown", async () => {
  const { context, page, warnings } = await openPage(demo.origin);
  try {
    assert.equal(await page.evaluate(() => document.documentElement.dataset.workerCsp), "enforced");
    assert.equal(await page.locator("#csp-note").count(), 0);
    assert.ok(!warnings.some((w) => w.includes("Content-Security-Policy")));
    const worker = page.workers().find((w) => w.url().includes("/worker.js"));
    const fromWorker = await worker.evaluate((url) => fetch(`${url}/from-worker`).then(() => "allowed", () => "blocked"), target.url);
    assert.equal(fromWorker, "blocked");
    assert.deepEqual(target.hits, []);
  } finally {
    await context.close();
  }
});
