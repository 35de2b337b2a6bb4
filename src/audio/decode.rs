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

/// A WAV whose `data` chunk claims more bytes than the file holds.
#[derive(Debug, Clone, Copy)]
struct WavCut {
    /// Where the `data` chunk's length field is.
    length_field_at: u64,
    /// Whole frames that are present.
    present_bytes: u32,
    declared_frames: u64,
}

/// Walks a RIFF/WAVE header; `None` unless it is a WAV cut short inside its `data` chunk.
fn find_wav_cut<S: Read + Seek>(source: &mut S) -> std::io::Result<Option<WavCut>> {
    let file_len = source.seek(SeekFrom::End(0))?;
    source.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 12];
    if source.read_exact(&mut head).is_err() || &head[..4] != b"RIFF" || &head[8..] != b"WAVE" {
        return Ok(None);
    }
    let mut at = 12u64;
    let mut block_align = 0u64;
    while at + 8 <= file_len {
        source.seek(SeekFrom::Start(at))?;
        let mut chunk = [0u8; 8];
        source.read_exact(&mut chunk)?;
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        match &chunk[..4] {
            b"fmt " if size >= 14 => {
                let mut fmt = [0u8; 14];
                source.read_exact(&mut fmt).ok();
                block_align = u64::from(u16::from_le_bytes([fmt[12], fmt[13]]));
            }
            b"data" => {
                let start = at + 8;
                // u32::MAX means "length unknown" (a stream being written): not a cut.
                if size == u32::MAX || block_align == 0 || start + u64::from(size) <= file_len {
                    return Ok(None);
                }
                let present = (file_len - start) / block_align * block_align;
                return Ok(Some(WavCut {
                    length_field_at: at + 4,
                    present_bytes: present as u32, // < size, so it fits
                    declared_frames: u64::from(size) / block_align,
                }));
            }
            _ => {}
        }
        at += 8 + u64::from(size) + u64::from(size & 1);
    }
    Ok(None)
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
    format: Box<dyn symphonia::core::formats::FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::audio::AudioDecoder>,
    track_id: u32,
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

    fn from_source<S: MediaSource + 'static>(mut source: S, extension_hint: Option<&str>) -> Result<Self> {
        let io = |error| Error::Io { path: String::new(), error };
        let cut = find_wav_cut(&mut source).map_err(io)?;
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        let source: Box<dyn MediaSource> = match cut {
            Some(cut) => Box::new(Patched { inner: source, pos: 0, patch_at: cut.length_field_at, patch: cut.present_bytes.to_le_bytes() }),
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
        let declared_frames = cut.map(|c| c.declared_frames).or(track.num_frames).filter(|&n| n > 0);
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| Error::Decode("the audio track has no codec parameters".into()))?
            .clone();
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|_| Error::Decode(format!("{} audio cannot be decoded here (supported: {SUPPORTED})", codec_name(params.codec))))?;
        Ok(Self {
            format,
            decoder,
            track_id,
            declared_frames,
            layout: None,
            chunk: Vec::new(),
            frames: 0,
            ended_early: cut.is_some(),
            done: false,
            skipped: 0,
            first_skip_frame: 0,
            first_error: None,
            stopped_at_damage: None,
        })
    }

    /// `(sample_rate, channels)`, known once the first packet has decoded.
    pub fn layout(&self) -> Option<(u32, usize)> {
        self.layout
    }

    /// The next decoded packet; `None` at the end (or where damage ended it).
    pub fn next_chunk(&mut self) -> Result<Option<PcmChunk<'_>>> {
        while !self.done {
            let packet = match self.format.next_packet() {
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
            if packet.track_id != self.track_id {
                continue;
            }
            let buffer = match self.decoder.decode(&packet) {
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
