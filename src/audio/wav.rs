//! The tolerant WAV reader beside symphonia: it walks the chunks itself (a `data` chunk
//! before `fmt `, RIFF and data sizes of 0 or 0xFFFFFFFF as streaming writers leave them, a
//! `data` size past the end of the file, any channel count) and reads PCM a block at a time;
//! what it cannot read plainly goes to symphonia with the header patched (`Patched`).

use std::io::{Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

/// What the `fmt ` chunk of a WAV says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WavFormat {
    /// 1 integer PCM, 3 IEEE float (an extensible header's sub-format), or another codec.
    pub(super) tag: u16,
    pub(super) channels: u16,
    pub(super) sample_rate: u32,
    pub(super) block_align: u16,
    pub(super) bits: u16,
}

impl WavFormat {
    /// Bytes per sample of an integer-PCM or float layout this module reads itself; `None`
    /// for anything else (A-law, μ-law, ADPCM, …), which symphonia decodes.
    pub(super) fn sample_bytes(&self) -> Option<usize> {
        let channels = usize::from(self.channels);
        let block = usize::from(self.block_align);
        if channels == 0 || block == 0 || block % channels != 0 {
            return None;
        }
        let bytes = block / channels;
        let fits = usize::from(self.bits) <= 8 * bytes;
        match self.tag {
            1 if (1..=4).contains(&bytes) && fits => Some(bytes),
            3 if (bytes == 4 || bytes == 8) && fits => Some(bytes),
            _ => None,
        }
    }
}

/// `bytes` rounded down to whole frames of `block_align` bytes.
pub(super) fn whole_frames(bytes: u64, block_align: u16) -> u64 {
    let block_align = u64::from(block_align.max(1));
    bytes / block_align * block_align
}

/// Where a WAV's audio is, from a walk over its RIFF chunks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WavLayout {
    pub(super) format: WavFormat,
    /// Where the `data` chunk's length field is.
    pub(super) length_field_at: u64,
    /// Where the audio starts.
    pub(super) data_start: u64,
    /// Bytes of audio to read: what the `data` chunk declares, or what the file holds from
    /// `data_start` on when the length is unknown or larger than the file.
    pub(super) data_bytes: u64,
    /// The declared length, unless it is 0 or 0xFFFFFFFF (a recorder that never wrote it).
    pub(super) declared_bytes: Option<u64>,
}

impl WavLayout {
    /// The file ends before the length its `data` chunk declares.
    pub(super) fn truncated(&self) -> bool {
        self.declared_bytes.is_some_and(|declared| declared > self.data_bytes)
    }
}

/// Walks a RIFF/WAVE file's chunks, in whatever order they come (`data` before `fmt ` too).
/// Tolerant as the page's reader is (`www/speech-emotion/wav-reader.js`): the RIFF length
/// is not trusted (streaming writers leave it 0 or 0xFFFFFFFF), and a `data` length of 0 or
/// 0xFFFFFFFF, or one past the end of the file, means "to the end of the file". `None`
/// unless the file has both a `fmt ` and a `data` chunk.
pub(super) fn walk_wav<S: Read + Seek>(source: &mut S) -> std::io::Result<Option<WavLayout>> {
    let file_len = source.seek(SeekFrom::End(0))?;
    source.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 12];
    if file_len < 12 || source.read_exact(&mut head).is_err() || &head[..4] != b"RIFF" || &head[8..] != b"WAVE" {
        return Ok(None);
    }
    let (mut format, mut data) = (None, None);
    let mut at = 12u64;
    while at + 8 <= file_len && (format.is_none() || data.is_none()) {
        source.seek(SeekFrom::Start(at))?;
        let mut chunk = [0u8; 8];
        source.read_exact(&mut chunk)?;
        let size = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        let start = at + 8;
        match &chunk[..4] {
            b"fmt " if format.is_none() && size >= 16 && start + 16 <= file_len => {
                let mut fmt = [0u8; 40];
                let n = size.min(40).min(file_len - start) as usize;
                source.read_exact(&mut fmt[..n])?;
                let u16_at = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
                let mut tag = u16_at(0);
                if tag == 0xFFFE && n >= 26 {
                    tag = u16_at(24); // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID's first two bytes
                }
                format = Some(WavFormat {
                    tag,
                    channels: u16_at(2),
                    sample_rate: u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]),
                    block_align: u16_at(12),
                    bits: u16_at(14),
                });
            }
            b"data" if data.is_none() => {
                let unknown = size == 0 || size == u64::from(u32::MAX);
                let to_end = file_len - start;
                let declared_bytes = (!unknown).then_some(size);
                let data_bytes = declared_bytes.map_or(to_end, |declared| declared.min(to_end));
                data = Some((at + 4, start, data_bytes, declared_bytes));
                if unknown || size > to_end {
                    break; // the audio runs to the end of the file: no chunk follows
                }
            }
            _ => {}
        }
        at = start + size + (size & 1);
    }
    Ok(match (format, data) {
        (Some(format), Some((length_field_at, data_start, data_bytes, declared_bytes))) => {
            Some(WavLayout { format, length_field_at, data_start, data_bytes, declared_bytes })
        }
        _ => None,
    })
}

/// Integer PCM or float samples of a WAV, read a block at a time. Written here rather than
/// left to symphonia, whose reader refuses WAVs that players and the page accept: a `data`
/// length past the end of the file ("missing data chunk"), RIFF and `data` lengths of 0 as
/// streaming writers leave them ("invalid riff length"), `data` before `fmt `, and more
/// than 26 channels ("invalid channel count"). Conversion to float is symphonia's.
pub(super) struct WavPcm {
    pub(super) source: Box<dyn MediaSource>,
    pub(super) format: WavFormat,
    pub(super) sample_bytes: usize,
    /// Bytes of the `data` chunk not yet read.
    pub(super) remaining: u64,
    pub(super) bytes: Vec<u8>,
}

/// About 5 s of 48 kHz stereo 16-bit per read, as the page's reader.
pub(super) const WAV_BLOCK_BYTES: usize = 1 << 20;

impl WavPcm {
    /// The next block as interleaved floats into `out`; `Ok(false)` at the end of the data,
    /// and `ended_early` set when the file ends before the data chunk does.
    pub(super) fn read_block(&mut self, out: &mut Vec<f32>, ended_early: &mut bool) -> std::io::Result<bool> {
        let block_align = usize::from(self.format.block_align);
        let want = (WAV_BLOCK_BYTES / block_align).max(1) * block_align;
        let want = want.min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        self.bytes.resize(want, 0);
        let mut got = 0;
        while got < want {
            match self.source.read(&mut self.bytes[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if got < want {
            *ended_early = true; // the file shrank since its length was read
            self.remaining = 0;
        } else {
            self.remaining -= got as u64;
        }
        let whole = got / block_align * block_align;
        out.clear();
        out.extend(self.bytes[..whole].chunks_exact(self.sample_bytes).map(|b| match (self.format.tag, b.len()) {
            (3, 4) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            (3, _) => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32,
            (_, 1) => f32::from(b[0]) / 128.0 - 1.0,
            (_, 2) => f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0,
            (_, 3) => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
            _ => (f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) / 2_147_483_648.0) as f32,
        }));
        Ok(!out.is_empty())
    }
}

/// A source with a few bytes replaced: used to give a cut WAV's `data` chunk the length that
/// is really there, so its last partial packet decodes too instead of failing on EOF.
pub(super) struct Patched<S> {
    pub(super) inner: S,
    pub(super) pos: u64,
    pub(super) patch_at: u64,
    pub(super) patch: [u8; 4],
}

impl<S: Read> Read for Patched<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, byte) in buf[..n].iter_mut().enumerate() {
            let at = self.pos + i as u64;
            if (self.patch_at..self.patch_at + 4).contains(&at) {
                *byte = self.patch[(at - self.patch_at) as usize];
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: Seek> Seek for Patched<S> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

impl<S: MediaSource> MediaSource for Patched<S> {
    fn is_seekable(&self) -> bool {
        self.inner.is_seekable()
    }
    fn byte_len(&self) -> Option<u64> {
        self.inner.byte_len()
    }
}

#[cfg(test)]
mod tests {
    use crate::audio::decode::{DecodeStream, Reader};

    fn collect(mut stream: DecodeStream) -> (Vec<f32>, Option<(u32, usize)>) {
        let mut samples = Vec::new();
        while let Some(chunk) = stream.next_chunk().unwrap() {
            samples.extend_from_slice(chunk.samples);
        }
        let layout = stream.layout();
        stream.finish().unwrap();
        (samples, layout)
    }

    /// The WAV reader here converts every PCM layout to exactly symphonia's floats.
    #[test]
    fn the_wav_reader_equals_symphonia_on_every_pcm_layout() {
        let mut x = 12_345u32;
        let mut noise = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 8) as u8
        };
        // (format tag, bits): 8/16/24/32-bit integers, 32/64-bit floats.
        for (tag, bits) in [(1u16, 8u16), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64)] {
            for channels in [1u16, 2, 6] {
                let block = channels * bits / 8;
                let frames = 3_000usize;
                let data: Vec<u8> = if tag == 3 {
                    (0..frames * usize::from(channels))
                        .flat_map(|i| {
                            let v = ((i * 7919) % 2000) as f64 / 1000.0 - 1.0;
                            if bits == 32 { (v as f32).to_le_bytes().to_vec() } else { v.to_le_bytes().to_vec() }
                        })
                        .collect()
                } else {
                    (0..frames * usize::from(block)).map(|_| noise()).collect()
                };
                let extensible = channels > 2;
                let mut fmt = Vec::new();
                fmt.extend_from_slice(&(if extensible { 0xFFFE } else { tag }).to_le_bytes());
                fmt.extend_from_slice(&channels.to_le_bytes());
                fmt.extend_from_slice(&16_000u32.to_le_bytes());
                fmt.extend_from_slice(&(16_000 * u32::from(block)).to_le_bytes());
                fmt.extend_from_slice(&block.to_le_bytes());
                fmt.extend_from_slice(&bits.to_le_bytes());
                if extensible {
                    fmt.extend_from_slice(&22u16.to_le_bytes());
                    fmt.extend_from_slice(&bits.to_le_bytes());
                    fmt.extend_from_slice(&0x3Fu32.to_le_bytes());
                    fmt.extend_from_slice(&tag.to_le_bytes());
                    fmt.extend_from_slice(&[0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
                }
                let mut bytes = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
                bytes.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
                bytes.extend_from_slice(&fmt);
                bytes.extend_from_slice(b"data");
                bytes.extend_from_slice(&(data.len() as u32).to_le_bytes());
                bytes.extend_from_slice(&data);
                let riff_len = (bytes.len() - 8) as u32;
                bytes[4..8].copy_from_slice(&riff_len.to_le_bytes());

                let open = |read_wav| DecodeStream::from_source_with(std::io::Cursor::new(bytes.clone()), Some("wav"), read_wav);
                let ours = collect(open(true).unwrap());
                assert!(matches!(open(true).unwrap().reader, Reader::Wav(_)));
                let theirs = collect(open(false).unwrap());
                assert_eq!(ours.1, Some((16_000, usize::from(channels))), "tag {tag}, {bits} bits, {channels} channels");
                assert_eq!(ours, theirs, "tag {tag}, {bits} bits, {channels} channels");
            }
        }
    }
}

