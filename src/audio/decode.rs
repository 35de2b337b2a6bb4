//! Audio file decoding with symphonia: WAV and FLAC, and with the `compressed` feature
//! (the CLI) MP3, AAC in M4A/MP4, Ogg Vorbis, AIFF and CAF/ALAC. Corrupt, truncated or
//! non-audio input is an `Error::Decode`, never a panic; a codec that cannot be decoded
//! (Opus, AC-3, …) is named in the error.
//!
//! A file that is only partly usable is decoded as far as it goes and *says so*: the
//! `…_with_warnings` functions return a [`DecodeWarning`] for a file shorter than its header
//! promises (a WAV whose `data` chunk runs past the end of the file, a FLAC whose stream
//! info counts more samples than arrive), for damaged packets that were skipped and for
//! damage that ended decoding early. A file from which nothing decodes is an error.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use super::{validate_sample_rate, DecodedAudio};
use crate::{Error, Result};

/// What this build decodes (the `compressed` feature adds the lossy formats).
#[cfg(feature = "compressed")]
pub const SUPPORTED: &str = "WAV, FLAC, MP3, AAC in M4A/MP4, Ogg Vorbis, AIFF, CAF/ALAC";
#[cfg(not(feature = "compressed"))]
pub const SUPPORTED: &str = "WAV, FLAC";

/// Names a codec for the error that says it is not supported.
fn codec_name(id: symphonia::core::codecs::audio::AudioCodecId) -> String {
    use symphonia::core::codecs::audio::well_known::*;
    let known = [
        (CODEC_ID_OPUS, "Opus"),
        (CODEC_ID_VORBIS, "Vorbis"),
        (CODEC_ID_SPEEX, "Speex"),
        (CODEC_ID_MP3, "MP3"),
        (CODEC_ID_AAC, "AAC"),
        (CODEC_ID_AC3, "AC-3"),
        (CODEC_ID_EAC3, "E-AC-3"),
        (CODEC_ID_WMA, "WMA"),
        (CODEC_ID_ALAC, "ALAC"),
        (CODEC_ID_WAVPACK, "WavPack"),
        (CODEC_ID_MUSEPACK, "Musepack"),
        (CODEC_ID_ATRAC3, "ATRAC3"),
    ];
    known.iter().find(|(k, _)| *k == id).map_or_else(|| format!("codec {id}"), |(_, name)| (*name).to_string())
}

/// More channels than any real recording; guards against absurd headers.
const MAX_CHANNELS: usize = 64;

/// Part of a file could not be used; the audio that could is still returned.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeWarning {
    /// The file ends before the length its header gives.
    Truncated { expected_s: f64, found_s: f64 },
    /// Less audio than the header gives although the file did not end early: the reader
    /// skipped damaged data on its own (FLAC resynchronises on the next frame).
    Incomplete { expected_s: f64, found_s: f64 },
    /// Damaged packets were skipped (players do the same); the first was at `first_at_s`.
    SkippedPackets { count: usize, first_at_s: f64 },
    /// Damaged data after good audio ended decoding; the audio before `at_s` is kept.
    StoppedAtDamage { at_s: f64, reason: String },
}

impl std::fmt::Display for DecodeWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated { expected_s, found_s } => {
                write!(f, "truncated: header says {expected_s:.3} s, found {found_s:.3} s")
            }
            Self::Incomplete { expected_s, found_s } => {
                write!(f, "incomplete: header says {expected_s:.3} s, decoded {found_s:.3} s (damaged data skipped)")
            }
            Self::SkippedPackets { count, first_at_s } => {
                write!(f, "damaged: {count} undecodable packet(s) skipped, the first at {first_at_s:.3} s")
            }
            Self::StoppedAtDamage { at_s, reason } => {
                write!(f, "damaged: decoding stopped at {at_s:.3} s ({reason}); the audio before it is kept")
            }
        }
    }
}

/// Decoded audio and what was wrong with the file, if anything.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub audio: DecodedAudio,
    /// Empty for a sound file.
    pub warnings: Vec<DecodeWarning>,
}

/// Decodes an audio file (warnings dropped: see [`decode_file_with_warnings`]).
pub fn decode_file(path: &Path) -> Result<DecodedAudio> {
    decode_file_with_warnings(path).map(|d| d.audio)
}

/// Decodes audio file bytes; the extension hint only speeds up format detection.
pub fn decode_bytes(bytes: Vec<u8>, extension_hint: Option<&str>) -> Result<DecodedAudio> {
    decode_bytes_with_warnings(bytes, extension_hint).map(|d| d.audio)
}

/// Decodes an audio file and reports truncation and damage.
pub fn decode_file_with_warnings(path: &Path) -> Result<Decoded> {
    let file = open_regular(path)?;
    let extension = path.extension().and_then(|e| e.to_str());
    decode_source(file, extension).map_err(|e| name_the_file(e, path))
}

/// Decodes audio file bytes and reports truncation and damage.
pub fn decode_bytes_with_warnings(bytes: Vec<u8>, extension_hint: Option<&str>) -> Result<Decoded> {
    decode_source(std::io::Cursor::new(bytes), extension_hint)
}

/// Opens a file for decoding: only a regular file (a folder, a pipe that would block or
/// a device such as `/dev/zero` that never ends is refused with a message).
fn open_regular(path: &Path) -> Result<std::fs::File> {
    let fail = |error| Error::Io { path: path.display().to_string(), error };
    let info = std::fs::metadata(path).map_err(fail)?;
    if info.is_dir() {
        return Err(fail(std::io::Error::other("this is a folder, not an audio file")));
    }
    if !info.is_file() {
        return Err(fail(std::io::Error::other("not a regular file (a device, pipe or socket), so not an audio file")));
    }
    std::fs::File::open(path).map_err(fail)
}

/// What the `fmt ` chunk of a WAV says.
#[derive(Debug, Clone, Copy, PartialEq)]
struct WavFormat {
    /// 1 integer PCM, 3 IEEE float (an extensible header's sub-format), or another codec.
    tag: u16,
    channels: u16,
    sample_rate: u32,
    block_align: u16,
    bits: u16,
}

impl WavFormat {
    /// Bytes per sample of an integer-PCM or float layout this module reads itself; `None`
    /// for anything else (A-law, μ-law, ADPCM, …), which symphonia decodes.
    fn sample_bytes(&self) -> Option<usize> {
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
fn whole_frames(bytes: u64, block_align: u16) -> u64 {
    let block_align = u64::from(block_align.max(1));
    bytes / block_align * block_align
}

/// Where a WAV's audio is, from a walk over its RIFF chunks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct WavLayout {
    format: WavFormat,
    /// Where the `data` chunk's length field is.
    length_field_at: u64,
    /// Where the audio starts.
    data_start: u64,
    /// Bytes of audio to read: what the `data` chunk declares, or what the file holds from
    /// `data_start` on when the length is unknown or larger than the file.
    data_bytes: u64,
    /// The declared length, unless it is 0 or 0xFFFFFFFF (a recorder that never wrote it).
    declared_bytes: Option<u64>,
}

impl WavLayout {
    /// The file ends before the length its `data` chunk declares.
    fn truncated(&self) -> bool {
        self.declared_bytes.is_some_and(|declared| declared > self.data_bytes)
    }
}

/// Walks a RIFF/WAVE file's chunks, in whatever order they come (`data` before `fmt ` too).
/// Tolerant as the page's reader is (`www/speech-emotion/wav-reader.js`): the RIFF length
/// is not trusted (streaming writers leave it 0 or 0xFFFFFFFF), and a `data` length of 0 or
/// 0xFFFFFFFF, or one past the end of the file, means "to the end of the file". `None`
/// unless the file has both a `fmt ` and a `data` chunk.
fn walk_wav<S: Read + Seek>(source: &mut S) -> std::io::Result<Option<WavLayout>> {
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
struct WavPcm {
    source: Box<dyn MediaSource>,
    format: WavFormat,
    sample_bytes: usize,
    /// Bytes of the `data` chunk not yet read.
    remaining: u64,
    bytes: Vec<u8>,
}

/// About 5 s of 48 kHz stereo 16-bit per read, as the page's reader.
const WAV_BLOCK_BYTES: usize = 1 << 20;

impl WavPcm {
    /// The next block as interleaved floats into `out`; `Ok(false)` at the end of the data,
    /// and `ended_early` set when the file ends before the data chunk does.
    fn read_block(&mut self, out: &mut Vec<f32>, ended_early: &mut bool) -> std::io::Result<bool> {
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
struct Patched<S> {
    inner: S,
    pos: u64,
    patch_at: u64,
    patch: [u8; 4],
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

fn decode_source<S: MediaSource + 'static>(source: S, extension_hint: Option<&str>) -> Result<Decoded> {
    let mut stream = DecodeStream::from_source(source, extension_hint)?;
    let mut samples = Vec::new();
    while let Some(chunk) = stream.next_chunk()? {
        samples.extend_from_slice(chunk.samples);
    }
    let (sample_rate, channels) = stream.layout().unwrap_or_default();
    let warnings = stream.finish()?;
    Ok(Decoded { audio: DecodedAudio { sample_rate, channels, samples }, warnings })
}

/// One decoded packet: interleaved samples and their layout.
#[derive(Debug, Clone, Copy)]
pub struct PcmChunk<'a> {
    pub samples: &'a [f32],
    pub sample_rate: u32,
    pub channels: usize,
}

/// An audio file decoded packet by packet: memory stays at one packet however long
/// the recording. [`decode_file_with_warnings`] is this, collected.
pub struct DecodeStream {
    reader: Reader,
    declared_frames: Option<u64>,
    layout: Option<(u32, usize)>,
    chunk: Vec<f32>,
    frames: u64,
    ended_early: bool,
    done: bool,
    skipped: usize,
    first_skip_frame: u64,
    first_error: Option<String>,
    stopped_at_damage: Option<String>,
}

/// Integer PCM and float WAVs are read here, everything else by symphonia.
enum Reader {
    Wav(WavPcm),
    Symphonia {
        format: Box<dyn symphonia::core::formats::FormatReader>,
        decoder: Box<dyn symphonia::core::codecs::audio::AudioDecoder>,
        track_id: u32,
    },
}

impl std::fmt::Debug for DecodeStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeStream").field("layout", &self.layout).field("frames", &self.frames).finish()
    }
}

impl DecodeStream {
    /// Opens a file; errors name it.
    pub fn open(path: &Path) -> Result<Self> {
        let file = open_regular(path)?;
        let extension = path.extension().and_then(|e| e.to_str());
        Self::from_source(file, extension).map_err(|e| name_the_file(e, path))
    }

    fn from_source<S: MediaSource + 'static>(source: S, extension_hint: Option<&str>) -> Result<Self> {
        Self::from_source_with(source, extension_hint, true)
    }

    /// `read_wav: false` leaves every WAV to symphonia (the tests compare the two).
    fn from_source_with<S: MediaSource + 'static>(mut source: S, extension_hint: Option<&str>, read_wav: bool) -> Result<Self> {
        let io = |error| Error::Io { path: String::new(), error };
        let wav = walk_wav(&mut source).map_err(io)?;
        if let Some(wav) = wav
            && let Some(sample_bytes) = wav.format.sample_bytes()
            && read_wav
        {
            return Self::pcm_wav(source, wav, sample_bytes);
        }
        // Another codec in a WAV, cut short: give the `data` chunk the length that is really
        // there, so symphonia decodes its last partial packet too instead of failing on EOF.
        let cut = wav.filter(WavLayout::truncated);
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        let source: Box<dyn MediaSource> = match cut {
            Some(cut) => Box::new(Patched {
                inner: source,
                pos: 0,
                patch_at: cut.length_field_at,
                patch: u32::try_from(whole_frames(cut.data_bytes, cut.format.block_align)).unwrap_or(u32::MAX).to_le_bytes(),
            }),
            None => Box::new(source),
        };

        let mut hint = Hint::new();
        if let Some(ext) = extension_hint {
            hint.with_extension(ext);
        }
        let stream = MediaSourceStream::new(source, Default::default());
        let format = symphonia::default::get_probe()
            .probe(&hint, stream, FormatOptions::default(), MetadataOptions::default())
            .map_err(|e| Error::Decode(format!("not a supported audio file ({SUPPORTED}): {e}")))?;
        let track = format.default_track(TrackType::Audio).ok_or_else(|| Error::Decode("no audio track".into()))?;
        let track_id = track.id;
        let declared_frames = cut
            .and_then(|c| Some(c.declared_bytes? / u64::from(c.format.block_align.max(1))))
            .or(track.num_frames)
            .filter(|&n| n > 0);
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| Error::Decode("the audio track has no codec parameters".into()))?
            .clone();
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|_| Error::Decode(format!("{} audio cannot be decoded here (supported: {SUPPORTED})", codec_name(params.codec))))?;
        Ok(Self::with_reader(Reader::Symphonia { format, decoder, track_id }, declared_frames, cut.is_some()))
    }

    /// An integer-PCM or float WAV, read by [`WavPcm`].
    fn pcm_wav<S: MediaSource + 'static>(mut source: S, wav: WavLayout, sample_bytes: usize) -> Result<Self> {
        let channels = usize::from(wav.format.channels);
        if channels > MAX_CHANNELS {
            return Err(Error::Decode(format!("{channels} channels is not a usable layout (at most {MAX_CHANNELS})")));
        }
        validate_sample_rate(f64::from(wav.format.sample_rate))?;
        source.seek(SeekFrom::Start(wav.data_start)).map_err(|error| Error::Io { path: String::new(), error })?;
        let block_align = u64::from(wav.format.block_align);
        let declared_frames = wav.declared_bytes.map(|bytes| bytes / block_align).filter(|&n| n > 0);
        let reader = WavPcm {
            source: Box::new(source),
            format: wav.format,
            sample_bytes,
            remaining: whole_frames(wav.data_bytes, wav.format.block_align),
            bytes: Vec::new(),
        };
        Ok(Self::with_reader(Reader::Wav(reader), declared_frames, wav.truncated()))
    }

    fn with_reader(reader: Reader, declared_frames: Option<u64>, ended_early: bool) -> Self {
        Self {
            reader,
            declared_frames,
            layout: None,
            chunk: Vec::new(),
            frames: 0,
            ended_early,
            done: false,
            skipped: 0,
            first_skip_frame: 0,
            first_error: None,
            stopped_at_damage: None,
        }
    }

    /// `(sample_rate, channels)`, known once the first packet has decoded.
    pub fn layout(&self) -> Option<(u32, usize)> {
        self.layout
    }

    /// The next decoded packet; `None` at the end (or where damage ended it).
    pub fn next_chunk(&mut self) -> Result<Option<PcmChunk<'_>>> {
        let (format, decoder, track_id) = match &mut self.reader {
            Reader::Symphonia { format, decoder, track_id } => (format, decoder, track_id),
            Reader::Wav(wav) => {
                let more = !self.done && wav.read_block(&mut self.chunk, &mut self.ended_early).map_err(|e| Error::Decode(e.to_string()))?;
                if !more {
                    self.done = true;
                    return Ok(None);
                }
                let (sample_rate, channels) = (wav.format.sample_rate, usize::from(wav.format.channels));
                self.layout = Some((sample_rate, channels));
                self.frames += (self.chunk.len() / channels) as u64;
                return Ok(Some(PcmChunk { samples: &self.chunk, sample_rate, channels }));
            }
        };
        while !self.done {
            let packet = match format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                // A file cut short ends with an unexpected EOF: keep what decoded.
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.ended_early = true;
                    break;
                }
                Err(SymphoniaError::DecodeError(msg)) if self.layout.is_some() => {
                    self.stopped_at_damage = Some(msg.to_string()); // damage after good audio: stop there
                    break;
                }
                Err(e) => return Err(Error::Decode(e.to_string())),
            };
            if packet.track_id != *track_id {
                continue;
            }
            let buffer = match decoder.decode(&packet) {
                Ok(buffer) => buffer,
                // A corrupt packet is skipped, as players do; a wholly corrupt file ends in `finish`.
                Err(SymphoniaError::DecodeError(msg)) => {
                    if self.skipped == 0 {
                        self.first_skip_frame = self.frames;
                        self.first_error.get_or_insert_with(|| msg.to_string());
                    }
                    self.skipped += 1;
                    continue;
                }
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.ended_early = true;
                    break;
                }
                Err(e) => return Err(Error::Decode(e.to_string())),
            };
            let spec = buffer.spec();
            let this_layout = (spec.rate(), spec.channels().count());
            match self.layout {
                None => {
                    let (rate, channels) = this_layout;
                    validate_sample_rate(rate as f64)?;
                    if channels == 0 || channels > MAX_CHANNELS {
                        return Err(Error::Decode(format!("{channels} channels is not a usable layout")));
                    }
                    self.layout = Some(this_layout);
                }
                Some(known) if known != this_layout => {
                    return Err(Error::Decode("the sample rate or channel count changes mid-stream".into()));
                }
                Some(_) => {}
            }
            self.chunk.resize(buffer.samples_interleaved(), 0.0);
            buffer.copy_to_slice_interleaved(&mut self.chunk);
            self.frames += (self.chunk.len() / this_layout.1) as u64;
            if self.chunk.is_empty() {
                continue;
            }
            return Ok(Some(PcmChunk { samples: &self.chunk, sample_rate: this_layout.0, channels: this_layout.1 }));
        }
        self.done = true;
        Ok(None)
    }

    /// After the last chunk: what was wrong with the file, or an error if nothing decoded.
    pub fn finish(self) -> Result<Vec<DecodeWarning>> {
        let Some((sample_rate, _)) = self.layout else {
            let why = self.first_error.map(|e| format!(" ({} damaged packet(s); the first: {e})", self.skipped)).unwrap_or_default();
            return Err(Error::Decode(format!("no decodable audio in the file{why}")));
        };
        if self.frames == 0 {
            return Err(Error::Decode("the file holds no samples".into()));
        }
        let seconds = |frames: u64| frames as f64 / f64::from(sample_rate);
        let mut warnings = Vec::new();
        if self.skipped > 0 {
            warnings.push(DecodeWarning::SkippedPackets { count: self.skipped, first_at_s: seconds(self.first_skip_frame) });
        }
        if let Some(reason) = self.stopped_at_damage {
            warnings.push(DecodeWarning::StoppedAtDamage { at_s: seconds(self.frames), reason });
        }
        if let Some(declared) = self.declared_frames {
            let (expected_s, found_s) = (seconds(declared), seconds(self.frames));
            if self.frames < declared {
                if self.ended_early {
                    warnings.push(DecodeWarning::Truncated { expected_s, found_s });
                } else if warnings.is_empty() {
                    warnings.push(DecodeWarning::Incomplete { expected_s, found_s });
                }
            }
        }
        Ok(warnings)
    }
}

fn name_the_file(e: Error, path: &Path) -> Error {
    match e {
        Error::Decode(msg) => Error::Decode(format!("{}: {msg}", path.display())),
        Error::Io { error, .. } => Error::Io { path: path.display().to_string(), error },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
