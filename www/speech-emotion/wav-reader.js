// Reads a WAV file a block at a time, as mono Float32 pieces, so a long recording is
// classified without holding it in memory (decodeAudioData needs the whole file and returns
// the whole decoded buffer: an hour of 48 kHz stereo is ~1.4 GB).
//
// Written here rather than taken from npm: the WAV readers there (wavefile, wav-decoder)
// parse a whole ArrayBuffer; this needs only the header walk and a per-block conversion.
// Other formats (FLAC, MP3, AAC, Ogg) return null and the page decodes them whole.

const PCM = 1;
const FLOAT = 3;
const EXTENSIBLE = 0xfffe;
const BLOCK_BYTES = 1 << 20; // ~5.5 s of 48 kHz stereo 16-bit per piece

/**
 * Parses the RIFF header. Returns null when the file is not a WAV this reader handles
 * (then the browser's decoder is used), or
 * {sampleRate, channels, bits, float, dataStart, dataBytes, declaredBytes, truncated}.
 */
export async function readWavHeader(file) {
  const head = new DataView(await file.slice(0, Math.min(file.size, 1 << 16)).arrayBuffer());
  const tag = (at) => String.fromCharCode(...new Uint8Array(head.buffer, at, 4));
  if (head.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return null;
  let fmt = null;
  for (let at = 12; at + 8 <= head.byteLength; ) {
    const id = tag(at);
    const size = head.getUint32(at + 4, true);
    if (id === "fmt " && size >= 16 && at + 24 <= head.byteLength) {
      let format = head.getUint16(at + 8, true);
      if (format === EXTENSIBLE && size >= 40 && at + 34 <= head.byteLength) format = head.getUint16(at + 32, true);
      fmt = {
        format,
        channels: head.getUint16(at + 10, true),
        sampleRate: head.getUint32(at + 12, true),
        blockAlign: head.getUint16(at + 20, true),
        bits: head.getUint16(at + 22, true),
      };
    } else if (id === "data") {
      if (!fmt) return null;
      const { format, channels, sampleRate, blockAlign, bits } = fmt;
      const float = format === FLOAT;
      const known = (format === PCM && [8, 16, 24, 32].includes(bits)) || (float && [32, 64].includes(bits));
      if (!known || channels < 1 || blockAlign !== channels * (bits / 8)) return null;
      const dataStart = at + 8;
      // 0xFFFFFFFF (or 0) marks a length not yet written by a recorder: read to the end.
      const declaredBytes = size === 0xffffffff || size === 0 ? null : size;
      const available = file.size - dataStart;
      const dataBytes = Math.floor(Math.min(declaredBytes ?? available, available) / blockAlign) * blockAlign;
      const truncated = declaredBytes !== null && declaredBytes > available;
      return { sampleRate, channels, bits, float, blockAlign, dataStart, dataBytes, declaredBytes, truncated };
    }
    at += 8 + size + (size & 1);
  }
  return null;
}

/** One block of interleaved little-endian samples → mono, the mean of the channels. */
export function toMono(view, header) {
  const { channels, bits, float, blockAlign } = header;
  const frames = Math.floor(view.byteLength / blockAlign);
  const mono = new Float32Array(frames);
  const bytes = bits / 8;
  const read = float
    ? bits === 32 ? (at) => view.getFloat32(at, true) : (at) => view.getFloat64(at, true)
    : bits === 8 ? (at) => (view.getUint8(at) - 128) / 128
    : bits === 16 ? (at) => view.getInt16(at, true) / 32768
    : bits === 24 ? (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608)
    : (at) => view.getInt32(at, true) / 2147483648;
  for (let f = 0, at = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += bytes) sum += read(at);
    mono[f] = sum / channels;
  }
  return mono;
}

/** Yields mono Float32Array pieces of the WAV's audio, one block of the file at a time. */
export async function* wavPieces(file, header) {
  const block = Math.max(header.blockAlign, Math.floor(BLOCK_BYTES / header.blockAlign) * header.blockAlign);
  for (let at = 0; at < header.dataBytes; at += block) {
    const start = header.dataStart + at;
    const end = header.dataStart + Math.min(at + block, header.dataBytes);
    yield toMono(new DataView(await file.slice(start, end).arrayBuffer()), header);
  }
}
