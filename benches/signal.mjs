// The benchmarks' input, shared by the browser benchmark (bench.js) and the profile of an
// update (profile-update.mjs): deterministic speech-like noise shaped by a 4 Hz syllable
// envelope at about −20 dBFS. `offset` is in samples at `rate`.
export function signal(samples, offset, rate) {
  const out = new Float32Array(samples);
  let seed = (offset * 2654435761) >>> 0;
  for (let i = 0; i < samples; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    const t = (offset + i) / rate;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    out[i] = 0.2 * envelope * (seed / 2 ** 32 - 0.5);
  }
  return out;
}
