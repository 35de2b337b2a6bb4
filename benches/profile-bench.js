// Runs inside headless Chromium (driven by benches/profile.mjs): what a personal profile
// costs in the wasm engine exactly as the page's Worker uses it. Per stream update with and
// without a profile (interleaved blocks, the same audio), and the time to build a profile
// from a minute of real speech. Results go to window.benchResult; nothing is asserted.
import { signal } from "./signal.mjs";

const params = new URLSearchParams(location.search);
const { default: init, Engine } = await import(params.get("pkg") ?? "../www/speech-emotion/pkg/speech_emotion.js");
const RATE = 48000;
const HOP = RATE / 4;
const UPDATES = Number(params.get("updates") ?? 1000);
const BLOCKS = 10;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const summary = (times) => {
  const s = [...times].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p95: percentile(s, 0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
};

async function run() {
  await init();
  const clips = await (await fetch(".cache/profile/clips.json")).json(); // [{file, label, rate}]
  const audio = await Promise.all(clips.map(async (c) => ({ ...c, samples: new Float32Array(await (await fetch(`.cache/profile/${c.file}`)).arrayBuffer()) })));
  const seconds = audio.reduce((t, c) => t + c.samples.length / c.rate, 0);

  // Enrolment: every clip added, then the profile built (what "Use my profile" waits for).
  const engine = new Engine();
  const enrolTimes = [];
  let json = null;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const enrolment = engine.beginEnrolment();
    for (const c of audio) enrolment.add(c.samples, c.rate, c.label);
    json = engine.finishEnrolment(enrolment);
    enrolTimes.push(performance.now() - t0);
    enrolment.free();
  }

  // Per update, in interleaved blocks: without, with, without, … (the same chunks).
  const chunks = Array.from({ length: 64 }, (_, k) => signal(HOP, (k + 12) * HOP, RATE));
  const plain = new Engine();
  const personal = new Engine();
  personal.setProfile(json);
  const times = { plain: [], personal: [] };
  for (const [name, e] of [["plain", plain], ["personal", personal]]) {
    e.startStream(RATE);
    for (let i = 0; i < 16; i++) e.pushAll(chunks[i]);
  }
  let personalUpdates = 0;
  for (let b = 0; b < BLOCKS; b++) {
    for (const [name, e] of [["plain", plain], ["personal", personal]]) {
      for (let u = 0; u < UPDATES / BLOCKS; u++) {
        const t0 = performance.now();
        const p = e.pushAll(chunks[u % chunks.length]);
        times[name].push(performance.now() - t0);
        if (p.at(-1)?.personal) personalUpdates++;
      }
    }
  }
  const plainSummary = summary(times.plain);
  const personalSummary = summary(times.personal);
  return {
    enrol: { audio_seconds: seconds, clips: audio.length, runs_ms: enrolTimes, median_ms: [...enrolTimes].sort((a, b) => a - b)[2],
             ms_per_audio_minute: ([...enrolTimes].sort((a, b) => a - b)[2] * 60) / seconds },
    profile_json_bytes: new TextEncoder().encode(json).length,
    profile_json: json,
    update_ms: { without_profile: plainSummary, with_profile: personalSummary,
                 added_mean_ms: personalSummary.mean - plainSummary.mean, added_p50_ms: personalSummary.p50 - plainSummary.p50 },
    personal_updates: personalUpdates,
    cross_origin_isolated: globalThis.crossOriginIsolated === true,
    user_agent: navigator.userAgent,
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
