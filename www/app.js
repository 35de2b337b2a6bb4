// The demo page: live bars, timeline, files, calibration and model choice, built only on
// the speech-emotion package's public API. No request ever leaves this origin.
import { percent, renderBars, stateText } from "./speech-emotion/bars.js";
import { CALIBRATION_SECONDS, SpeechEmotion } from "./speech-emotion/index.js";
import { profilePanel } from "./profile-panel.js";
import { Timeline, download } from "./timeline.js";

const $ = (id) => document.getElementById(id);

let info = null;
const timeline = new Timeline($("timeline"), $("legend"));

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

const setStatus = (text) => ($("status").textContent = text);

// ---- the engine (the speech-emotion package's public API, nothing else) ---------------

const forced = new URLSearchParams(location.search).get("wasm"); // "simd" | "scalar", for tests
const engine = new SpeechEmotion({ wasm: forced ?? undefined, prepareListening: true });
let listener = null;
engine.addEventListener("ready", (e) => onModelReady(e.detail, engine.custom));
engine.addEventListener("prediction", (e) => onPrediction(e.detail));
engine.addEventListener("error", (e) => {
  showError(e.detail.message);
  if (e.detail.code === "engine-crashed") stopLive(false);
});
engine.ready.catch((e) => showError(e.message));

const panel = profilePanel({
  engine,
  ensureListening: async () => {
    if (!listener?.running) await startLive();
    return Boolean(listener?.running);
  },
  showError,
  clearError,
  onChange: (summary) => {
    // A profile with neutral clips calibrates; the "Your voice" card says so.
    if (summary?.calibrated) {
      $("calibration-state").dataset.calibrated = "true";
      $("calibration-state").textContent = "Calibrated by your personal profile's neutral clips.";
    } else if ($("calibration-state").textContent.includes("personal profile")) showCalibration({ calibrated: false });
  },
});

let requestedOwn = false; // the model being loaded is the user's own file (not one shipped beside the page)

function onModelReady(modelInfo, custom) {
  info = modelInfo;
  // A model whose time axis cannot be streamed runs the whole window every update: say so.
  const fullWindow = info.streamingMode.kind === "full_window";
  $("model-name").textContent = `${info.name}${custom && requestedOwn ? " (your own)" : ""}: ${info.labels.join(", ")} · `
    + (info.build === "pkg" ? "wasm SIMD" : "wasm without SIMD") + (fullWindow ? " · whole window each update" : "");
  $("model-name").title = fullWindow ? info.streamingMode.reason : "";
  $("model-name").dataset.build = info.build;
  $("model-name").dataset.streaming = info.streamingMode.kind;
  if (!custom) $("model-select").value = "builtin"; // also after a restarted worker
  timeline.setLabels(info.labels);
  renderBars($("live-bars"), info.labels, null, null);
  $("start").disabled = false;
  showCalibration({ calibrated: false }); // a new model starts uncalibrated
  panel.modelReady(info);
  updateHistoryButtons();
  setStatus("Ready. Press Start to listen, or choose an audio file.");
  timeline.model = { name: info.name, fingerprint: info.fingerprint };
  if (reclassify) {
    // The file being classified, or the one on screen, goes through the new model.
    reclassify = false;
    const again = classifying ?? shownFile;
    if (again) handleFile(again);
  }
}

// ---- calibration --------------------------------------------------------------------


function showCalibration(state) {
  const el = $("calibration-state");
  el.dataset.calibrated = String(state.calibrated);
  el.textContent = state.calibrated
    ? `Calibrated to this voice (${state.active_seconds.toFixed(1)} s of speech). Results are relative to it.`
    : "Not calibrated: results are relative to an average voice.";
  $("new-speaker").disabled = !state.calibrated;
  $("calibrate").disabled = false;
}

async function calibrateLive() {
  clearError();
  if (!listener?.running) await startLive();
  if (!listener?.running) return;
  $("calibrate").disabled = true;
  $("calibration-state").textContent = `Listening for ${CALIBRATION_SECONDS} s: read aloud calmly, in your usual voice…`;
  try {
    showCalibration(await engine.calibrateLive(CALIBRATION_SECONDS));
  } catch (e) {
    showCalibration({ calibrated: false });
    showError(e.message);
  }
}

async function calibrateFromFile(file) {
  if (!file || !info) return;
  clearError();
  try {
    showCalibration(await engine.calibrate(file));
  } catch (e) {
    showError(e.message);
  }
}

// ---- live ---------------------------------------------------------------------------

async function startLive() {
  clearError();
  $("start").disabled = true;
  setLiveState("idle", "Starting…");
  try {
    listener = await engine.listen({
      onLevel,
      onState: (state, error) => {
        if (state === "stopped" && error) stopLive(false); // the error itself arrives as an "error" event
      },
    });
    timeline.startSession();
    $("start").hidden = true;
    $("stop").hidden = false;
    $("stop").focus();
    setLiveState("listening", "Listening…");
    setStatus("Listening. Speak for a few seconds.");
  } catch (e) {
    setLiveState("idle", "Not listening");
    showError(e.message);
  } finally {
    $("start").disabled = false;
  }
}

function stopLive(focus = true) {
  if (!listener) return;
  listener.stop();
  listener = null;
  $("stop").hidden = true;
  $("start").hidden = false;
  if (focus) $("start").focus();
  setLiveState("idle", "Not listening");
  setStatus("Stopped. The microphone is released.");
}

function setLiveState(state, text) {
  $("live-state").dataset.state = state;
  $("live-state").textContent = text;
}

let announced = "";
function onPrediction(p) {
  if (!listener?.running) return;
  const text = stateText(p) + (p.calibrated ? " · calibrated" : "") + (p.personal ? " · personal" : "");
  setLiveState(p.state, text);
  renderBars($("live-bars"), info.labels, p.state === "no_speech" ? null : p.probabilities, p.label);
  // Screen readers hear changes, not every update.
  if (text !== announced) $("live-announce").textContent = announced = text;
  timeline.add(p);
  renderSummary();
  updateHistoryButtons();
}

function onLevel(peak) {
  const width = `${Math.min(100, 100 * Math.sqrt(peak)).toFixed(1)}%`;
  $("level-fill").style.width = width;
  $("enrol-level").style.width = width;
}

function renderSummary() {
  const s = timeline.summary();
  $("session-summary").textContent = s
    ? `Session so far: ${s.label} (${percent(Math.max(...s.probabilities))} on average over ${s.predictions} of ${s.total} updates with speech).`
    : timeline.entries.length ? "No speech yet." : "";
  $("session-summary").dataset.label = s?.label ?? "";
  $("session-summary").dataset.updates = String(timeline.entries.length);
}

function updateHistoryButtons() {
  const empty = timeline.entries.length === 0;
  for (const id of ["export-csv", "export-json", "clear"]) $(id).disabled = empty;
}

// ---- files --------------------------------------------------------------------------

const seconds = (s) => `${s.toFixed(1)} s`;

function renderSegments(segments) {
  $("segments").replaceChildren(
    ...segments.map((s) => {
      const li = document.createElement("li");
      li.textContent = s.speech
        ? `${seconds(s.start_s)}–${seconds(s.end_s)}: ${s.label} (${percent(Math.max(...s.probabilities))})`
        : `${seconds(s.start_s)}–${seconds(s.end_s)}: no speech`;
      if (!s.speech) li.className = "no-speech";
      return li;
    }),
  );
}

let lastFile = null; // the file being (or last) classified
let shownFile = null; // the file whose result is on screen: classified again after a model change
let classifying = null; // the file being classified (by run fileRun): also classified again
let reclassify = false;
let fileRun = 0; // a newer file (or model) supersedes a file still being classified

function onProgress({ seconds: done, total }) {
  setStatus(`Classifying ${lastFile?.name ?? "the file"}: ${seconds(done)} of ${seconds(total)}…`);
}

async function classifyFile(file) {
  // A WAV is read and classified in pieces by the worker (memory stays flat, progress
  // arrives); anything else is decoded whole by the browser.
  let inPieces = false;
  const result = await engine.classifyFile(file, {
    onProgress: (progress) => {
      inPieces = true;
      onProgress(progress);
    },
  });
  $("result").dataset.read = inPieces ? "in-pieces" : "whole";
  return result;
}

async function handleFile(file) {
  if (!file || !info) return;
  lastFile = file;
  const run = ++fileRun;
  classifying = file;
  clearError();
  $("result").hidden = true;
  shownFile = null;
  setStatus(`Reading ${file.name}…`);
  try {
    const result = await classifyFile(file);
    if (run !== fileRun) return;
    const verdict = stateText(result);
    $("result-label").textContent = verdict;
    $("result-label").dataset.label = result.label ?? "";
    $("result-confidence").textContent = (result.speech ? percent(result.confidence) : "(no speech found)")
      + (result.calibrated ? " · calibrated" : "") + (result.personal ? " · personal" : "");
    const warnings = result.warnings ?? [];
    $("result-note").hidden = warnings.length === 0;
    $("result-note").textContent = warnings.length ? `Only part of this file could be used: ${warnings.join("; ")}.` : "";
    $("result-model").textContent = `${file.name} · model ${info.name} (${info.fingerprint})`;
    $("result-model").dataset.fingerprint = info.fingerprint;
    renderBars($("bars"), result.labels, result.speech ? result.probabilities : null, result.label);
    renderSegments(result.segments);
    $("result").hidden = false;
    shownFile = file;
    setStatus(`${file.name}: ${verdict}`);
  } catch (e) {
    if (run !== fileRun) return;
    setStatus("Ready. Press Start to listen, or choose an audio file.");
    showError(e.message);
  } finally {
    if (run === fileRun) classifying = null;
  }
}

function wireFiles() {
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
  $("file-input").addEventListener("change", (e) => {
    handleFile(e.target.files[0]);
    e.target.value = ""; // choosing the same file again is a new "change"
  });
}

// ---- models -------------------------------------------------------------------------

async function listModels() {
  // Extra models shipped beside the page (written by scripts/build-wasm.sh).
  try {
    const response = await fetch("models/index.json");
    if (!response.ok) return;
    for (const m of await response.json()) {
      $("model-select").append(new Option(m.title, m.name));
    }
  } catch {
    // Offline before the list was cached: only the built-in model is offered.
  }
}

async function useModel(onnx, metadata, own = false) {
  requestedOwn = own;
  stopLive(false);
  clearError();
  $("start").disabled = true;
  setStatus("Loading the model…");
  // The result on screen, or the file being classified, is for the previous model: once the
  // new one is ready, that file is classified again (onModelReady). Until then a file in
  // progress carries on, so that it still gets a result if this model cannot be used.
  reclassify = true;
  try {
    await (onnx ? engine.loadModel(onnx, metadata) : engine.useBuiltinModel());
  } catch (e) {
    reclassify = false;
    showError(e.message);
    if (e.code === "engine-crashed") return; // restarted with the built-in model: "ready" follows
    $("start").disabled = false; // the previous model stays in use
    if (info) setStatus(`Still using ${info.name}.`);
  }
}

async function chooseModel(name) {
  if (name === "builtin") return useModel(null, null);
  try {
    const [onnx, metadata] = await Promise.all([
      fetch(`models/${name}.onnx`).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(r.statusText)))),
      fetch(`models/${name}.json`).then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText)))),
    ]);
    await useModel(onnx, metadata);
  } catch (e) {
    showError(`The model "${name}" could not be loaded: ${e.message}`);
  }
}

async function loadOwnModel(files) {
  // Extensions in any case: MODEL.ONNX and MODEL.JSON are the same kinds of file.
  const onnxFile = files.find((f) => /\.onnx$/i.test(f.name));
  const jsonFile = files.find((f) => /\.json$/i.test(f.name));
  if (!onnxFile || !jsonFile) {
    showError("Choose two files together: the model (.onnx) and its metadata (.json).");
    return;
  }
  let onnx, metadata;
  try {
    [onnx, metadata] = await Promise.all([onnxFile.arrayBuffer(), jsonFile.text()]);
  } catch (e) {
    showError(`The model files could not be read (${e.name}): they may have been moved or changed since they were chosen. `
      + "Choose them again; if they are on a network, cloud or removable drive, copy them to this device first.");
    return;
  }
  await useModel(onnx, metadata, true);
}

// ---- start --------------------------------------------------------------------------

function wire() {
  $("start").addEventListener("click", startLive);
  $("stop").addEventListener("click", () => stopLive());
  $("clear").addEventListener("click", () => {
    timeline.clear();
    renderSummary();
    updateHistoryButtons();
  });
  $("export-csv").addEventListener("click", () => download("speech-emotion.csv", "text/csv", timeline.toCsv()));
  $("export-json").addEventListener("click", () => download("speech-emotion.json", "application/json", timeline.toJson()));
  $("model-select").addEventListener("change", (e) => chooseModel(e.target.value));
  $("calibrate").addEventListener("click", calibrateLive);
  // Each file input is emptied once its files are taken: choosing the same file again (after
  // New speaker, or after switching back to the built-in model) is then a new "change".
  $("calibration-file").addEventListener("change", (e) => {
    calibrateFromFile(e.target.files[0]);
    e.target.value = "";
  });
  $("new-speaker").addEventListener("click", async () => showCalibration(await engine.newSpeaker()));
  $("model-files").addEventListener("change", (e) => {
    loadOwnModel([...e.target.files]);
    e.target.value = "";
  });
  wireFiles();
}

if ("serviceWorker" in navigator) {
  // Offline after the first visit; failure only means no offline copy.
  navigator.serviceWorker.register("sw.js").catch(() => {});
}
wire();
listModels();
