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

use std::io::SeekFrom;
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use super::wav::{walk_wav, whole_frames, Patched, WavLayout, WavPcm};
use super::{validate_sample_rate, DecodeWarning, DecodedAudio};
use crate::{Error, Result};

/// What this build decodes (the `compressed` feature adds the lossy formats).
#[cfg(feature = "compressed")]
pub const SUPPORTED: &str = "WAV, FLAC, MP3, AAC in M4A/MP4, Ogg Vorbis, AIFF, CAF/ALAC";
#[cfg(not(feature = "compressed"))]
pub const SUPPORTED: &str = "WAV, FLAC";

/// File name endings a batch takes from a folder (the CLI's `classify`, the Python
/// package's Ray pipeline). Opus is among them although it cannot be decoded: each such
/// file is then reported by name with the reason, not silently skipped.
pub const AUDIO_EXTENSIONS: [&str; 13] =
    ["wav", "wave", "flac", "mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "aif", "aiff", "caf"];

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
    pub(super) reader: Reader,
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
pub(super) enum Reader {
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

    /// Decodes audio file bytes packet by packet (the Python package's Ray workers receive
    /// files as bytes); the extension hint only speeds up format detection.
    pub fn from_bytes(bytes: Vec<u8>, extension_hint: Option<&str>) -> Result<Self> {
        Self::from_source(std::io::Cursor::new(bytes), extension_hint)
    }

    fn from_source<S: MediaSource + 'static>(source: S, extension_hint: Option<&str>) -> Result<Self> {
        Self::from_source_with(source, extension_hint, true)
    }

    /// `read_wav: false` leaves every WAV to symphonia (the tests compare the two).
    pub(super) fn from_source_with<S: MediaSource + 'static>(mut source: S, extension_hint: Option<&str>, read_wav: bool) -> Result<Self> {
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
