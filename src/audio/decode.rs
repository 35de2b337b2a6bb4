//! WAV and FLAC decoding with symphonia. Corrupt, truncated or non-audio input is an
//! `Error::Decode`, never a panic; a stream cut short keeps what decoded cleanly.

use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use super::{validate_sample_rate, DecodedAudio};
use crate::{Error, Result};

/// More channels than any real recording; guards against absurd headers.
const MAX_CHANNELS: usize = 64;

/// Decodes a WAV or FLAC file.
pub fn decode_file(path: &Path) -> Result<DecodedAudio> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    let extension = path.extension().and_then(|e| e.to_str());
    decode_source(Box::new(file), extension).map_err(|e| match e {
        Error::Decode(msg) => Error::Decode(format!("{}: {msg}", path.display())),
        other => other,
    })
}

/// Decodes WAV or FLAC bytes; the extension hint only speeds up format detection.
pub fn decode_bytes(bytes: Vec<u8>, extension_hint: Option<&str>) -> Result<DecodedAudio> {
    decode_source(Box::new(std::io::Cursor::new(bytes)), extension_hint)
}

fn decode_source(source: Box<dyn MediaSource>, extension_hint: Option<&str>) -> Result<DecodedAudio> {
    let mut hint = Hint::new();
    if let Some(ext) = extension_hint {
        hint.with_extension(ext);
    }
    let stream = MediaSourceStream::new(source, Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(&hint, stream, FormatOptions::default(), MetadataOptions::default())
        .map_err(|e| Error::Decode(format!("not a supported audio file (WAV or FLAC): {e}")))?;
    let track = format.default_track(TrackType::Audio).ok_or_else(|| Error::Decode("no audio track".into()))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| Error::Decode("the audio track has no codec parameters".into()))?
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| Error::Decode(format!("unsupported codec: {e}")))?;

    let mut samples: Vec<f32> = Vec::new();
    let mut layout: Option<(u32, usize)> = None;
    let mut chunk: Vec<f32> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A file cut short ends with an unexpected EOF: keep what decoded.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::DecodeError(msg)) if layout.is_some() => {
                let _ = msg; // damage after good audio: stop at the damage
                break;
            }
            Err(e) => return Err(Error::Decode(e.to_string())),
        };
        if packet.track_id != track_id {
            continue;
        }
        let buffer = match decoder.decode(&packet) {
            Ok(buffer) => buffer,
            // A corrupt packet is skipped, as players do; a wholly corrupt file ends below with no audio.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(Error::Decode(e.to_string())),
        };
        let spec = buffer.spec();
        let this_layout = (spec.rate(), spec.channels().count());
        match layout {
            None => {
                let (rate, channels) = this_layout;
                validate_sample_rate(rate as f64)?;
                if channels == 0 || channels > MAX_CHANNELS {
                    return Err(Error::Decode(format!("{channels} channels is not a usable layout")));
                }
                layout = Some(this_layout);
            }
            Some(known) if known != this_layout => {
                return Err(Error::Decode("the sample rate or channel count changes mid-stream".into()));
            }
            Some(_) => {}
        }
        chunk.resize(buffer.samples_interleaved(), 0.0);
        buffer.copy_to_slice_interleaved(&mut chunk);
        samples.extend_from_slice(&chunk);
    }
    let Some((sample_rate, channels)) = layout else {
        return Err(Error::Decode("no decodable audio in the file".into()));
    };
    if samples.is_empty() {
        return Err(Error::Decode("the file holds no samples".into()));
    }
    Ok(DecodedAudio { sample_rate, channels: channels, samples })
}
