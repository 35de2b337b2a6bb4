// Runs inside headless Chromium (driven by benches/run.mjs): start-up, per-update latency
// and memory of the wasm classifier exactly as the page uses it. Results go to
// window.benchResult; nothing here asserts anything.
import { signal as speechLikeNoise } from "./signal.mjs";

const params = new URLSearchParams(location.search);
// Which build to measure (a path on this origin); the page's own by default.
const { default: init, Engine, Mfcc, Model } = await import(params.get("pkg") ?? "../www/speech-emotion/pkg/speech_emotion.js");
const RATE = 48000; // a typical device rate: every update includes resampling
const HOP = RATE / 4; // the stream's 250 ms hop
const UPDATES = Number(params.get("updates") ?? 1000);
const HOURS = Number(params.get("hours") ?? 1);

// The input at the device rate unless another is given.
const signal = (samples, offset, rate = RATE) => speechLikeNoise(samples, offset, rate);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function mean(times) {
  return times.reduce((a, b) => a + b, 0) / times.length;
}

function summary(times) {
  const s = [...times].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p95: percentile(s, 0.95), max: s.at(-1), mean: mean(s) };
}

/** MFCC alone (one hop of 16 kHz audio → its new frames) and the model alone (one window). */
function stages() {
  const mfcc = new Mfcc();
  const model = new Model();
  const hop16k = Array.from({ length: 64 }, (_, k) => signal(4000, k * 4000));
  for (const c of hop16k.slice(0, 16)) mfcc.push(c); // fill the stream as a running one would be
  const mfccTimes = [];
  for (let u = 0; u < UPDATES; u++) {
    const start = performance.now();
    mfcc.push(hop16k[u % hop16k.length]);
    mfccTimes.push(performance.now() - start);
  }
  const window = new Float32Array(model.inputLength).map((_, i) => Math.sin(i * 0.37) * 20);
  const modelTimes = [];
  for (let u = 0; u < UPDATES; u++) {
    const start = performance.now();
    model.predict(window);
    modelTimes.push(performance.now() - start);
  }
  mfcc.free();
  model.free();
  return { mfcc_ms: summary(mfccTimes), model_ms: summary(modelTimes), window };
}

/** onnxruntime-web (wasm backend, one thread: no cross-origin isolation on a static page)
 * on the same ONNX file, timed exactly like our model alone. */
async function onnxruntime(window) {
  const t0 = performance.now();
  const ort = await import("./node_modules/onnxruntime-web/dist/ort.wasm.min.mjs");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = new URL("./node_modules/onnxruntime-web/dist/", location.href).href;
  const bytes = new Uint8Array(await (await fetch("../models/emotion4.onnx")).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const tReady = performance.now();
  const input = new ort.Tensor("float32", window, [1, window.length / 40, 40]);
  const feeds = { [session.inputNames[0]]: input };
  await session.run(feeds);
  const times = [];
  for (let u = 0; u < UPDATES; u++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  // What a page assembled from onnxruntime-web and Meyda runs per update: Meyda's MFCC of
  // the frames the new 250 ms complete (16 kHz, as if the AudioContext ran at 16 kHz, so no
  // resampling is counted), then the whole window through the model.
  const rate = 16000, hop = 160, nFft = 512;
  Object.assign(Meyda, { bufferSize: nFft, sampleRate: rate, melBands: 64, numberOfMFCCCoefficients: 40, windowingFunction: "hanning" });
  const hops = Array.from({ length: 64 }, (_, k) => signal(rate / 4 + nFft, k * (rate / 4), rate));
  const pipeline = [];
  for (let u = 0; u < UPDATES; u++) {
    const audio = hops[u % hops.length];
    const start = performance.now();
    for (let t = 0; t * hop + nFft <= audio.length && t < rate / 4 / hop; t++) Meyda.extract("mfcc", audio.subarray(t * hop, t * hop + nFft));
    await session.run(feeds);
    pipeline.push(performance.now() - start);
  }
  return { version: ort.env.versions?.web ?? null, startup_ms: tReady - t0, model_ms: summary(times), with_meyda_update_ms: summary(pipeline) };
}

/** MFCC of the same clips by ours and by Meyda, against librosa's frames (the golden file):
 * time for a 3 s window and relative RMS distance ‖x − librosa‖ / ‖librosa‖. */
async function mfccComparison() {
  const golden = await (await fetch("../tests/golden/mfcc_golden.json")).json();
  const { n_fft: nFft, hop_length: hop, n_mels: nMels, n_mfcc: nMfcc, sample_rate: rate } = golden.features;
  const rows = [];
  for (const c of golden.cases.filter((c) => c.clip)) {
    const samples = new Float32Array(await (await fetch(`.cache/${c.clip.replaceAll("/", "_")}.f32`)).arrayBuffer());
    const reference = c.mfcc;
    const frames = reference.length;
    const ours = new Mfcc();
    const t0 = performance.now();
    const flat = ours.push(samples);
    const tOurs = performance.now() - t0;
    ours.free();
    // Meyda frames the centre-padded signal like librosa (center=True, zero padding).
    const padded = new Float32Array(samples.length + nFft);
    padded.set(samples, nFft / 2);
    Object.assign(Meyda, { bufferSize: nFft, sampleRate: rate, melBands: nMels, numberOfMFCCCoefficients: nMfcc, windowingFunction: "hanning" });
    const t1 = performance.now();
    const meyda = [];
    for (let t = 0; t < frames && t * hop + nFft <= padded.length; t++) meyda.push(Meyda.extract("mfcc", padded.subarray(t * hop, t * hop + nFft)));
    const tMeyda = performance.now() - t1;
    const distance = (get, n) => {
      let err = 0, norm = 0;
      for (let t = 0; t < n; t++) for (let k = 0; k < nMfcc; k++) {
        err += (get(t, k) - reference[t][k]) ** 2;
        norm += reference[t][k] ** 2;
      }
      return Math.sqrt(err / norm);
    };
    const oursFrames = Math.min(frames - 2, flat.length / nMfcc); // librosa's last frames see end padding
    const perWindow = 300 / frames;
    rows.push({
      clip: c.clip, frames,
      ours: { ms_per_3s: tOurs * perWindow, rel_rms_distance: distance((t, k) => flat[t * nMfcc + k], oursFrames) },
      meyda: { ms_per_3s: tMeyda * perWindow, rel_rms_distance: distance((t, k) => meyda[t][k], meyda.length) },
    });
  }
  return rows;
}

/** UPDATES pushes of one chunk each (cycling through `chunks`), each timed; the last
 * prediction of each goes to `onPrediction`. */
function timeUpdates(classifier, chunks, onPrediction = () => {}) {
  const times = [];
  for (let u = 0; u < UPDATES; u++) {
    const start = performance.now();
    const p = classifier.pushAll(chunks[u % chunks.length]).at(-1);
    times.push(performance.now() - start);
    if (p) onPrediction(p);
  }
  return times;
}

async function run() {
  const t0 = performance.now();
  const wasm = await init();
  const tInit = performance.now();
  const classifier = new Engine();
  classifier.startStream(RATE);
  const tModel = performance.now();
  const warm = signal(RATE * 3, 0);
  let first = null;
  for (let i = 0; i < warm.length && !first; i += HOP) first = classifier.pushAll(warm.subarray(i, i + HOP)).at(-1) ?? null;
  const tFirst = performance.now();

  // Per update: one 250 ms chunk in, one prediction out (resample + new MFCC frames + model).
  const chunks = Array.from({ length: 64 }, (_, k) => signal(HOP, (k + 12) * HOP));
  let states = { emotion: 0, uncertain: 0, no_speech: 0 };
  const times = timeUpdates(classifier, chunks, (p) => states[p.state]++);
  times.sort((a, b) => a - b);
  // The same updates from audio already at the model's 16 kHz: what the resampling costs.
  const direct = new Engine();
  direct.startStream(16000);
  const chunks16k = Array.from({ length: 64 }, (_, k) => signal(HOP / 3, ((k + 12) * HOP) / 3, 16000));
  for (let i = 0; i < 16; i++) direct.pushAll(chunks16k[i]);
  const times16k = timeUpdates(direct, chunks16k);
  direct.free();
  const stage = stages();
  const ort = params.get("ort") === "1" ? await onnxruntime(stage.window) : null;
  const mfccVsMeyda = params.get("meyda") === "1" ? await mfccComparison() : null;

  // Memory over a long stream, pushed as fast as possible.
  const memory = [];
  const perMinute = (60 * RATE) / HOP;
  // A full collection first (benches/run.mjs exposes gc()): otherwise the heap is sampled at
  // a random point of its garbage sawtooth, and growth means nothing.
  const sample = (minute) => {
    globalThis.gc?.();
    memory.push({ minute, wasm_bytes: wasm.memory.buffer.byteLength, js_heap_bytes: performance.memory?.usedJSHeapSize ?? null,
                  after_gc: typeof globalThis.gc === "function" });
  };
  classifier.reset();
  const tLong = performance.now();
  for (let minute = 0; minute <= 60 * HOURS; minute++) {
    if (minute === 1 || minute % 10 === 0) sample(minute);
    if (minute === 60 * HOURS) break;
    for (let k = 0; k < perMinute; k++) classifier.pushAll(chunks[k % chunks.length]);
  }
  const longSeconds = (performance.now() - tLong) / 1000;

  return {
    startup_ms: { wasm_instantiated: tInit - t0, model_ready: tModel - t0, first_prediction: tFirst - t0 },
    update_ms: { n: times.length, p50: percentile(times, 0.5), p95: percentile(times, 0.95), max: times.at(-1),
                 mean: mean(times) },
    update_16k_input_ms: summary(times16k),
    stages: { mfcc_ms: stage.mfcc_ms, model_ms: stage.model_ms },
    onnxruntime_web: ort,
    model_time_ratio: ort ? stage.model_ms.p50 / ort.model_ms.p50 : null,
    // The per-update comparison: our whole update against onnxruntime-web's model
    // alone on the whole window (means as well: outside a cross-origin isolated page,
    // performance.now() counts in 0.1 ms steps).
    update_vs_onnxruntime: ort ? { p50: percentile(times, 0.5) / ort.model_ms.p50, mean: mean(times) / ort.model_ms.mean } : null,
    mfcc_vs_meyda: mfccVsMeyda,
    states,
    long_run: { hours: HOURS, seconds: longSeconds, realtime_factor: (3600 * HOURS) / longSeconds, memory },
    // true: performance.now() in 5 µs steps (the bench page is served cross-origin isolated)
    cross_origin_isolated: globalThis.crossOriginIsolated === true,
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
