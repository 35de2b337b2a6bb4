// Every failure the package reports is a SpeechEmotionError: `code` is for programs (one
// of CODES), `message` is for people and says what to do next.

/** code → what it means. The README lists the same table (a test keeps them equal). */
export const CODES = {
  "insecure-context": "no microphone API here: the page is not on https or localhost",
  "no-audio-worklet": "the browser has no AudioWorklet",
  "mic-denied": "the user or the browser refused the microphone",
  "mic-not-found": "no microphone is connected",
  "mic-busy": "the microphone is in use or blocked by the system",
  "mic-failed": "the microphone could not be opened for another reason",
  "mic-disconnected": "the microphone went away while listening",
  "no-audio-output": "audio did not start: the browser found no working sound output",
  "audio-suspended": "the browser kept or put audio on pause",
  "audio-setup-failed": "the audio graph could not be built",
  "not-audio": "a file the browser cannot decode",
  "no-audio": "a file that decodes to no samples",
  "model-invalid": "a model (or its metadata) that cannot be used; the previous one stays",
  "model-changed": "the model changed while a file was being read",
  "not-listening": "live calibration was asked for while not listening",
  "calibration-failed": "a calibration sample with too little speech, or otherwise unusable",
  "classify-failed": "the classifier refused the input",
  "engine-failed": "the classifier could not start (the wasm module did not load)",
  "engine-crashed": "the classifier panicked; it was restarted with the built-in model",
  "engine-closed": "the engine was closed",
};

export class SpeechEmotionError extends Error {
  /** @param {keyof typeof CODES} code @param {string} message */
  constructor(code, message, options) {
    super(message, options);
    this.name = "SpeechEmotionError";
    this.code = code;
  }
}
