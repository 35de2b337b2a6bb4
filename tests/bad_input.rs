//! Bad input gets a typed error, never a panic or a hang.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use speech_emotion::classify::{classify_clip, ClipOptions};
use speech_emotion::model::EmotionModel;
use speech_emotion::Error;

fn classify(samples: &[f32], rate: f64) -> Result<speech_emotion::classify::ClipResult, Error> {
    classify_clip(&mut EmotionModel::embedded().unwrap(), samples, rate, &ClipOptions::default())
}

#[test]
fn empty_silent_and_non_finite_audio_are_errors() {
    assert!(matches!(classify(&[], 16_000.0), Err(Error::EmptyAudio)));
    assert!(matches!(classify(&[0.0; 16_000], 16_000.0), Err(Error::Silence)));
    assert!(matches!(classify(&[0.1, f32::NAN], 16_000.0), Err(Error::NonFiniteSample { index: 1, .. })));
    assert!(matches!(classify(&[f32::NEG_INFINITY], 16_000.0), Err(Error::NonFiniteSample { index: 0, .. })));
    // Unscaled 16-bit integers, or values that would overflow the spectrum.
    assert!(matches!(classify(&[0.1, 0.2, 32_767.0], 16_000.0), Err(Error::SampleOutOfRange { index: 2, .. })));
    assert!(matches!(classify(&[1e19; 16_000], 16_000.0), Err(Error::SampleOutOfRange { index: 0, .. })));
}

#[test]
fn unsupported_rates_are_errors() {
    let tone: Vec<f32> = (0..8000).map(|i| (i as f32 * 0.1).sin() * 0.3).collect();
    for rate in [0.0, -44_100.0, 1.0, 7_999.0, 192_001.0, 1e9, f64::NAN, f64::INFINITY, 44_100.5] {
        assert!(matches!(classify(&tone, rate), Err(Error::InvalidSampleRate(_))), "rate {rate}");
    }
}

#[test]
fn short_loud_clipped_and_offset_audio_still_classifies() {
    let mut rng = common::Lcg(5);
    let one_sample = classify(&[0.5], 16_000.0).unwrap();
    assert!((one_sample.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    // Speech 20 dB too loud, clipped at full scale. (A full-scale 200 Hz square wave stood
    // here until issue 26: it is not speech, see tests/speech_detection.rs.)
    let (speech, rate) = common::load_clip("Actor_03/03-01-05-02-01-01-03.flac");
    let clipped: Vec<f32> = speech.iter().map(|s| (s * 10.0).clamp(-1.0, 1.0)).collect();
    assert!(clipped.iter().filter(|s| s.abs() >= 1.0).count() > 1_000, "the clip is clipped");
    assert!(classify(&clipped, rate as f64).unwrap().speech);
    let offset: Vec<f32> = (0..32_000).map(|_| 0.5 + 0.01 * rng.next_f32()).collect();
    let result = classify(&offset, 16_000.0).unwrap();
    assert!(result.probabilities.iter().all(|p| p.is_finite()));
}

#[test]
fn faint_noise_is_reported_as_no_speech() {
    let mut rng = common::Lcg(11);
    let hiss: Vec<f32> = (0..48_000).map(|_| 0.0005 * rng.next_f32()).collect();
    let result = classify(&hiss, 16_000.0).unwrap();
    assert!(!result.speech);
    assert!(result.segments.iter().all(|s| !s.speech));
}

#[test]
fn segments_cover_the_whole_clip() {
    let (clip, rate) = common::load_clip("Actor_05/03-01-04-01-02-02-05.flac");
    let result = classify(&clip, rate as f64).unwrap();
    let duration = clip.len() as f64 / rate as f64;
    assert!((result.duration_s - duration).abs() < 1e-9);
    assert_eq!(result.segments.first().unwrap().start_s, 0.0);
    assert!((result.segments.last().unwrap().end_s - duration).abs() < 0.02);
    assert!(result.segments.windows(2).all(|w| w[0].start_s < w[1].start_s));
}
