// The page: decode a chosen or dropped file with Web Audio, classify it in the Worker,
// show bars and a per-segment timeline. No request leaves this origin.
const $ = (id) => document.getElementById(id);
const MODEL_RATE = 16000;

let worker = null;
let labels = [];
let nextId = 1;
const pending = new Map();

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function setStatus(text) {
  $("status").textContent = text;
}

function startWorker() {
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => {
    if (data.type === "ready") {
      labels = data.info.labels;
      $("model-name").textContent = `${data.info.name} (${labels.join(", ")})`;
      setStatus("Ready. Choose or drop an audio file.");
      return;
    }
    const waiter = pending.get(data.id);
    pending.delete(data.id);
    if (data.type === "result") waiter?.resolve(data.result);
    else if (data.type === "error") {
      if (data.fatal) restartWorker();
      if (waiter) waiter.reject(new Error(data.message));
      else showError(data.message);
    }
  };
  worker.onerror = (e) => {
    showError(`The classifier stopped: ${e.message || "unknown error"}. Reload the page to try again.`);
    for (const w of pending.values()) w.reject(new Error("worker failed"));
    pending.clear();
  };
}

function restartWorker() {
  worker?.terminate();
  startWorker();
}

function classify(samples, sampleRate) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, type: "classify", samples, sampleRate }, [samples.buffer]);
  });
}

async function decode(file) {
  const bytes = await file.arrayBuffer();
  // Decoding at the model rate: a 16 kHz file passes through unchanged.
  const context = new OfflineAudioContext({ numberOfChannels: 1, length: 1, sampleRate: MODEL_RATE });
  let buffer;
  try {
    buffer = await context.decodeAudioData(bytes);
  } catch {
    throw new Error(`"${file.name}" is not an audio file this browser can decode.`);
  }
  const mono = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / buffer.numberOfChannels;
  }
  return { samples: mono, sampleRate: buffer.sampleRate };
}

const percent = (p) => `${(100 * p).toFixed(0)} %`;
const time = (s) => `${s.toFixed(1)} s`;

function renderBars(probabilities, top) {
  const bars = $("bars");
  bars.replaceChildren(
    ...labels.map((label, i) => {
      const row = document.createElement("div");
      row.className = "bar" + (label === top ? " top" : "");
      row.dataset.label = label;
      row.setAttribute("role", "meter");
      row.setAttribute("aria-label", label);
      row.setAttribute("aria-valuemin", "0");
      row.setAttribute("aria-valuemax", "100");
      row.setAttribute("aria-valuenow", (100 * probabilities[i]).toFixed(0));
      const name = Object.assign(document.createElement("span"), { className: "name", textContent: label });
      const track = Object.assign(document.createElement("span"), { className: "track" });
      const fill = Object.assign(document.createElement("span"), { className: "fill" });
      fill.style.width = `${(100 * probabilities[i]).toFixed(1)}%`;
      track.append(fill);
      const value = Object.assign(document.createElement("span"), { className: "value", textContent: percent(probabilities[i]) });
      row.append(name, track, value);
      return row;
    }),
  );
}

function renderSegments(segments) {
  $("segments").replaceChildren(
    ...segments.map((s) => {
      const li = document.createElement("li");
      li.textContent = s.speech
        ? `${time(s.start_s)}–${time(s.end_s)}: ${s.label} (${percent(Math.max(...s.probabilities))})`
        : `${time(s.start_s)}–${time(s.end_s)}: no speech`;
      if (!s.speech) li.className = "no-speech";
      return li;
    }),
  );
}

async function handleFile(file) {
  if (!file) return;
  clearError();
  $("result").hidden = true;
  setStatus(`Decoding ${file.name}…`);
  try {
    const { samples, sampleRate } = await decode(file);
    if (samples.length === 0) throw new Error(`"${file.name}" contains no audio.`);
    setStatus(`Classifying ${file.name} (${time(samples.length / sampleRate)})…`);
    const result = await classify(samples, sampleRate);
    $("result-label").textContent = result.label;
    $("result-confidence").textContent = result.speech ? percent(result.confidence) : "(no clear speech found)";
    renderBars(result.probabilities, result.label);
    renderSegments(result.segments);
    $("result").hidden = false;
    setStatus(`${file.name}: ${result.label}`);
  } catch (e) {
    setStatus("Ready. Choose or drop an audio file.");
    showError(e.message);
  }
}

function wireDropZone() {
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    handleFile(e.dataTransfer.files[0]);
  });
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      $("file-input").click();
    }
  });
  $("file-input").addEventListener("change", (e) => handleFile(e.target.files[0]));
}

startWorker();
wireDropZone();
