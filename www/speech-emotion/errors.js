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
  "file-too-large": "a file other than WAV above 256 MB (those are decoded whole)",
  "file-unreadable": "the browser could not read the file (moved, changed or on a drive it lost)",
  "no-audio": "a file that decodes to no samples",
  "model-invalid": "a model (or its metadata) that cannot be used; the previous one stays",
  "model-changed": "the model changed while a file was being read",
  "not-listening": "live calibration or enrolment was asked for while not listening",
  "calibration-failed": "a calibration sample with too little speech, or otherwise unusable",
  "enrolment-failed": "a personal profile's clips were refused (one emotion only, too few clips or too little speech, a label the model lacks)",
  "profile-invalid": "a personal profile that cannot be used (damaged, too large, or made with another model); the previous one stays",
  "classify-failed": "the classifier refused the input",
  "engine-failed": "the classifier could not start (the wasm module did not load)",
  "engine-crashed": "the classifier panicked; it was restarted with the built-in model",
  "engine-closed": "the engine was closed",
};

/** Files other than WAV are read and decoded whole (decodeAudioData has no streaming form):
 * above this size they are refused up front. WAVs are read in pieces, at any size. */
export const MAX_WHOLE_FILE_BYTES = 256e6;

const megabytes = (bytes) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.ceil(bytes / 1e6)} MB`);

/** The error for a file too large to read whole. */
export function tooLarge(file) {
  const name = file.name ? `"${file.name}"` : "This recording";
  return new SpeechEmotionError("file-too-large", `${name} is ${megabytes(file.size)}: only WAV files are read in pieces, `
    + `and other formats are decoded whole, up to ${megabytes(MAX_WHOLE_FILE_BYTES)}. Convert it to WAV, or cut it into shorter parts.`);
}

/** A failed read of a chosen file (NotReadableError, NotFoundError, …) as a sentence that
 * says what to do, instead of the browser's "could not be read, typically due to permission
 * problems". Any other error is returned as it is. */
export function readFailure(e, file) {
  if (!["NotReadableError", "NotFoundError", "SecurityError", "AbortError"].includes(e?.name)) return e;
  const name = file?.name ? `"${file.name}"` : "The file";
  return new SpeechEmotionError("file-unreadable", `${name} could not be read (${e.name}): it may have been moved, changed `
    + "or deleted since it was chosen, or be on a drive the browser lost access to. Choose it again; if it is on a "
    + "network, cloud or removable drive, copy it to this device first.", { cause: e });
}

export class SpeechEmotionError extends Error {
  /** @param {keyof typeof CODES} code @param {string} message */
  constructor(code, message, options) {
    super(message, options);
    this.name = "SpeechEmotionError";
    this.code = code;
  }
}
