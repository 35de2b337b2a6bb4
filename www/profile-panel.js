// "Teach it your voice": a personal profile from the user's own clips (recorded from the
// microphone or chosen as files), built only on the package's public API. The clips and the
// profile stay in this tab's memory; only "Remember on this device" keeps the profile (its
// JSON, never audio) in IndexedDB, and "Forget" deletes that database again.
import { ENROL_SECONDS, MIN_CLIPS_PER_LABEL } from "./speech-emotion/index.js";
import { download } from "./timeline.js";

const $ = (id) => document.getElementById(id);

/** Sentences to read, one per recording: new words each time, as the profile should hear
 * how the voice sounds, not what it says. */
const PROMPTS = [
  "The train leaves at seven, and I will be on it.",
  "I found the letter you left on the kitchen table.",
  "We are meeting at the corner shop after work today.",
  "The results came in this morning, and I read them twice.",
  "My neighbour painted the fence a different colour.",
  "I will call you back as soon as I get home tonight.",
];

const DB = "speech-emotion";
const STORE = "profile";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function dbRequest(mode, act) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const request = act(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

/** Whether the database exists: opening it to look would create it, and store something. */
async function stored() {
  if (!indexedDB.databases) return false;
  return (await indexedDB.databases()).some((d) => d.name === DB);
}

const remember = (json) => dbRequest("readwrite", (s) => s.put(json, "json"));
const recall = async () => ((await stored()) ? dbRequest("readonly", (s) => s.get("json")) : undefined);
const forgetStored = () =>
  new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => resolve(); // deleted once the last connection closes
  });

/**
 * Wires the panel. `engine` is the page's SpeechEmotion; `ensureListening()` starts the
 * microphone (resolves false when it could not); `showError(message)` and `clearError()`.
 */
export function profilePanel({ engine, ensureListening, showError, clearError, onChange }) {
  let profile = null; // the Profile being enrolled (clips), or imported
  let labels = [];
  let promptAt = 0;
  let busy = false;

  const nextPrompt = () => ($("enrol-prompt").textContent = PROMPTS[promptAt++ % PROMPTS.length]);

  function freshProfile() {
    profile = engine.createProfile();
    renderStatus();
  }

  function renderRows() {
    $("enrol-rows").replaceChildren(
      ...labels.map((label) => {
        const row = document.createElement("tr");
        row.dataset.label = label;
        const name = Object.assign(document.createElement("th"), { scope: "row", textContent: label });
        const have = Object.assign(document.createElement("td"), { className: "enrol-have" });
        const record = Object.assign(document.createElement("button"), { type: "button", textContent: `Record ${ENROL_SECONDS} s` });
        record.className = "enrol-record";
        record.addEventListener("click", () => enrolLive(label));
        const file = document.createElement("label");
        file.className = "file-button";
        file.append("or choose files");
        const input = Object.assign(document.createElement("input"), { type: "file", multiple: true, accept: "audio/*,.wav,.flac,.mp3,.ogg,.m4a" });
        input.className = "enrol-file";
        input.addEventListener("change", (e) => {
          enrolFiles([...e.target.files], label);
          e.target.value = "";
        });
        file.append(input);
        const actions = document.createElement("td");
        actions.append(record, " ", file);
        row.append(name, have, actions);
        return row;
      }),
    );
  }

  function renderStatus() {
    const status = new Map((profile?.status ?? []).map((s) => [s.label, s]));
    for (const row of $("enrol-rows").children) {
      const s = status.get(row.dataset.label);
      const clips = s?.clips ?? 0;
      row.dataset.clips = String(clips);
      row.querySelector(".enrol-have").textContent = clips
        ? `${clips} clip${clips === 1 ? "" : "s"}, ${s.audio_seconds.toFixed(1)} s` + (clips < MIN_CLIPS_PER_LABEL ? ` · ${MIN_CLIPS_PER_LABEL - clips} more` : " ✓")
        : "nothing yet";
    }
    const enrolled = [...status.values()].filter((s) => s.clips > 0);
    const missing = profile?.missing ?? [];
    $("enrol-missing").textContent = enrolled.length === 0
      ? `Record at least ${MIN_CLIPS_PER_LABEL} clips of each of at least 2 emotions (neutral too, if you can: it calibrates).`
      : missing.length
        ? "Still missing: " + missing.map((m) => (m.label ? `${m.clips} more ${m.label}` : `clips of ${m.emotions} more emotion${m.emotions === 1 ? "" : "s"}`)).join(", ") + "."
        : "Enough to build a profile. Add more clips for a better one, or press Use my profile.";
    $("profile-use").disabled = busy || missing.length > 0 || enrolled.length === 0;
    for (const b of document.querySelectorAll(".enrol-record")) b.disabled = busy;
  }

  function showProfile(summary) {
    const el = $("profile-state");
    el.dataset.personal = String(Boolean(summary));
    el.dataset.id = summary?.id ?? "";
    el.textContent = summary
      ? `Personal profile ${summary.id} in use: ${summary.labels.map((l) => `${l.label} (${l.clips} clips, ${l.speech_seconds.toFixed(1)} s of speech)`).join(", ")}.`
        + (summary.calibrated ? " Its neutral clips calibrate." : "")
      : "No personal profile: results come from the global model.";
    $("profile-off").disabled = !summary;
    $("profile-export").disabled = !summary;
    onChange?.(summary);
  }

  async function guarded(work) {
    clearError();
    busy = true;
    renderStatus();
    try {
      await work();
    } catch (e) {
      showError(e.message);
    } finally {
      busy = false;
      renderStatus();
    }
  }

  const enrolLive = (label) =>
    guarded(async () => {
      if (!(await ensureListening())) return;
      $("enrol-recording").textContent = `Recording ${label} for ${ENROL_SECONDS} s: read the sentence above as if you felt ${label}…`;
      try {
        await profile.enrolLive(label, ENROL_SECONDS);
      } finally {
        $("enrol-recording").textContent = "";
        nextPrompt();
      }
    });

  const enrolFiles = (files, label) =>
    guarded(async () => {
      for (const file of files) await profile.enrolFile(file, label);
    });

  const use = () =>
    guarded(async () => {
      const summary = await engine.useProfile(profile);
      showProfile(summary);
      if ($("profile-remember").checked) await remember(profile.json);
    });

  const stopUsing = () =>
    guarded(async () => {
      showProfile(await engine.useProfile(null));
    });

  const importFile = (file) =>
    guarded(async () => {
      const imported = await engine.importProfile(file);
      showProfile(await engine.useProfile(imported));
      profile = imported;
      if ($("profile-remember").checked) await remember(imported.json);
    });

  const rememberChanged = (on) =>
    guarded(async () => {
      if (on && engine.profile && profile?.json) await remember(profile.json);
      if (!on) await forgetStored();
    });

  const forget = () =>
    guarded(async () => {
      await forgetStored();
      $("profile-remember").checked = false;
      await profile?.forgetClips();
      showProfile(await engine.useProfile(null));
      freshProfile();
    });

  $("profile-use").addEventListener("click", use);
  $("profile-off").addEventListener("click", stopUsing);
  $("profile-export").addEventListener("click", async () => {
    if (profile?.json) download("speech-emotion-profile.json", "application/json", profile.json);
  });
  $("profile-import").addEventListener("change", (e) => {
    if (e.target.files[0]) importFile(e.target.files[0]);
    e.target.value = "";
  });
  $("profile-remember").addEventListener("change", (e) => rememberChanged(e.target.checked));
  $("profile-forget").addEventListener("click", forget);

  return {
    /** A model became ready: its labels, a fresh enrolment, and a remembered profile if any. */
    async modelReady(info) {
      $("enrol-panel").hidden = !info.takesProfiles;
      $("enrol-unavailable").hidden = info.takesProfiles;
      labels = info.takesProfiles ? info.labels : [];
      renderRows();
      freshProfile();
      nextPrompt();
      showProfile(null);
      if (!info.takesProfiles) return;
      let json;
      try {
        json = await recall();
      } catch {
        return; // storage unavailable (private mode): nothing was remembered
      }
      if (!json) return;
      $("profile-remember").checked = true;
      try {
        profile = await engine.importProfile(json);
        showProfile(await engine.useProfile(profile));
      } catch (e) {
        // Another model's profile: kept until Forget, used again with its own model.
        showError(`The profile remembered on this device does not fit this model: ${e.message}`);
        profile = engine.createProfile();
      }
      renderStatus();
    },
  };
}
