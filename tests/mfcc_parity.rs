//! MFCC parity with librosa on real speech (native). The same checks run in the browser
//! from `tests/wasm_parity.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod parity;

use speech_emotion::features::{MfccExtractor, StreamingMfcc};
use speech_emotion::model::ModelMetadata;

#[test]
fn golden_vectors_use_the_shipped_feature_parameters() {
    parity::golden_parameters_are_the_models();
}

#[test]
fn mfcc_matches_librosa_within_1e4_of_the_range() {
    let worst = parity::mfcc_matches_librosa();
    println!("worst relative MFCC error vs librosa: {worst:.2e}");
}

#[test]
fn streaming_frames_equal_whole_clip_frames() {
    let meta = ModelMetadata::from_json(speech_emotion::model::EMBEDDED_METADATA).unwrap();
    let audio = speech_emotion::audio::decode_bytes(parity::clip_bytes(parity::CLIPS[1].0).to_vec(), Some("flac")).unwrap();
    let samples = audio.to_mono().unwrap();
    let whole = MfccExtractor::new(&meta.features).unwrap().compute(&samples);
    let mut streamed = Vec::new();
    let mut stream = StreamingMfcc::new(&meta.features).unwrap();
    for chunk in samples.chunks(333) {
        stream.push(chunk, |frame| streamed.extend_from_slice(frame));
    }
    let n_mfcc = meta.features.n_mfcc;
    // The stream cannot compute the last frames yet: they need samples that have not arrived.
    let complete = samples.len().saturating_sub(meta.features.n_fft / 2) / meta.features.hop_length + 1;
    assert_eq!(streamed.len() / n_mfcc, complete);
    for (a, b) in streamed.iter().zip(&whole) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
}
