//! Decoding files: every channel count and rate a device produces, and every way a file
//! can be broken. Broken input is a typed `Error::Decode`, never a panic.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use speech_emotion::audio::{decode_bytes, decode_bytes_with_warnings, decode_file, decode_file_with_warnings, DecodeWarning};
use speech_emotion::classify::{classify_clip, ClipOptions};
use speech_emotion::model::EmotionModel;
use speech_emotion::Error;

/// A 16-bit PCM WAV, with the extensible header real multichannel files carry.
fn wav_bytes(interleaved: &[f32], channels: u16, rate: u32) -> Vec<u8> {
    let extensible = channels > 2;
    let data: Vec<u8> = interleaved.iter().flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes()).collect();
    let fmt_len: u32 = if extensible { 40 } else { 16 };
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(4 + 8 + fmt_len + 8 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&fmt_len.to_le_bytes());
    out.extend_from_slice(&(if extensible { 0xFFFEu16 } else { 1 }).to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * channels as u32 * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    if extensible {
        out.extend_from_slice(&22u16.to_le_bytes()); // extension size
        out.extend_from_slice(&16u16.to_le_bytes()); // valid bits
        out.extend_from_slice(&((1u32 << channels) - 1).to_le_bytes()); // front speakers first
        // KSDATAFORMAT_SUBTYPE_PCM
        out.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// Speech in channel 0 only, the other channels silent, at `rate`.
fn speech_in_first_channel(channels: u16, rate: u32) -> (Vec<f32>, usize) {
    let (clip, clip_rate) = common::load_clip("Actor_03/03-01-05-02-01-01-03.flac");
    let mono = speech_emotion::audio::resample(&clip, clip_rate, rate).unwrap();
    let mut interleaved = vec![0.0; mono.len() * channels as usize];
    for (i, s) in mono.iter().enumerate() {
        interleaved[i * channels as usize] = *s;
    }
    (interleaved, mono.len())
}

#[test]
fn every_device_rate_and_one_to_eight_channels_decode_and_classify() {
    let mut model = EmotionModel::embedded().unwrap();
    for rate in [8_000u32, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 192_000] {
        for channels in 1..=8u16 {
            if rate != 48_000 && ![1, 2, 8].contains(&channels) {
                continue; // every channel count at one rate, the extremes at every rate
            }
            let (interleaved, frames) = speech_in_first_channel(channels, rate);
            let audio = decode_bytes(wav_bytes(&interleaved, channels, rate), Some("wav"))
                .unwrap_or_else(|e| panic!("{rate} Hz × {channels}: {e}"));
            assert_eq!((audio.sample_rate, audio.channels), (rate, channels as usize));
            assert_eq!(audio.samples.len(), frames * channels as usize);
            let mono = audio.to_mono().unwrap();
            let result = classify_clip(&mut model, &mono, rate as f64, &ClipOptions::default()).unwrap();
            assert!(result.speech, "{rate} Hz × {channels}: speech found");
            assert!((result.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
    }
}

#[test]
fn rates_outside_8_to_192_khz_in_a_header_are_errors() {
    for rate in [4_000u32, 7_999, 192_001, 384_000] {
        let bytes = wav_bytes(&[0.1; 800], 1, rate);
        let err = decode_bytes(bytes, Some("wav")).unwrap_err();
        assert!(matches!(err, Error::InvalidSampleRate(_) | Error::Decode(_)), "{rate}: {err}");
    }
}

#[test]
fn zero_length_truncated_and_non_audio_bytes_are_decode_errors() {
    let good = wav_bytes(&[0.25; 1600], 1, 16_000);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zero-length", vec![]),
        ("header only", good[..44].to_vec()),
        ("cut inside the header", good[..20].to_vec()),
        ("text", b"hello, this is a text file and not audio\n".repeat(20)),
        ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ("random", (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect()),
        ("riff but no fmt", b"RIFF\x24\0\0\0WAVEdata\0\0\0\0".to_vec()),
    ];
    for (name, bytes) in cases {
        for hint in [Some("wav"), Some("flac"), None] {
            match decode_bytes(bytes.clone(), hint) {
                Err(Error::Decode(msg)) => assert!(!msg.is_empty()),
                other => panic!("{name} ({hint:?}): expected a decode error, got {other:?}"),
            }
        }
    }
}

#[test]
fn a_wav_cut_mid_data_keeps_the_audio_before_the_cut() {
    let good = wav_bytes(&vec![0.25; 16_000], 1, 16_000);
    let cut = &good[..44 + 2 * 10_000 + 1]; // half a sample at the end
    let audio = decode_bytes(cut.to_vec(), Some("wav")).unwrap();
    assert!((9_000..=10_000).contains(&audio.samples.len()), "{}", audio.samples.len());
}

#[test]
fn truncated_and_corrupt_flac_never_panic() {
    let path = common::ravdess("Actor_03/03-01-05-02-01-01-03.flac");
    let bytes = std::fs::read(&path).unwrap();
    let whole = decode_file(&path).unwrap().samples.len();

    // Cut short: the frames before the cut survive.
    let half = decode_bytes(bytes[..bytes.len() / 2].to_vec(), Some("flac")).unwrap();
    assert!(half.samples.len() > whole / 4 && half.samples.len() < whole, "{} of {whole}", half.samples.len());
    // Cut inside the stream header: nothing to decode.
    assert!(matches!(decode_bytes(bytes[..30].to_vec(), Some("flac")), Err(Error::Decode(_))));

    // Damaged frames (CRC mismatch) are skipped, as players do; the rest still decodes.
    let mut damaged = bytes.clone();
    for i in (bytes.len() / 3..bytes.len() * 2 / 3).step_by(997) {
        damaged[i] ^= 0x5A;
    }
    match decode_bytes(damaged, Some("flac")) {
        Ok(audio) => assert!(audio.samples.len() <= whole && audio.samples.iter().all(|s| s.is_finite())),
        Err(e) => assert!(matches!(e, Error::Decode(_)), "{e}"),
    }
}

#[test]
fn missing_files_are_io_errors_naming_the_path() {
    let err = decode_file(std::path::Path::new("/nonexistent/clip.wav")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("/nonexistent/clip.wav"), "{err}");
}

/// `wav_bytes` with the `data` chunk's length field replaced (a header that lies).
fn with_declared_data_len(mut bytes: Vec<u8>, declared: u32) -> Vec<u8> {
    let at = bytes.windows(4).position(|w| w == b"data").unwrap() + 4;
    bytes[at..at + 4].copy_from_slice(&declared.to_le_bytes());
    bytes
}

#[test]
fn a_truncated_wav_decodes_what_is_there_and_says_how_much_is_missing() {
    // The header says 2 s of 16 kHz mono; the file holds 50 ms (800 frames, less than one
    // of symphonia's 1152-frame packets, which used to be lost with the cut).
    let samples: Vec<f32> = (0..800).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    let bytes = with_declared_data_len(wav_bytes(&samples, 1, 16_000), 2 * 32_000);
    let decoded = decode_bytes_with_warnings(bytes, Some("wav")).unwrap();
    assert_eq!(decoded.audio.samples.len(), 800, "every whole frame present is kept");
    assert_eq!(decoded.warnings, [DecodeWarning::Truncated { expected_s: 2.0, found_s: 0.05 }]);
    assert_eq!(decoded.warnings[0].to_string(), "truncated: header says 2.000 s, found 0.050 s");

    // Cut inside a frame of a stereo file: the whole frames before the cut are kept.
    let stereo = wav_bytes(&vec![0.25; 2 * 16_000], 2, 16_000);
    let cut = &stereo[..44 + 4 * 10_000 + 3];
    let decoded = decode_bytes_with_warnings(cut.to_vec(), Some("wav")).unwrap();
    assert_eq!(decoded.audio.samples.len(), 2 * 10_000);
    assert_eq!(decoded.warnings, [DecodeWarning::Truncated { expected_s: 1.0, found_s: 0.625 }]);

    // The files' own functions keep working without the warnings.
    assert_eq!(decode_bytes(cut.to_vec(), Some("wav")).unwrap().samples.len(), 2 * 10_000);
}

#[test]
fn sound_files_and_wavs_of_unknown_length_have_no_warnings() {
    let decoded = decode_file_with_warnings(&common::ravdess("Actor_03/03-01-05-02-01-01-03.flac")).unwrap();
    assert!(decoded.warnings.is_empty(), "{:?}", decoded.warnings);
    let decoded = decode_bytes_with_warnings(wav_bytes(&[0.25; 3_000], 1, 16_000), Some("wav")).unwrap();
    assert!(decoded.warnings.is_empty());
    // 0xFFFFFFFF: "length unknown" (a recording still being written), not a truncation.
    let mut streaming = with_declared_data_len(wav_bytes(&[0.25; 3_000], 1, 16_000), u32::MAX);
    streaming[4..8].copy_from_slice(&u32::MAX.to_le_bytes()); // the RIFF length too
    let decoded = decode_bytes_with_warnings(streaming, Some("wav")).unwrap();
    assert_eq!((decoded.audio.samples.len(), decoded.warnings.len()), (3_000, 0));
}

#[test]
fn truncated_and_damaged_flac_keep_what_decodes_and_say_so() {
    let path = common::ravdess("Actor_03/03-01-05-02-01-01-03.flac");
    let bytes = std::fs::read(&path).unwrap();
    let whole = decode_file(&path).unwrap().samples.len();
    let whole_s = whole as f64 / 16_000.0;

    let half = decode_bytes_with_warnings(bytes[..bytes.len() / 2].to_vec(), Some("flac")).unwrap();
    let found_s = half.audio.samples.len() as f64 / 16_000.0;
    assert_eq!(half.warnings, [DecodeWarning::Truncated { expected_s: whole_s, found_s }], "{:?}", half.warnings);

    let mut damaged = bytes.clone();
    for i in (bytes.len() / 3..bytes.len() * 2 / 3).step_by(997) {
        damaged[i] ^= 0x5A;
    }
    let decoded = decode_bytes_with_warnings(damaged, Some("flac")).unwrap();
    assert!(decoded.audio.samples.len() < whole);
    assert!(
        decoded.warnings.iter().any(|w| matches!(
            w,
            DecodeWarning::Incomplete { .. } | DecodeWarning::SkippedPackets { .. } | DecodeWarning::StoppedAtDamage { .. }
        )),
        "{:?}",
        decoded.warnings
    );
    for warning in &decoded.warnings {
        let text = warning.to_string();
        assert!(text.starts_with("damaged: ") || text.starts_with("incomplete: "), "{text}");
    }

    // Every frame damaged: nothing to keep, a clear error.
    let mut ruined = bytes.clone();
    let audio_start = flac_frames_start(&bytes);
    for i in (audio_start..bytes.len()).step_by(13) {
        ruined[i] ^= 0xA5;
    }
    match decode_bytes_with_warnings(ruined, Some("flac")) {
        Err(Error::Decode(msg)) => assert!(!msg.is_empty()),
        Ok(d) => panic!("expected an error, decoded {} samples with {:?}", d.audio.samples.len(), d.warnings),
        Err(e) => panic!("expected a decode error, got {e}"),
    }
}

/// Where a FLAC file's first audio frame starts: after `fLaC` and the metadata blocks.
fn flac_frames_start(bytes: &[u8]) -> usize {
    assert_eq!(&bytes[..4], b"fLaC");
    let mut at = 4;
    loop {
        let last = bytes[at] & 0x80 != 0;
        let len = u32::from_be_bytes([0, bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        at += 4 + len;
        if last {
            return at;
        }
    }
}

/// The compressed fixtures: one synthetic 2 s stereo signal (right = 0.8 × left, RMS
/// −20 dBFS) encoded by `tests/fixtures/make_compressed.py`.
#[cfg(feature = "compressed")]
fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[cfg(feature = "compressed")]
#[test]
fn mp3_aac_in_m4a_and_ogg_vorbis_decode_to_the_signal_that_was_encoded() {
    let rms_db = |x: &[f32]| 10.0 * (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).log10();
    for name in ["buzz.mp3", "buzz.m4a", "buzz.ogg"] {
        let decoded = decode_file_with_warnings(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let audio = decoded.audio;
        assert_eq!((audio.sample_rate, audio.channels), (44_100, 2), "{name}");
        // Encoders add a little priming and padding; gapless trimming removes most.
        assert!((audio.duration_s() - 2.0).abs() < 0.1, "{name}: {} s", audio.duration_s());
        let left: Vec<f32> = audio.samples.iter().step_by(2).copied().collect();
        let right: Vec<f32> = audio.samples.iter().skip(1).step_by(2).copied().collect();
        assert!((rms_db(&left) + 20.0).abs() < 1.0, "{name}: left at {:.2} dBFS", rms_db(&left));
        let ratio = rms_db(&right) - rms_db(&left);
        assert!((ratio - 20.0 * 0.8f64.log10()).abs() < 0.5, "{name}: right/left {ratio:.2} dB");
        assert!(decoded.warnings.is_empty(), "{name}: {:?}", decoded.warnings);
    }
}

#[cfg(feature = "compressed")]
#[test]
fn a_codec_that_cannot_be_decoded_is_named() {
    match decode_file(&fixture("buzz.opus")) {
        Err(Error::Decode(message)) => {
            assert!(message.contains("Opus audio cannot be decoded here"), "{message}");
            assert!(message.contains("supported: WAV, FLAC, MP3"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// A RIFF/WAVE file of the given chunks, in the given order, with a correct RIFF size.
fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    for (id, payload) in chunks {
        body.extend_from_slice(*id);
        body.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        body.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            body.push(0);
        }
    }
    [b"RIFF".as_slice(), &(body.len() as u32).to_le_bytes(), &body].concat()
}

/// A `fmt ` payload: format 1 (PCM) or 3 (float), or extensible for more than 2 channels.
fn fmt_chunk(format: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
    let block = channels * bits / 8;
    let extensible = channels > 2;
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&(if extensible { 0xFFFEu16 } else { format }).to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    if extensible {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes());
        fmt.extend_from_slice(&0u32.to_le_bytes()); // no speaker positions
        fmt.extend_from_slice(&format.to_le_bytes());
        fmt.extend_from_slice(&[0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    }
    fmt
}

fn write_tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_bad_sample_is_reported_at_its_frame_from_the_start_of_the_file() {
    // 3 s of stereo float at 16 kHz, a NaN in the right channel of frame 30000: symphonia
    // hands it over in packets, and the index used to count from the packet's start.
    let mut interleaved: Vec<f32> = (0..2 * 48_000).map(|i| 0.2 * (i as f32 * 0.01).sin()).collect();
    interleaved[2 * 30_000 + 1] = f32::NAN;
    let data: Vec<u8> = interleaved.iter().flat_map(|s| s.to_le_bytes()).collect();
    let path = write_tmp("nan-at-30000.wav", &riff(&[(b"fmt ", &fmt_chunk(3, 2, 16_000, 32)), (b"data", &data)]));
    let mut model = EmotionModel::embedded().unwrap();
    let err = speech_emotion::classify_file(&mut model, &path, &ClipOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NonFiniteSample { index: 30_000, .. }), "{err}");
    assert!(err.to_string().contains("frame 30000 (counted from the start"), "{err}");
}

#[test]
fn a_truncated_file_of_silence_keeps_its_truncation_note_in_the_error() {
    let bytes = with_declared_data_len(wav_bytes(&[0.0; 800], 1, 16_000), 2 * 32_000);
    let path = write_tmp("silent-truncated.wav", &bytes);
    let mut model = EmotionModel::embedded().unwrap();
    let err = speech_emotion::classify_file(&mut model, &path, &ClipOptions::default()).unwrap_err();
    assert!(matches!(err.without_notes(), Error::Silence), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the audio is digital silence (every sample is zero); truncated: header says 2.000 s, found 0.050 s"
    );
    // A whole file of silence is just silence.
    let path = write_tmp("silent.wav", &wav_bytes(&[0.0; 800], 1, 16_000));
    let err = speech_emotion::classify_file(&mut model, &path, &ClipOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Silence), "{err:?}");
}

#[test]
fn an_os_error_is_said_once_however_the_error_chain_is_printed() {
    let err = decode_file(std::path::Path::new("/nonexistent/clip.wav")).unwrap_err();
    // What `anyhow`'s `{:#}` prints: the message, then every source.
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert_eq!(chain.matches("No such file or directory").count(), 1, "{chain}");
    assert!(chain.contains("/nonexistent/clip.wav"), "{chain}");
}

/// WAVs that players and the page (`www/speech-emotion/wav-reader.js`) read, and that
/// symphonia's reader refused: "missing data chunk", "invalid riff length", a `data`
/// chunk before `fmt `, "invalid channel count".
#[test]
fn wavs_with_lengths_left_unwritten_chunks_in_any_order_and_up_to_64_channels_decode() {
    let mono: Vec<f32> = (0..16_000).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
    let pcm: Vec<u8> = mono.iter().flat_map(|s| ((s * 32_767.0) as i16).to_le_bytes()).collect();
    let fmt = fmt_chunk(1, 1, 16_000, 16);
    let reference = decode_bytes(riff(&[(b"fmt ", &fmt), (b"data", &pcm)]), Some("wav")).unwrap();
    assert_eq!(reference.samples.len(), 16_000);
    let data_len_at = |bytes: &[u8]| bytes.windows(4).position(|w| w == b"data").unwrap() + 4;

    // A data length of 0xFFFFFFF0 with a correct RIFF length: the audio to the end of the
    // file, and (as on the page) a note that the header promised more.
    let mut oversize = riff(&[(b"fmt ", &fmt), (b"data", &pcm)]);
    let at = data_len_at(&oversize);
    oversize[at..at + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let decoded = decode_bytes_with_warnings(oversize, Some("wav")).unwrap();
    assert_eq!(decoded.audio.samples, reference.samples);
    assert!(matches!(decoded.warnings[..], [DecodeWarning::Truncated { found_s: 1.0, .. }]), "{:?}", decoded.warnings);

    // RIFF and data lengths 0, as a streaming writer leaves them: to the end, no warning.
    let mut unwritten = riff(&[(b"fmt ", &fmt), (b"data", &pcm)]);
    let at = data_len_at(&unwritten);
    unwritten[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
    unwritten[4..8].copy_from_slice(&0u32.to_le_bytes());
    let decoded = decode_bytes_with_warnings(unwritten, Some("wav")).unwrap();
    assert_eq!((decoded.audio.samples.as_slice(), decoded.warnings.len()), (reference.samples.as_slice(), 0));

    // `data` before `fmt `, with other chunks around them (one of odd length, padded).
    let list = b"INFOISFT\x05\0\0\0sox!\0\0".to_vec();
    let reordered = riff(&[(b"LIST", &list), (b"data", &pcm), (b"junk", b"odd"), (b"fmt ", &fmt)]);
    let decoded = decode_bytes_with_warnings(reordered, Some("wav")).unwrap();
    assert_eq!((decoded.audio.samples.as_slice(), decoded.warnings.len()), (reference.samples.as_slice(), 0));

    // 31, 32 and 64 channels (the same signal in each) downmix to the mono signal.
    for channels in [31u16, 32, 64] {
        let interleaved: Vec<u8> = pcm.chunks_exact(2).flat_map(|s| s.repeat(channels as usize)).collect();
        let bytes = riff(&[(b"fmt ", &fmt_chunk(1, channels, 16_000, 16)), (b"data", &interleaved)]);
        let audio = decode_bytes(bytes, Some("wav")).unwrap_or_else(|e| panic!("{channels} channels: {e}"));
        assert_eq!(audio.channels, channels as usize);
        let mixed = audio.to_mono().unwrap();
        assert!(mixed.iter().zip(&reference.samples).all(|(a, b)| (a - b).abs() < 1e-6), "{channels} channels");
    }
    let bytes = riff(&[(b"fmt ", &fmt_chunk(1, 65, 16_000, 16)), (b"data", &[0; 130])]);
    let err = decode_bytes(bytes, Some("wav")).unwrap_err();
    assert!(err.to_string().contains("65 channels"), "{err}");
}

#[test]
fn devices_pipes_and_folders_are_refused_as_audio_files() {
    for path in ["/dev/zero", env!("CARGO_TARGET_TMPDIR")] {
        let err = decode_file(std::path::Path::new(path)).unwrap_err();
        assert!(matches!(err, Error::Io { .. }) && err.to_string().contains(path), "{err}");
        let err = speech_emotion::DecodeStream::open(std::path::Path::new(path)).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
