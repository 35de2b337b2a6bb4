// The benchmark table, rendered from benches/results.json alone: benches/run.mjs prints it
// and writes benches/results.md; scripts/bench-table.mjs puts it in the README (and
// `--check`, in the test command, fails when the README and the JSON disagree). Plain
// Node: no browser or npm package needed to render or check it.

export const kb = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} KB` : `${b} B`);

/** The transfer rows, from the `transfer.wire` part (benches/transfer.mjs). */
export function transferRows(wire) {
  const g = wire.by_encoding.gzip;
  const b = wire.by_encoding.brotli;
  const cell = (v) => `${kb(v.gzip)} / ${kb(v.br)}`;
  const both = (visit) => ({ gzip: g[visit].server_bytes, br: b[visit].server_bytes });
  const once = (v) => Math.max(...Object.values(v.first.files).map((f) => f.bodies));
  return [
    ["transfer, first visit incl. Worker, AudioWorklet and service-worker install (gzip / brotli)", cell(both("first")), "≤ 1.5 MB"],
    ["transfer, second visit, nothing changed (gzip / brotli)", cell(both("second")), "≤ 20 KB"],
    ["transfer, offline visit (gzip / brotli)", cell(both("offline")), "0, still classifies"],
    ["… most downloads of one file in the first visit; requests first / second visit", `${once(g)}; ${g.first.requests} / ${g.second.requests}`, "1"],
  ];
}

const fmt = (x, digits = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const ms = (s) => `${fmt(s.p50)} / ${fmt(s.p95)} ms`;

export function renderTable(results) {
  const { simd, scalar, startup: start, cli } = results;
  const { date = "?", updates = 1000, hours = 1 } = results.run ?? {};
  const ort = simd.onnxruntime_web;
  const ortTransfer = results.onnxruntime_web_transfer;
  const table = [];
  const row = (...cells) => table.push(`| ${cells.join(" | ")} |`);
  const m = results.machine;
  table.push(`Machine: ${m.cpus} × ${m.cpu}, ${m.memory_gib} GiB; Chromium ${m.chromium} headless; Node ${m.node}; ${date}`, "");
  row(`measure (p50 / p95 over ${updates} updates where timed)`, "value", "target");
  row("---", "---", "---");
  row("per update, SIMD build: 250 ms of 48 kHz audio → resample + MFCC + model (3 s window)", ms(simd.update_ms), "≤ 5 ms p50");
  if (simd.update_16k_input_ms) row("… the same from 16 kHz input (no resampling), SIMD", ms(simd.update_16k_input_ms), "");
  row("… MFCC alone (one hop of 16 kHz audio) / model alone (one window), SIMD", `${ms(simd.stages.mfcc_ms)}; ${ms(simd.stages.model_ms)}`, "");
  row("per update, scalar build", ms(scalar.update_ms), "");
  row("… MFCC alone / model alone, scalar", `${ms(scalar.stages.mfcc_ms)}; ${ms(scalar.stages.model_ms)}`, "");
  if (ort) {
    row(`onnxruntime-web ${ort.version ?? ""} (wasm, 1 thread), same ONNX, model alone`, ms(ort.model_ms), "");
    row("our model time / onnxruntime-web model time (p50, same run)", fmt(simd.model_time_ratio), "≤ 0.8");
    const per = simd.update_vs_onnxruntime;
    if (per) row("our whole update (SIMD) / onnxruntime-web's model on the whole window, p50 (means)", `${fmt(per.p50)} (${fmt(per.mean)})`, "≤ 0.5");
    if (ort.with_meyda_update_ms) {
      row("onnxruntime-web + Meyda per update: Meyda MFCC of the new 250 ms (16 kHz) + the model", ms(ort.with_meyda_update_ms), "");
    }
    if (ortTransfer) row("onnxruntime-web transfer for the model (runtime + model, raw / gzip)", `${mb(ortTransfer.raw)} / ${mb(ortTransfer.gzip)}`, "");
  }
  for (const c of simd.mfcc_vs_meyda ?? []) {
    row(`MFCC of ${c.clip}: ms per 3 s, ours vs Meyda 5.6.3`, `${fmt(c.ours.ms_per_3s)} vs ${fmt(c.meyda.ms_per_3s)} ms`, "");
    row("… relative RMS distance to librosa, ours vs Meyda", `${c.ours.rel_rms_distance.toExponential(1)} vs ${fmt(c.meyda.rel_rms_distance)}`, "");
  }
  row("start-up (bench page): wasm instantiated / model ready / first prediction", `${fmt(simd.startup_ms.wasm_instantiated, 0)} / ${fmt(simd.startup_ms.model_ready, 0)} / ${fmt(simd.startup_ms.first_prediction, 0)} ms`, "");
  row("page, cold: load → model ready; click Start → first bars", `${start.cold.page_load_to_model_ready_ms} ms; ${start.cold.click_to_first_bars_ms} ms`, "≤ 700 ms to first bars");
  row("page, warm (cached): load → model ready; click Start → first bars", `${start.warm.page_load_to_model_ready_ms} ms; ${start.warm.click_to_first_bars_ms} ms`, "≤ 700 ms");
  // On the wire as Chromium sees it (benches/transfer.mjs, run first by scripts/bench.sh).
  const wire = results.transfer?.wire;
  if (wire) for (const r of transferRows(wire)) row(...r);
  const wasm = wire?.wasm_files?.["pkg/speech_emotion_bg.wasm"];
  if (wasm) row("… pkg/speech_emotion_bg.wasm (raw / gzip / brotli 11)", `${mb(wasm.raw)} / ${mb(wasm.gzip)} / ${mb(wasm.br)}`, "");
  row(`${hours} h stream: wall time, × real time`, `${fmt(simd.long_run.seconds, 0)} s, ${fmt(simd.long_run.realtime_factor, 0)}×`, "");
  const mem = simd.long_run.memory ?? [];
  if (results.memory_growth_bytes) row(`memory growth minute 1 → ${mem.at(-1)?.minute}: wasm / JS heap${mem.at(-1)?.after_gc ? " (after a full GC)" : ""}`, `${results.memory_growth_bytes.wasm} / ${results.memory_growth_bytes.js_heap} bytes`, "≤ 1 MB");
  for (const run of results.cli_long_file ?? []) {
    row(`native CLI, one ${fmt(run.audio_s / 60, 0)} min 48 kHz stereo WAV (${mb(run.file_bytes)}): peak memory, wall time`,
      `${mb(run.peak_rss_bytes)}, ${fmt(run.wall_s, 1)} s`, run.audio_s >= 7200 ? "< 150 MB per worker" : "");
  }
  if (cli) row(`native CLI over ${cli.clips} RAVDESS clips (${fmt(cli.audio_s / 60, 0)} min of audio), 2 cores`, `${fmt(cli.wall_s, 1)} s, ${fmt(cli.realtime_factor, 0)}× real time`, "≥ 1000×");
  return table.join("\n") + "\n";
}
