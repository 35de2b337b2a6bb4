// A tiny W3C WebDriver client over plain HTTP (Node's fetch), and the processes behind it:
// geckodriver driving Debian's Firefox ESR (with a PulseAudio null sink as its audio output),
// and WebKitWebDriver driving WebKitGTK's MiniBrowser on an Xvfb display. No dependencies.
// Every process started here is a process-group leader and is ended by its id in close(),
// on an exception, and when Node exits.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf"; // the spec's web element key
const SETUP_HINT = "bash scripts/setup.sh --engines installs them";

export class WebDriverError extends Error {
  constructor(command, value, status) {
    super(`${command}: ${value?.error ?? `HTTP ${status}`}: ${value?.message ?? JSON.stringify(value)}`);
    this.error = value?.error;
  }
}

async function call(base, method, path, body, timeoutMs = 120_000) {
  const command = `${method} ${path}`;
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(command, { error: "not JSON", message: text.slice(0, 500) }, response.status);
  }
  if (!response.ok || json.value?.error) throw new WebDriverError(command, json.value, response.status);
  return json.value;
}

/** One browser session. Elements are addressed by CSS selector or by a found element's id. */
export class Session {
  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
  }

  cmd(method, path, body, timeoutMs) {
    return call(this.base, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  navigate(url) {
    return this.cmd("POST", "/url", { url });
  }

  refresh() {
    return this.cmd("POST", "/refresh", {});
  }

  url() {
    return this.cmd("GET", "/url");
  }

  /** The first element matching a CSS selector, as {id}. */
  async find(selector) {
    const found = await this.cmd("POST", "/element", { using: "css selector", value: selector });
    return { id: found[ELEMENT] };
  }

  /** A target is a CSS selector or an element from find(). */
  async #element(target) {
    return typeof target === "string" ? (await this.find(target)).id : target.id;
  }

  async click(target) {
    return this.cmd("POST", `/element/${await this.#element(target)}/click`, {});
  }

  /** Types text; into an <input type=file> the text is an absolute path and chooses that file. */
  async sendKeys(target, text) {
    return this.cmd("POST", `/element/${await this.#element(target)}/value`, { text });
  }

  /** Runs `script` (a function body; `arguments` holds args) in the page and returns its value. */
  execute(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** As execute, but the value is what the script passes to its last argument (a callback). */
  executeAsync(script, ...args) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  setTimeouts(timeouts) {
    return this.cmd("POST", "/timeouts", timeouts);
  }

  /** A PNG of the viewport, as a Buffer. */
  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /**
   * Polls `script` (as execute) until it returns something truthy, and returns that. On time-out
   * the error says what was awaited and what `describe` (a script) returned then.
   * `acrossNavigation`: errors (no document while a page loads) are retried, not thrown.
   */
  async waitUntil(script, { args = [], timeout = 60_000, interval = 200, what = script, describe, acrossNavigation = false } = {}) {
    const deadline = Date.now() + timeout;
    let lastError = null;
    for (;;) {
      try {
        const value = await this.execute(script, ...args);
        if (value) return value;
      } catch (error) {
        // While a page is replaced a script may find no document: tried again, when allowed.
        if (!acrossNavigation) throw error;
        lastError = error;
      }
      if (Date.now() > deadline) {
        const state = describe ? await this.execute(describe).catch((e) => `(unreadable: ${e.message})`) : undefined;
        throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}` + (state ? `; page: ${JSON.stringify(state)}` : "")
          + (lastError ? `; last error: ${lastError.message}` : ""));
      }
      await sleep(interval);
    }
  }

  delete() {
    return call(this.base, "DELETE", `/session/${this.id}`, undefined, 20_000);
  }
}

// ---- processes --------------------------------------------------------------------------

const running = new Set();

/** Ends a process group started by spawnGroup (SIGTERM, then SIGKILL after graceMs). */
async function endGroup(child, graceMs = 3000) {
  if (!running.has(child)) return;
  const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", resolve)));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  // The leader may have gone while its children (the browser) linger: the group gets SIGKILL.
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
  if (!done) await Promise.race([exited, sleep(2000)]);
  running.delete(child);
}

function endAllNow() {
  for (const child of running) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
  running.clear();
}
process.on("exit", endAllNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    endAllNow();
    process.kill(process.pid, signal);
  });
}

/** Starts a command as the leader of a new process group; its output is kept (the last 64 kB).
 * The group stays in `running` after the leader exits: what it started may still be alive. */
function spawnGroup(command, args, options = {}) {
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], ...options });
  running.add(child);
  child.log = "";
  const keep = (chunk) => (child.log = (child.log + chunk).slice(-65_536));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (e) => keep(`spawn error: ${e.message}\n`));
  return child;
}

const tail = (child) => child.log.trim().split("\n").slice(-15).join("\n");

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForDriver(base, child, name, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited early (${child.exitCode ?? child.signalCode}):\n${tail(child)}`);
    try {
      const status = await call(base, "GET", "/status", undefined, 2000);
      if (status.ready) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${name} did not answer on ${base} within ${timeout / 1000} s:\n${tail(child)}`);
    await sleep(100);
  }
}

/** An X display of a new Xvfb (the server picks a free display number itself). */
async function startXvfb() {
  const xvfb = spawnGroup("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const display = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display within 15 s:\n${tail(xvfb)}`)), 15_000);
    xvfb.stdio[3].on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    xvfb.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}):\n${tail(xvfb)}`));
    });
  });
  return { xvfb, display };
}

const pulseRunning = () => spawnSync("pulseaudio", ["--check"]).status === 0;

/**
 * An audio output for Firefox: without one its AudioContext.resume() never resolves. A running
 * PulseAudio is used as it is; otherwise one is started here (its default configuration adds a
 * null sink when there is no sound card) and ended by close().
 */
async function startPulseAudio() {
  if (pulseRunning()) return null;
  const pulse = spawnGroup("pulseaudio", ["--daemonize=no", "--exit-idle-time=-1", "--log-target=stderr"]);
  const deadline = Date.now() + 15_000;
  while (!pulseRunning()) {
    if (pulse.exitCode !== null || Date.now() > deadline) {
      await endGroup(pulse);
      throw new Error(`PulseAudio did not start:\n${tail(pulse)}`);
    }
    await sleep(100);
  }
  return pulse;
}

// ---- engines ----------------------------------------------------------------------------

function minibrowser() {
  for (const arch of readdirSync("/usr/lib").filter((d) => d.endsWith("-linux-gnu"))) {
    for (const api of ["webkit2gtk-4.1", "webkit2gtk-4.0", "webkitgtk-6.0"]) {
      const path = `/usr/lib/${arch}/${api}/MiniBrowser`;
      if (existsSync(path)) return path;
    }
  }
  return null;
}

function which(command) {
  const found = spawnSync("sh", ["-c", `command -v "$1"`, "sh", command], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : null;
}

export const ENGINES = {
  firefox: {
    title: "Firefox ESR (geckodriver)",
    needs: () => ({
      "firefox-esr": which(process.env.FIREFOX ?? "firefox-esr"),
      geckodriver: which("geckodriver"),
      pulseaudio: which("pulseaudio"),
    }),
  },
  webkit: {
    title: "WebKitGTK MiniBrowser (WebKitWebDriver)",
    needs: () => ({ WebKitWebDriver: which("WebKitWebDriver"), MiniBrowser: minibrowser(), Xvfb: which("Xvfb") }),
  },
};

/** The engine's missing programs as an error message, or null when all are there. */
export function missing(engine) {
  const absent = Object.entries(ENGINES[engine].needs()).filter(([, path]) => !path).map(([name]) => name);
  return absent.length === 0 ? null : `${ENGINES[engine].title}: ${absent.join(", ")} not found; ${SETUP_HINT}`;
}

/**
 * Starts the engine's driver (and what it needs) and opens a session.
 * firefox: `prefs` are Firefox preferences. webkit: `args` are extra MiniBrowser arguments.
 * Returns {session, close}; close() ends the session and every process started here.
 */
export async function launch(engine, { prefs = {}, args = [] } = {}) {
  const problem = missing(engine);
  if (problem) throw new Error(problem);
  const started = [];
  let session = null;
  const close = async () => {
    if (session) await session.delete().catch(() => {}); // lets the driver remove its profile
    session = null;
    for (const child of started.reverse()) await endGroup(child);
    started.length = 0;
  };
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let driver, capabilities;
    if (engine === "firefox") {
      const pulse = await startPulseAudio();
      if (pulse) started.push(pulse);
      driver = spawnGroup("geckodriver", ["--host", "127.0.0.1", "--port", String(port), "--websocket-port", "0", "--log", "warn"], {
        env: { ...process.env, MOZ_HEADLESS: "1" },
      });
      capabilities = {
        browserName: "firefox",
        "moz:firefoxOptions": {
          binary: which(process.env.FIREFOX ?? "firefox-esr"),
          args: ["-headless"],
          prefs,
          log: { level: "warn" },
        },
      };
    } else {
      const { xvfb, display } = await startXvfb();
      started.push(xvfb);
      driver = spawnGroup("WebKitWebDriver", [`--port=${port}`], { env: { ...process.env, DISPLAY: display } });
      capabilities = {
        "webkitgtk:browserOptions": { binary: minibrowser(), args: ["--automation", ...args] },
      };
    }
    started.push(driver);
    await waitForDriver(base, driver, engine === "firefox" ? "geckodriver" : "WebKitWebDriver");
    const created = await call(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    session = new Session(base, created.sessionId, created.capabilities);
    session.driverLog = () => tail(driver);
    await session.setTimeouts({ script: 120_000, pageLoad: 120_000 });
    return { session, close };
  } catch (error) {
    const logs = started.map((c) => `--- ${c.spawnfile}:\n${tail(c)}`).join("\n");
    await close();
    error.message += logs ? `\n${logs}` : "";
    throw error;
  }
}

/** Saves a screenshot for a failed test into a temporary directory and returns its path. */
export async function saveScreenshot(session, name) {
  const dir = mkdtempSync(join(tmpdir(), "se-engines-"));
  const path = join(dir, `${name}.png`);
  writeFileSync(path, await session.screenshot());
  return path;
}
