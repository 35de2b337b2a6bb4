// speech-emotion: speech emotion recognition that runs entirely in the browser.
// The public API. One SpeechEmotion owns one classifier Worker (worker.js, which owns the
// wasm); listening adds an AudioWorklet (capture.js) whose samples go straight to that
// Worker. Nothing here touches the network beyond loading this package's own files.
//
//   import { listen, classifyFile } from "speech-emotion";
//   const listener = await listen({ onPrediction: (p) => console.log(p.label, p.probabilities) });
//   const result = await classifyFile(file);
//   const me = await createProfile();        // a personal profile from the user's own clips
//   await me.enrol(samples, rate, "happy");  // … 2+ clips of 2+ emotions, then:
//   await listen({ profile: me, onPrediction });
import { Capture } from "./capture.js";
import { SpeechEmotionError, MAX_WHOLE_FILE_BYTES, readFailure, tooLarge } from "./errors.js";

export { CODES, SpeechEmotionError } from "./errors.js";

/** Seconds of live speech `calibrateLive()` listens to by default (10–20 s is plenty). */
export const CALIBRATION_SECONDS = 15;

/** A worker error message as a SpeechEmotionError. */
const errorOf = (data) => new SpeechEmotionError(data.code ?? "classify-failed", data.message);

async function bytesOf(source, what) {
  if (source instanceof ArrayBuffer) return source;
  if (ArrayBuffer.isView(source)) return source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength);
  if (source instanceof Blob) return source.arrayBuffer();
  return (await fetchOk(source, what)).arrayBuffer();
}

async function textOf(source, what) {
  if (typeof source === "string" && source.trimStart().startsWith("{")) return source; // JSON text
  if (typeof source === "object" && source !== null && !(source instanceof Blob) && !(source instanceof URL)) {
    return JSON.stringify(source); // the metadata as an object
  }
  if (source instanceof Blob) return source.text();
  return (await fetchOk(source, what)).text();
}

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new SpeechEmotionError("model-invalid", `The ${what} could not be fetched from ${url}: ${e.message}`, { cause: e });
  }
  if (!response.ok) throw new SpeechEmotionError("model-invalid", `The ${what} could not be fetched from ${url}: ${response.status} ${response.statusText}`);
  return response;
}

/**
 * The classifier. Events: "ready" (detail: ModelInfo; after creation, every model change and
 * a restart), "prediction" (detail: Prediction, while listening), "error" (detail:
 * SpeechEmotionError, for failures no promise reports: live listening stopped, a crash).
 */
export class SpeechEmotion extends EventTarget {
  /** Starts the Worker and resolves once the model is ready. */
  static async create(options = {}) {
    const engine = new SpeechEmotion(options);
    await engine.ready;
    return engine;
  }

  /**
   * @param {object} [options]
   * @param {"simd"|"scalar"} [options.wasm] force a build (default: detected)
   * @param {boolean} [options.prepareListening] create the AudioContext and load the
   *   worklet now, so listen() makes no request and starts sooner
   */
  constructor({ wasm, prepareListening = false } = {}) {
    super();
    this.wasm = wasm;
    /** @type {import("./index.js").ModelInfo | null} */
    this.info = null;
    this.custom = false;
    this.pending = new Map();
    this.nextId = 1;
    this.listener = null;
    this.closed = false;
    /** The personal profile in use (its summary), or null. */
    this.profile = null;
    this.nextHandle = 1;
    this.capture = new Capture({ onEnded: (error) => this.endListening(error) });
    if (prepareListening) this.capture.prepare();
    this.ready = this.startWorker();
  }

  startWorker() {
    // Written out in full so that bundlers (Vite, webpack 5, Parcel) find and bundle the Worker.
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker.postMessage({ type: "init", wasm: this.wasm });
    const ready = new Promise((resolve, reject) => (this.starting = { resolve, reject }));
    this.worker.onmessage = ({ data }) => this.receive(data);
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      const error = new SpeechEmotionError("engine-failed", `The classifier stopped: ${e.message || "it could not be loaded"}. Reload the page to try again.`);
      this.rejectAll(error);
      this.starting?.reject(error);
      this.emit("error", error);
    };
    ready.catch(() => {}); // also reported through the promise the caller awaits
    return ready;
  }

  receive(data) {
    if (data.type === "prediction") return this.emit("prediction", data.prediction);
    const waiter = data.id !== undefined ? this.pending.get(data.id) : undefined;
    if (data.type === "progress") return waiter?.onProgress?.({ seconds: data.seconds, total: data.total });
    this.pending.delete(data.id);
    if (data.type === "ready") {
      this.info = data.info;
      this.profile = null; // a new model (or a restart) starts without a profile
      this.custom = data.custom;
      this.starting?.resolve(this.info);
      this.starting = null;
      waiter?.resolve(this.info);
      this.emit("ready", this.info);
    } else if (data.type === "result") waiter?.resolve(data.result);
    else if (data.type === "calibration") waiter?.resolve(data.profile);
    else if (data.type === "error") {
      const error = errorOf(data);
      if (data.during === "live") this.endListening(error);
      else if (waiter) waiter.reject(error);
      else if (this.starting) this.starting.reject(error);
      else this.emit("error", error);
      if (data.fatal) this.restart(error);
    }
  }

  /** A panic aborted the wasm instance: a new Worker with the built-in model. */
  restart(cause) {
    this.endListening(null);
    this.worker.terminate();
    const error = new SpeechEmotionError("engine-crashed", `The classifier crashed (${cause.message}) and was restarted with the built-in model.`);
    this.rejectAll(error);
    this.emit("error", error);
    this.ready = this.startWorker();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  rejectAll(error) {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  request(message, transfer = [], onProgress = undefined) {
    if (this.closed) return Promise.reject(new SpeechEmotionError("engine-closed", "This SpeechEmotion was closed; create a new one."));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }

  // ---- live ---------------------------------------------------------------------------

  /**
   * Listens to the microphone (asks for permission). Resolves once audio flows.
   * @param {object} [options]
   * @param {(p: Prediction) => void} [options.onPrediction] every update (4 per second)
   * @param {(state: "listening"|"stopped", error?: SpeechEmotionError) => void} [options.onState]
   * @param {(peak: number) => void} [options.onLevel] input peak 0…1, once per frame
   */
  async listen({ onPrediction, onState, onLevel, profile } = {}) {
    await this.ready;
    this.stopListening();
    if (profile !== undefined) await this.useProfile(profile);
    const sampleRate = await this.capture.start((rate, port) => this.worker.postMessage({ type: "start", sampleRate: rate, port }, [port]), onLevel);
    const forward = (e) => onPrediction?.(e.detail);
    this.addEventListener("prediction", forward);
    const listener = {
      sampleRate,
      running: true,
      stop: () => {
        if (this.listener?.listener === listener) this.endListening(null);
      },
    };
    const finish = (error) => {
      listener.running = false;
      this.removeEventListener("prediction", forward);
      onState?.("stopped", error ?? undefined);
    };
    this.listener = { listener, finish };
    onState?.("listening");
    return listener;
  }

  get listening() {
    return this.listener !== null;
  }

  /** Stops listening (the microphone is released); error says why, when it was not asked. */
  endListening(error) {
    if (!this.listener) return;
    const { finish } = this.listener;
    this.listener = null;
    this.capture.stop();
    this.worker.postMessage({ type: "stop" });
    finish(error);
    if (error) this.emit("error", error);
  }

  stopListening() {
    this.endListening(null);
  }

  // ---- clips ---------------------------------------------------------------------------

  /**
   * Classifies a recording: a WAV is read a block at a time in the Worker (any length,
   * flat memory); any other format is decoded by the browser (decodeAudioData).
   * @param {Blob} file
   * @param {{onProgress?: (p: {seconds: number, total: number}) => void, profile?: Profile | string}} [options]
   *   profile: this personal profile for this file (default: the one in use, if any)
   */
  async classifyFile(file, { onProgress, profile } = {}) {
    await this.ready;
    const json = await profileJson(profile);
    const streamed = await this.request({ type: "classify-file", file, profile: json }, [], onProgress);
    if (streamed) return streamed;
    const { samples, sampleRate } = await this.decode(file);
    return this.request({ type: "classify", samples, sampleRate, profile: json }, [samples.buffer]);
  }

  /** Classifies mono samples at any rate (the engine resamples). */
  async classify(samples, sampleRate, { profile } = {}) {
    await this.ready;
    const json = await profileJson(profile);
    const copy = Float32Array.from(samples);
    return this.request({ type: "classify", samples: copy, sampleRate, profile: json }, [copy.buffer]);
  }

  /** Mono samples of any format the browser decodes, at the model's rate. Read whole:
   * above MAX_WHOLE_FILE_BYTES (256 MB) refused with "file-too-large". */
  async decode(file) {
    const name = file.name ? `"${file.name}"` : "This recording";
    if (file.size > MAX_WHOLE_FILE_BYTES) throw tooLarge(file);
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      throw readFailure(e, file);
    }
    // Decoding at the model rate: the browser resamples, a 16 kHz file passes unchanged.
    const context = new OfflineAudioContext({ numberOfChannels: 1, length: 1, sampleRate: this.info.sampleRate });
    let buffer;
    try {
      buffer = await context.decodeAudioData(bytes);
    } catch (e) {
      throw new SpeechEmotionError("not-audio", `${name} is not an audio file this browser can decode.`, { cause: e });
    }
    if (buffer.length === 0) throw new SpeechEmotionError("no-audio", `${name} contains no audio.`);
    const mono = new Float32Array(buffer.length);
    for (let c = 0; c < buffer.numberOfChannels; c++) {
      const channel = buffer.getChannelData(c);
      for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / buffer.numberOfChannels;
    }
    return { samples: mono, sampleRate: buffer.sampleRate };
  }

  // ---- models ----------------------------------------------------------------------------

  /**
   * Uses another model: the .onnx and its metadata .json (as in the package's models),
   * each a URL, Blob, ArrayBuffer (the model) or string/object (the metadata). Resolves with
   * its ModelInfo; rejects with "model-invalid" and keeps the previous model when it does
   * not fit. Listening stops; the calibration is forgotten (it belongs to one model).
   */
  async loadModel(onnx, metadata) {
    await this.ready;
    const [bytes, text] = await Promise.all([bytesOf(onnx, "model"), textOf(metadata, "metadata")]);
    this.stopListening();
    return this.request({ type: "model", onnx: bytes, metadata: text }, [bytes]);
  }

  /** Back to the model built into the package. */
  async useBuiltinModel() {
    await this.ready;
    this.stopListening();
    return this.request({ type: "model" });
  }

  // ---- calibration ---------------------------------------------------------------------

  /** Calibrates to a speaker from a recording of their calm, ordinary speech (10–20 s). */
  async calibrate(file) {
    await this.ready;
    const { samples, sampleRate } = await this.decode(file);
    return this.request({ type: "calibrate", samples, sampleRate }, [samples.buffer]);
  }

  /** Calibrates from the next `seconds` of the live microphone (listen() first). */
  async calibrateLive(seconds = CALIBRATION_SECONDS) {
    await this.ready;
    return this.request({ type: "calibrate-live", seconds });
  }

  /** Forgets the calibration: results are relative to an average voice again. */
  async newSpeaker() {
    await this.ready;
    return this.request({ type: "new-speaker" });
  }

  // ---- personal profile ----------------------------------------------------------------

  /** A new, empty personal profile for this engine's model (see Profile). */
  createProfile() {
    return new Profile(this);
  }

  /**
   * Mixes a personal profile into every later result, live and files (a Profile, its
   * exported JSON text or file), or with null stops. Resolves with what it holds; rejects
   * with "profile-invalid" (the previous profile stays) when this model cannot use it.
   */
  async useProfile(profile) {
    await this.ready;
    const json = await profileJson(profile);
    this.profile = await this.request({ type: "use-profile", json });
    this.emit("profile", this.profile);
    return this.profile;
  }

  /** Reads an exported profile (JSON text or a file) and checks it against this model. */
  async importProfile(source) {
    await this.ready;
    const json = typeof source === "string" ? source : await source.text();
    const summary = await this.request({ type: "read-profile", json });
    return new Profile(this, { json, summary });
  }

  /** Stops listening and the Worker. */
  close() {
    this.stopListening();
    this.closed = true;
    this.worker.terminate();
    this.rejectAll(new SpeechEmotionError("engine-closed", "This SpeechEmotion was closed."));
  }
}

// ---- personal profile ------------------------------------------------------------------

/** A profile's JSON: from a Profile (built first when it has new clips), text, or a file. */
async function profileJson(profile) {
  if (profile === undefined || profile === null) return null;
  if (profile instanceof Profile) return (await profile.build()).json;
  if (typeof profile === "string") return profile;
  if (profile instanceof Blob) return profile.text();
  throw new SpeechEmotionError("profile-invalid", "A profile is a Profile, its exported JSON text, or a file of it.");
}

/**
 * A person's profile: a few labelled clips of their own voice (2 or more emotions, each at
 * least 2 clips and 3 s of speech), from which every result also learns how this person
 * sounds. Clips and profile stay in the Worker's and this object's memory; nothing is stored
 * or sent unless the caller keeps `json` somewhere.
 */
export class Profile {
  constructor(engine, { json = null, summary = null } = {}) {
    this.engine = engine;
    this.handle = engine.nextHandle++;
    /** The built profile's JSON (export it as a file), or null until built. */
    this.json = json;
    /** What the built profile holds: {id, model, labels: [{label, clips, speech_seconds}], calibrated}. */
    this.summary = summary;
    /** What each model label has so far: [{label, clips, audio_seconds}]. */
    this.status = [];
    this.changed = false;
  }

  get id() {
    return this.summary?.id ?? null;
  }

  /** Adds a mono clip at `sampleRate` Hz of `label` (one of the model's labels). */
  async enrol(samples, sampleRate, label) {
    await this.engine.ready;
    const copy = Float32Array.from(samples);
    return this.enrolled(await this.engine.request({ type: "enrol", handle: this.handle, samples: copy, sampleRate, label }, [copy.buffer]));
  }

  /** Adds a recording (any format the browser decodes) of `label`. */
  async enrolFile(file, label) {
    await this.engine.ready;
    const { samples, sampleRate } = await this.engine.decode(file);
    return this.enrol(samples, sampleRate, label);
  }

  /** Adds the next `seconds` of the live microphone as a clip of `label` (listen() first). */
  async enrolLive(label, seconds = ENROL_SECONDS) {
    await this.engine.ready;
    return this.enrolled(await this.engine.request({ type: "enrol-live", handle: this.handle, label, seconds }));
  }

  enrolled(status) {
    this.status = status;
    this.changed = true;
    return status;
  }

  /** Labels that still need clips before build() can succeed, and what each lacks. */
  get missing() {
    const enrolled = this.status.filter((l) => l.clips > 0);
    const short = enrolled.filter((l) => l.clips < MIN_CLIPS_PER_LABEL).map((l) => ({ label: l.label, clips: MIN_CLIPS_PER_LABEL - l.clips }));
    const labels = enrolled.length < 2 ? [{ label: null, clips: MIN_CLIPS_PER_LABEL, emotions: 2 - enrolled.length }] : [];
    return [...short, ...labels];
  }

  /** Builds the profile from the clips (again only when clips were added since). Rejects
   * with "enrolment-failed" and a message that says what to record. */
  async build() {
    if (!this.changed && this.json) return { json: this.json, summary: this.summary };
    await this.engine.ready;
    const { json, summary } = await this.engine.request({ type: "enrol-build", handle: this.handle });
    Object.assign(this, { json, summary, changed: false });
    return { json, summary };
  }

  /** The profile as a file's text, to keep or move to another device (built first). */
  async export() {
    return (await this.build()).json;
  }

  /** Drops the clips (the built profile, if any, stays usable). */
  async forgetClips() {
    this.status = [];
    this.changed = false;
    await this.engine.request({ type: "enrol-forget", handle: this.handle });
  }
}

/** Seconds `Profile.enrolLive()` records by default. */
export const ENROL_SECONDS = 4;
/** Clips each enrolled emotion needs (the engine's rule; it says so when refused). */
export const MIN_CLIPS_PER_LABEL = 2;

// ---- one-line use: a shared engine, made on first use ----------------------------------

let shared = null;

/** The engine the functions below share (created on first use). */
export function sharedEngine() {
  if (!shared || shared.closed) shared = new SpeechEmotion();
  return shared;
}

/**
 * Listens to the microphone with the shared engine.
 * `model: {onnx, metadata}` loads that model first (see SpeechEmotion.loadModel).
 */
/** A new personal profile on the shared engine (see Profile). */
export const createProfile = () => sharedEngine().createProfile();

/** Mixes a profile into the shared engine's results (see SpeechEmotion.useProfile). */
export const useProfile = (profile) => sharedEngine().useProfile(profile);

/** Reads an exported profile with the shared engine (see SpeechEmotion.importProfile). */
export const importProfile = (source) => sharedEngine().importProfile(source);

export async function listen({ model, ...options } = {}) {
  const engine = sharedEngine();
  if (model) await engine.loadModel(model.onnx, model.metadata);
  return engine.listen(options);
}

/** Classifies a File or Blob with the shared engine. */
export const classifyFile = (file, options) => sharedEngine().classifyFile(file, options);

/** Makes the shared engine use another model (see SpeechEmotion.loadModel). */
export const loadModel = (onnx, metadata) => sharedEngine().loadModel(onnx, metadata);
