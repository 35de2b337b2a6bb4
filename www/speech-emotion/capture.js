// Microphone capture: getUserMedia → AudioWorklet (collects samples) → MessagePort →
// the classifier Worker. The main thread never touches the samples; it only reads an
// AnalyserNode for the level meter. Errors are SpeechEmotionErrors that say what to do.
// prepare() (at once, or on the first start) creates the AudioContext and loads the
// worklet module, so a prepared start makes no request and the first bars come sooner.
import { SpeechEmotionError } from "./errors.js";

const CHUNK_SECONDS = 0.04; // 40 ms chunks to the worker, whatever the context's rate
// Without an audio output (no device, no sound server) resume() never settles: give up
// with a message instead of "Starting…" forever.
const START_TIMEOUT_MS = 5000;
const NO_OUTPUT = `Audio did not start within ${START_TIMEOUT_MS / 1000} s: the browser found no working sound output. `
  + "Connect speakers or headphones (or start the system's sound service), then press Start again. Files still work.";

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new SpeechEmotionError("no-audio-output", message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Capture {
  /** onEnded(error) is called when listening stops on its own (device gone, audio paused). */
  constructor({ onEnded }) {
    this.onEnded = onEnded;
    this.onLevel = null;
    this.context = null;
    this.stream = null;
    this.node = null;
    this.frame = 0;
    this.running = false;
    this.prepared = null;
  }

  prepare() {
    if (!this.prepared) {
      this.prepared = this.createContext();
      this.prepared.catch(() => {}); // reported by start()
    }
    return this.prepared;
  }

  async createContext() {
    if (typeof AudioWorkletNode === "undefined") return;
    // Created before any click it starts suspended (autoplay policy); Start resumes it.
    // Whatever rate the device runs at: the classifier resamples.
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule(new URL("./capture-worklet.js", import.meta.url));
    this.context.addEventListener("statechange", () => {
      if (this.running && this.context.state !== "running") {
        this.onEnded(new SpeechEmotionError("audio-suspended", "The browser paused audio. Press Start to listen again."));
      }
    });
  }

  /** Opens the microphone; `sink(sampleRate, port)` hands the sample port to the classifier.
   * `onLevel(peak)`, if given, runs once per animation frame while listening. */
  async start(sink, onLevel = null) {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new SpeechEmotionError("insecure-context", "This browser cannot capture audio here. Open the page over https or on localhost in a current browser.");
    }
    if (typeof AudioWorkletNode === "undefined") {
      throw new SpeechEmotionError("no-audio-worklet", "This browser has no AudioWorklet support, which live listening needs. Try a current Chrome, Edge, Firefox or Safari; files still work.");
    }
    this.prepare();
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (e) {
      throw micError(e);
    }
    try {
      this.onLevel = onLevel;
      return await this.connect(sink);
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  async connect(sink) {
    try {
      await withTimeout(this.prepared, START_TIMEOUT_MS, NO_OUTPUT);
    } catch (e) {
      if (e?.code === "no-audio-output") throw e;
      throw new SpeechEmotionError("audio-setup-failed", `Audio could not be set up in this browser: ${e?.message ?? e}`, { cause: e });
    }
    const context = this.context;
    if (context.state !== "running") await withTimeout(context.resume(), START_TIMEOUT_MS, NO_OUTPUT);
    if (context.state !== "running") {
      throw new SpeechEmotionError("audio-suspended", "The browser kept audio paused. Click Start again (audio can only start from a click).");
    }
    this.running = true;
    const source = (this.source = context.createMediaStreamSource(this.stream));
    this.node = new AudioWorkletNode(context, "capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      channelCount: 1,
      channelCountMode: "explicit", // the browser downmixes to mono before the worklet
      processorOptions: { chunkFrames: Math.round(context.sampleRate * CHUNK_SECONDS) },
    });
    const { port1, port2 } = new MessageChannel();
    this.node.port.postMessage({ type: "sink", port: port1 }, [port1]);
    sink(context.sampleRate, port2);
    source.connect(this.node);
    this.node.connect(context.destination); // silent output keeps the node processing
    this.analyser = Object.assign(context.createAnalyser(), { fftSize: 1024 });
    source.connect(this.analyser);
    for (const track of this.stream.getAudioTracks()) {
      track.addEventListener("ended", () => this.onEnded(new SpeechEmotionError("mic-disconnected", "The microphone was disconnected. Plug it in or choose another one, then press Start.")));
    }
    if (this.onLevel) this.meter();
    return context.sampleRate;
  }

  meter() {
    const data = new Float32Array(this.analyser.fftSize);
    const tick = () => {
      if (!this.analyser) return;
      this.analyser.getFloatTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v));
      this.onLevel?.(peak);
      this.frame = requestAnimationFrame(tick);
    };
    tick();
  }

  stop() {
    cancelAnimationFrame(this.frame);
    this.node?.port.postMessage({ type: "stop" });
    this.node?.disconnect();
    for (const track of this.stream?.getTracks() ?? []) track.stop(); // releases the microphone
    this.running = false;
    this.source?.disconnect();
    if (this.context?.state === "running") this.context.suspend().catch(() => {});
    this.stream = this.node = this.analyser = this.source = null;
    this.onLevel?.(0);
    this.onLevel = null;
  }
}

function micError(e) {
  const error = (code, message) => new SpeechEmotionError(code, message, { cause: e });
  switch (e?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return error("mic-denied", "Microphone access was denied. Allow the microphone for this site (the icon in the address bar), then press Start again.");
    case "NotFoundError":
    case "OverconstrainedError":
      return error("mic-not-found", "No microphone was found. Connect one, then press Start again.");
    case "NotReadableError":
      return error("mic-busy", "The microphone is busy or blocked by the system. Close other apps using it, then press Start again.");
    default:
      return error("mic-failed", `The microphone could not be opened: ${e?.message ?? e}`);
  }
}
