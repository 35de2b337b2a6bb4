// Where a stream update's time goes: the SIMD module with its function names kept
// (scripts/profile-update.sh builds it), run in Node under V8's sampling profiler, one
// 250 ms hop of 48 kHz audio per update as in benches/bench.js. Prints a table and writes
// benches/profile.json. Shares, not timings: the profiler itself slows the run.
//   node benches/profile-update.mjs [--updates N] [--pkg DIR]
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { signal } from "./signal.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROOT = new URL("..", import.meta.url).pathname;
const pkg = arg("pkg", join(ROOT, "target/profile-pkg"));
const updates = Number(arg("updates", 4000));
const RATE = 48000;
const HOP = RATE / 4;

// The engine's stages, by the function that does each: a sample belongs to the first
// part whose function is on its stack (the stages do not nest).
const PARTS = [
  ["resampling to 16 kHz", "StreamResampler::process"],
  ["MFCC of the new frames", "StreamingMfcc::push"],
  ["per-frame layers of the model (trunk)", "RingState::update"],
  ["pooling and head", "Split::head"],
  ["whole-window model (no streaming)", "EmotionModel::predict"],
];
const REST = "the rest of an update (checks, normaliser, JSON, JS glue)";

const wasm = await import(join(pkg, "speech_emotion.js"));
wasm.initSync({ module: readFileSync(join(pkg, "speech_emotion_bg.wasm")) });
const classifier = new wasm.Engine();
classifier.startStream(RATE);
const chunks = Array.from({ length: 64 }, (_, k) => signal(HOP, (k + 12) * HOP, RATE));
for (let i = 0; i < 16; i++) classifier.pushAll(chunks[i]); // a full window first

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
await session.post("Profiler.start");
const t0 = performance.now();
for (let u = 0; u < updates; u++) classifier.pushAll(chunks[u % chunks.length]);
const wall = performance.now() - t0;
const { profile } = await session.post("Profiler.stop");
session.disconnect();

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const counts = new Map();
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);

let inUpdate = 0;
const parts = new Map([...PARTS.map(([name]) => [name, 0]), [REST, 0]]);
const self = new Map();
for (const [id, n] of counts) {
  const stack = [];
  for (let x = id; x !== undefined; x = parent.get(x)) stack.push(byId.get(x).callFrame.functionName);
  if (!stack.some((f) => f.includes("Engine::push_all") || f === "pushAll")) continue;
  inUpdate += n;
  const part = PARTS.find(([, marker]) => stack.some((f) => f.includes(marker)))?.[0] ?? REST;
  parts.set(part, parts.get(part) + n);
  const leaf = stack[0].replace(/::h[0-9a-f]{16}$/, "") || "(anonymous)";
  self.set(leaf, (self.get(leaf) ?? 0) + n);
}
if (!inUpdate) throw new Error(`no samples inside an update: is ${pkg} built with function names (scripts/profile-update.sh)?`);

const share = (n) => n / inUpdate;
const result = {
  updates,
  mean_update_ms_under_profiler: wall / updates,
  samples_in_updates: inUpdate,
  parts: Object.fromEntries([...parts].filter(([, n]) => n > 0).map(([k, n]) => [k, share(n)])),
  top_self: [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([f, n]) => ({ function: f, share: share(n) })),
  node: process.version,
};
const pct = (x) => `${(100 * x).toFixed(1)} %`;
console.log(`| part of an update (${updates} updates, ${result.mean_update_ms_under_profiler.toFixed(2)} ms each under the profiler) | share |`);
console.log("| --- | --- |");
for (const [k, v] of Object.entries(result.parts)) console.log(`| ${k} | ${pct(v)} |`);
console.log("\n| function (self time) | share |\n| --- | --- |");
for (const { function: f, share: s } of result.top_self) console.log(`| ${f.slice(0, 110)} | ${pct(s)} |`);
writeFileSync(join(ROOT, "benches/profile.json"), JSON.stringify(result, null, 2) + "\n");
console.log("\nwritten to benches/profile.json");
