// The benchmark page is not run by the test command (it times things), but it must keep
// working against the current API: a few updates and no long run, nothing timed or
// asserted about speed. (It once called a method the API no longer had.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { ROOT, launchBrowser } from "./helpers.mjs";
import { serve } from "../../scripts/serve.mjs";

test("the benchmark page runs against the current wasm API", async () => {
  const server = await serve(ROOT, 0);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/benches/bench.html?updates=5&hours=0`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 120_000 });
    const result = await page.evaluate(() => window.benchResult);
    assert.equal(result.error, undefined, result.error);
    assert.equal(result.update_ms.n, 5);
    assert.ok(result.stages.model_ms.n > 0 && result.stages.mfcc_ms.n > 0);
  } finally {
    await browser.close();
    server.close();
  }
});
