// Owns the wasm classifier, off the main thread. Messages in: {id, type: "classify",
// samples, sampleRate}. Messages out: {type: "ready", info} | {id, type: "result", result}
// | {id?, type: "error", message}.
import init, { Classifier } from "./pkg/speech_emotion.js";

let classifier = null;
let startError = null;

const ready = (async () => {
  await init();
  classifier = new Classifier(16000);
  postMessage({ type: "ready", info: classifier.modelInfo() });
})().catch((e) => {
  startError = `The model could not start: ${e?.message ?? e}. Reload the page to try again.`;
  postMessage({ type: "error", message: startError });
});

onmessage = async ({ data }) => {
  await ready;
  if (!classifier) {
    // Never leave a request unanswered: the page would wait forever.
    postMessage({ id: data.id, type: "error", message: startError });
    return;
  }
  try {
    if (data.type === "classify") {
      const result = classifier.classifyClip(data.samples, data.sampleRate);
      postMessage({ id: data.id, type: "result", result });
    }
  } catch (e) {
    // A Rust panic arrives here as a RuntimeError: the instance is no longer usable.
    const fatal = e instanceof WebAssembly.RuntimeError;
    postMessage({ id: data.id, type: "error", fatal, message: e?.message ?? String(e) });
  }
};
