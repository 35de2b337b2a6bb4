// The page's block-wise WAV reader (www/speech-emotion/wav-reader.js) in Node: every PCM layout sox
// writes (8/16/24/32-bit integer, 32/64-bit float, 1–6 channels, the extensible header)
// gives sox's own mono mix-down, block boundaries included; files it does not read return
// null (the page then uses the browser's decoder); a cut file is read as far as it goes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readWavHeader, wavPieces } from "../../www/speech-emotion/wav-reader.js";
import { RAVDESS, tempDir } from "./helpers.mjs";

const dir = tempDir();
const CLIP = join(RAVDESS, "Actor_10/03-01-04-02-02-01-10.flac");
const fileOf = (path) => new File([readFileSync(path)], path.split("/").pop());

async function readAll(file) {
  const header = await readWavHeader(file);
  if (!header) return null;
  const pieces = [];
  for await (const piece of wavPieces(file, header)) pieces.push(piece);
  const out = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) out.set(p, (at += p.length) - p.length);
  return { header, samples: out, pieces: pieces.length };
}

const LAYOUTS = [
  { name: "u8", args: ["-b", "8", "-e", "unsigned-integer"], tolerance: 1 / 128 },
  { name: "s16", args: ["-b", "16", "-e", "signed-integer"], tolerance: 1e-6 },
  { name: "s24", args: ["-b", "24", "-e", "signed-integer"], tolerance: 1e-6 },
  { name: "s32", args: ["-b", "32", "-e", "signed-integer"], tolerance: 1e-6 },
  { name: "f32", args: ["-b", "32", "-e", "floating-point"], tolerance: 1e-6 },
  { name: "f64", args: ["-b", "64", "-e", "floating-point"], tolerance: 1e-6 },
];

for (const channels of [1, 2, 6]) {
  for (const { name, args, tolerance } of LAYOUTS) {
    test(`${name}, ${channels} channel(s): sox's mono mix-down, across blocks`, async () => {
      const wav = join(dir, `${name}-${channels}.wav`);
      // The same clip in every channel at a different gain, so a wrong channel order or
      // mix shows; 44.1 kHz so a 1 MB block does not fall on a second boundary.
      const remix = Array.from({ length: channels }, (_, c) => `1v${(1 - 0.15 * c).toFixed(2)}`);
      execFileSync("sox", [CLIP, "-r", "44100", ...args, wav, "remix", ...remix]);
      const raw = join(dir, `${name}-${channels}.f32`);
      execFileSync("sox", [wav, "-t", "f32", raw, "remix", "-"]); // "-": the channels mixed at 1/n each
      const reference = new Float32Array(readFileSync(raw).buffer.slice(0));
      const got = await readAll(fileOf(wav));
      assert.equal(got.header.channels, channels);
      assert.equal(got.header.sampleRate, 44100);
      assert.equal(got.samples.length, reference.length);
      let worst = 0;
      for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(got.samples[i] - reference[i]));
      assert.ok(worst <= tolerance, `largest difference ${worst}`);
    });
  }
}

test("a long file is read in several blocks", async () => {
  const wav = join(dir, "long.wav");
  execFileSync("sox", [CLIP, "-r", "48000", "-c", "2", "-b", "16", wav, "repeat", "5"]);
  const got = await readAll(fileOf(wav));
  assert.ok(got.pieces > 1, `${got.pieces} piece(s)`);
});

test("not a WAV, or a WAV codec it does not read: null (the browser decodes those)", async () => {
  assert.equal(await readAll(fileOf(CLIP)), null, "FLAC");
  const text = join(dir, "notes.wav");
  writeFileSync(text, "these are not the samples you are looking for");
  assert.equal(await readAll(fileOf(text)), null, "text");
  const alaw = join(dir, "alaw.wav");
  execFileSync("sox", [CLIP, "-e", "a-law", alaw]);
  assert.equal(await readAll(fileOf(alaw)), null, "A-law");
});

test("a cut file is read as far as it goes and says it is truncated", async () => {
  const wav = join(dir, "cut.wav");
  execFileSync("sox", [CLIP, "-b", "16", wav]);
  const bytes = readFileSync(wav);
  const cut = join(dir, "cut-short.wav");
  writeFileSync(cut, bytes.subarray(0, 44 + 2 * 16000 + 1)); // 1 s and half a sample
  const got = await readAll(fileOf(cut));
  assert.equal(got.header.truncated, true);
  assert.equal(got.samples.length, 16000, "whole samples only");
});
