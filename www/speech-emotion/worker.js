// Owns the wasm engine (one model, loaded once), off the main thread (index.js starts it). Audio reaches it
// directly from the AudioWorklet through a MessagePort; the page only receives results.
//
// In:  {type: "init", wasm?: "simd" | "scalar"}                    first: which build (default: detected)
//      {id, type: "model", onnx?: ArrayBuffer, metadata?: string}  built-in model, or your own
//      {type: "start", sampleRate, port}                         live stream from a port
//      {type: "stop"}
//      {id, type: "classify", samples, sampleRate}             a whole decoded file
//      {id, type: "classify-file", file}                       a WAV read in pieces
//      {id, type: "calibrate", samples, sampleRate}            the speaker's calm speech
//      {id, type: "calibrate-live", seconds}                   … taken from the live stream
//      {id, type: "new-speaker"}                               forget the calibration
//      {id, type: "enrol", handle, samples, sampleRate, label}  a clip for profile `handle`
//      {id, type: "enrol-live", handle, label, seconds}        … taken from the live stream
//      {id, type: "enrol-build", handle}                       its clips → the profile's JSON
//      {id, type: "enrol-forget", handle}                      drop its clips
//      {id, type: "use-profile", json}                         mix a profile in (null: none)
//      {id, type: "read-profile", json}                        check one, say what it holds
//      classify and classify-file take `profile` (JSON) too: that profile for that clip
// Out: {id?, type: "ready", info, custom} | {type: "prediction", prediction}
//      | {id, type: "result", result} (null for a file that is not a WAV read in pieces)
//      | {id, type: "progress", seconds, total} | {id, type: "calibration", profile}
//      | {id?, type: "error", code, message, fatal?, during}   (code: errors.js CODES)
// The calibration, the enrolment clips and the profile live in this worker's memory only.
import "./wasm-build.js";
import { readFailure } from "./errors.js";
import { readWavHeader, wavPieces } from "./wav-reader.js";

let build = null; // "pkg" | "pkg-scalar", chosen by the init message
let wasm = null;

// The engine streams, classifies clips and calibrates with one model; the calibration
// lives in it (and `profile` says what it is).
let engine = null;
let live = null; // {port, rate, recording?}
let startError = null;
let profile = null; // the speaker's calibration, or null
const enrolments = new Map(); // handle → wasm Enrolment (a person's clips, this model)

function enrolment(handle) {
  if (!enrolments.has(handle)) enrolments.set(handle, engine.beginEnrolment());
  return enrolments.get(handle);
}

function forgetEnrolments() {
  for (const e of enrolments.values()) e.free();
  enrolments.clear();
}

const makeEngine = (model) => (model ? wasm.Engine.withModel(new Uint8Array(model.onnx), model.metadata) : new wasm.Engine());

function useProfile(next) {
  engine.setCalibration(next);
  profile = next;
}

const summary = () => (profile ? { calibrated: true, active_seconds: profile.active_seconds } : { calibrated: false });

// Two literal imports, not one template: bundlers follow these (and the .wasm beside each).
const loadWasm = () => (build === "pkg" ? import("./pkg/speech_emotion.js") : import("./pkg-scalar/speech_emotion.js"));

let init;
const initialised = new Promise((resolve) => (init = resolve));

const ready = (async () => {
  build = self.speechEmotionWasm.dir((await initialised).wasm ?? null);
  wasm = await loadWasm();
  await wasm.default();
  engine = makeEngine(null);
  postMessage({ type: "ready", info: { ...engine.modelInfo(), build }, custom: false });
})().catch((e) => {
  startError = `The model could not start: ${e?.message ?? e}. Reload the page to try again.`;
  postMessage({ type: "error", code: "engine-failed", during: "start", message: startError });
});

// The error code of a failed request, by what was asked (model loading reports its own).
const CODE_OF = {
  calibrate: "calibration-failed",
  "calibrate-live": "calibration-failed",
  enrol: "enrolment-failed",
  "enrol-live": "enrolment-failed",
  "enrol-build": "enrolment-failed",
  "use-profile": "profile-invalid",
  "read-profile": "profile-invalid",
};

function fail(e, extra = {}) {
  // A Rust panic arrives as a RuntimeError: that instance can no longer be trusted.
  const fatal = e instanceof WebAssembly.RuntimeError;
  const code = fatal ? "engine-crashed" : e?.code ?? CODE_OF[extra.during] ?? "classify-failed";
  postMessage({ type: "error", code, fatal, message: e?.message ?? String(e), ...extra });
  return fatal;
}

function stopLive() {
  if (!live) return;
  live.port.onmessage = null;
  live.port.close();
  live = null;
  engine.stopStream();
}

// The model stays loaded between Starts: only the stream begins again, at this rate.
function startLive(sampleRate, port) {
  stopLive();
  engine.startStream(sampleRate);
  live = { port, rate: sampleRate, recording: null };
  port.onmessage = ({ data: chunk }) => {
    if (!live || live.port !== port) return;
    try {
      if (live.recording) record(live.recording, chunk);
      for (const prediction of engine.pushAll(chunk)) postMessage({ type: "prediction", prediction });
    } catch (e) {
      stopLive();
      fail(e, { during: "live" });
    }
  };
}

// Collects `needed` samples of the live stream, then hands them to `rec.done`.
function record(rec, chunk) {
  rec.chunks.push(chunk.slice());
  rec.length += chunk.length;
  if (rec.length < rec.needed) return;
  const samples = new Float32Array(rec.length);
  let at = 0;
  for (const c of rec.chunks) samples.set(c, (at += c.length) - c.length);
  live.recording = null;
  try {
    rec.done(samples, live.rate);
  } catch (e) {
    fail(e, { id: rec.id, during: rec.during });
  }
}

function startRecording(id, seconds, during, done) {
  if (!live) throw Object.assign(new Error("Start listening first, then record."), { code: "not-listening" });
  live.recording = { id, during, done, chunks: [], length: 0, needed: Math.round(seconds * live.rate) };
}

function useModel(id, data) {
  const next = data.onnx ? { onnx: data.onnx, metadata: data.metadata } : null;
  try {
    const candidate = makeEngine(next);
    stopLive();
    engine.free();
    engine = candidate;
    profile = null; // a calibration belongs to one model's features
    forgetEnrolments(); // … and so do enrolment clips' vectors (the clips are enrolled again)
    postMessage({ id, type: "ready", info: { ...engine.modelInfo(), build }, custom: next !== null });
  } catch (e) {
    // The engine that worked stays, with its calibration. A panic while loading (malformed graphs can still make tract panic) aborts the
    // whole wasm instance: the page must start a new worker, with the built-in model.
    const fatal = e instanceof WebAssembly.RuntimeError;
    postMessage({ id, type: "error", code: "model-invalid", during: "model", fatal, message: `This model cannot be used: ${e?.message ?? e}` });
  }
}

const modelChanged = () => Object.assign(new Error("The model changed while the file was being read."), { code: "model-changed" });

// A WAV is read and classified a block at a time: memory stays flat however long it is.
// Anything else answers null, and the page decodes it with the browser's decoder.
async function classifyFile(id, file, profileJson) {
  const header = await readWavHeader(file);
  if (!header) return null;
  const classifier = engine;
  const total = header.dataBytes / header.blockAlign / header.sampleRate;
  classifier.beginClip(header.sampleRate, profileJson ?? undefined);
  let done = 0;
  for await (const piece of wavPieces(file, header)) {
    // Reading is asynchronous: the user may have switched models meanwhile.
    if (classifier !== engine) throw modelChanged();
    classifier.pushClip(piece);
    done += piece.length / header.sampleRate;
    postMessage({ id, type: "progress", seconds: done, total });
  }
  if (classifier !== engine) throw modelChanged(); // the reader's last await
  const result = classifier.finishClip();
  if (header.truncated) {
    const declared = header.declaredBytes / header.blockAlign / header.sampleRate;
    result.warnings = [wasm.truncationWarning(declared, total)];
  }
  return result;
}

onmessage = async ({ data }) => {
  if (data.type === "init") return init(data);
  await ready;
  if (!engine) {
    // Never leave a request unanswered: the page would wait forever.
    postMessage({ id: data.id, type: "error", code: "engine-failed", during: data.type, message: startError });
    return;
  }
  try {
    if (data.type === "model") useModel(data.id, data);
    else if (data.type === "start") startLive(data.sampleRate, data.port);
    else if (data.type === "stop") stopLive();
    else if (data.type === "classify") {
      const result = engine.classifyClip(data.samples, data.sampleRate, data.profile ?? undefined);
      postMessage({ id: data.id, type: "result", result });
    } else if (data.type === "classify-file") {
      let result;
      try {
        result = await classifyFile(data.id, data.file, data.profile);
      } catch (e) {
        throw readFailure(e, data.file);
      }
      postMessage({ id: data.id, type: "result", result });
    } else if (data.type === "calibrate") {
      profile = engine.calibrate(data.samples, data.sampleRate);
      postMessage({ id: data.id, type: "calibration", profile: summary() });
    } else if (data.type === "calibrate-live") {
      startRecording(data.id, data.seconds, "calibrate", (samples, rate) => {
        profile = engine.calibrate(samples, rate);
        postMessage({ id: data.id, type: "calibration", profile: summary() });
      });
    } else if (data.type === "new-speaker") {
      useProfile(null);
      postMessage({ id: data.id, type: "calibration", profile: summary() });
    } else if (data.type === "enrol") {
      const result = enrolment(data.handle).add(data.samples, data.sampleRate, data.label);
      postMessage({ id: data.id, type: "result", result });
    } else if (data.type === "enrol-live") {
      enrolment(data.handle); // a model without profiles refuses before the recording
      startRecording(data.id, data.seconds, "enrol", (samples, rate) => {
        const result = enrolment(data.handle).add(samples, rate, data.label);
        postMessage({ id: data.id, type: "result", result });
      });
    } else if (data.type === "enrol-build") {
      const json = engine.finishEnrolment(enrolment(data.handle));
      postMessage({ id: data.id, type: "result", result: { json, summary: engine.readProfile(json) } });
    } else if (data.type === "enrol-forget") {
      enrolments.get(data.handle)?.free();
      enrolments.delete(data.handle);
      postMessage({ id: data.id, type: "result", result: null });
    } else if (data.type === "use-profile") {
      const result = engine.setProfile(data.json ?? undefined);
      postMessage({ id: data.id, type: "result", result });
    } else if (data.type === "read-profile") {
      postMessage({ id: data.id, type: "result", result: engine.readProfile(data.json) });
    }
  } catch (e) {
    fail(e, { id: data.id, during: data.type });
  }
};
