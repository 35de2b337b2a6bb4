// Runs inside headless Chromium (driven by benches/run.mjs): start-up, per-update latency
// and memory of the wasm classifier exactly as the page uses it. Results go to
// window.benchResult; nothing here asserts anything.
const params = new URLSearchParams(location.search);
// Which build to measure (a path on this origin); the page's own by default.
const { default: init, Classifier } = await import(params.get("pkg") ?? "../www/pkg/speech_emotion.js");
const RATE = 48000; // a typical device rate: every update includes resampling
const HOP = RATE / 4; // the stream's 250 ms hop
const UPDATES = Number(params.get("updates") ?? 1000);
const HOURS = Number(params.get("hours") ?? 1);

// Deterministic speech-like input that passes the voice gate on every hop: noise shaped by
// a 4 Hz syllable envelope at about −20 dBFS.
function signal(samples, offset) {
  const out = new Float32Array(samples);
  let seed = (offset * 2654435761) >>> 0;
  for (let i = 0; i < samples; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    const t = (offset + i) / RATE;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    out[i] = 0.2 * envelope * (seed / 2 ** 32 - 0.5);
  }
  return out;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function run() {
  const t0 = performance.now();
  const wasm = await init();
  const tInit = performance.now();
  const classifier = new Classifier(RATE);
  const tModel = performance.now();
  const warm = signal(RATE * 3, 0);
  let first = null;
  for (let i = 0; i < warm.length && !first; i += HOP) first = classifier.push(warm.subarray(i, i + HOP));
  const tFirst = performance.now();

  // Per update: one 250 ms chunk in, one prediction out (resample + new MFCC frames + model).
  const chunks = Array.from({ length: 64 }, (_, k) => signal(HOP, (k + 12) * HOP));
  const times = [];
  let states = { emotion: 0, uncertain: 0, no_speech: 0 };
  for (let u = 0; u < UPDATES; u++) {
    const chunk = chunks[u % chunks.length];
    const start = performance.now();
    const p = classifier.push(chunk);
    times.push(performance.now() - start);
    if (p) states[p.state]++;
  }
  times.sort((a, b) => a - b);

  // Memory over a long stream, pushed as fast as possible.
  const memory = [];
  const perMinute = (60 * RATE) / HOP;
  const sample = (minute) =>
    memory.push({ minute, wasm_bytes: wasm.memory.buffer.byteLength, js_heap_bytes: performance.memory?.usedJSHeapSize ?? null });
  classifier.reset();
  const tLong = performance.now();
  for (let minute = 0; minute <= 60 * HOURS; minute++) {
    if (minute === 1 || minute % 10 === 0) sample(minute);
    if (minute === 60 * HOURS) break;
    for (let k = 0; k < perMinute; k++) classifier.push(chunks[k % chunks.length]);
  }
  const longSeconds = (performance.now() - tLong) / 1000;

  return {
    startup_ms: { wasm_instantiated: tInit - t0, model_ready: tModel - t0, first_prediction: tFirst - t0 },
    update_ms: { n: times.length, p50: percentile(times, 0.5), p95: percentile(times, 0.95), max: times.at(-1),
                 mean: times.reduce((a, b) => a + b, 0) / times.length },
    states,
    long_run: { hours: HOURS, seconds: longSeconds, realtime_factor: (3600 * HOURS) / longSeconds, memory },
    user_agent: navigator.userAgent,
    hardware_concurrency: navigator.hardwareConcurrency,
  };
}

run().then(
  (result) => {
    window.benchResult = result;
    document.getElementById("status").textContent = "done";
  },
  (e) => {
    window.benchResult = { error: String(e?.stack ?? e) };
    document.getElementById("status").textContent = "failed";
  },
);
