//! The live stream: chunking independence, hop timing, the voice gate and its states.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{load_clip, Lcg};
use speech_emotion::audio::resample;
use speech_emotion::model::EmotionModel;
use speech_emotion::stream::{EmotionStream, Prediction, StreamConfig, StreamState};

fn stream(rate: f64) -> EmotionStream {
    EmotionStream::new(EmotionModel::embedded().unwrap(), rate, StreamConfig::default()).unwrap()
}

fn push_in_chunks(s: &mut EmotionStream, samples: &[f32], sizes: &mut dyn FnMut() -> usize) -> Vec<Prediction> {
    let mut out = Vec::new();
    let mut rest = samples;
    while !rest.is_empty() {
        let n = sizes().min(rest.len());
        out.extend(s.push(&rest[..n]).unwrap());
        rest = &rest[n..];
    }
    out
}

#[test]
fn predictions_do_not_depend_on_chunk_sizes() {
    let (clip, rate) = load_clip("Actor_03/03-01-05-02-01-01-03.flac");
    let whole = stream(rate as f64).push(&clip).unwrap();
    assert_eq!(whole.len(), clip.len() / 4000, "one prediction per 250 ms at 16 kHz");
    for (seed, max) in [(1u64, 7usize), (2, 128), (3, 1500), (4, 40_000)] {
        let mut rng = Lcg(seed);
        let mut sizes = || 1 + rng.below(max);
        let chunked = push_in_chunks(&mut stream(rate as f64), &clip, &mut sizes);
        assert_eq!(chunked.len(), whole.len());
        for (a, b) in chunked.iter().zip(&whole) {
            assert_eq!(a.state, b.state);
            assert_eq!(a.time_s, b.time_s);
            for (x, y) in a.raw_probabilities.iter().zip(&b.raw_probabilities) {
                assert!((x - y).abs() < 1e-5, "seed {seed}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn predictions_are_distributions_and_track_speech() {
    let (clip, rate) = load_clip("Actor_03/03-01-05-02-01-01-03.flac");
    let preds = stream(rate as f64).push(&clip).unwrap();
    for p in &preds {
        let sum: f32 = p.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "smoothed probabilities sum to {sum}");
        assert!(p.probabilities.iter().all(|v| v.is_finite() && *v >= 0.0));
        match p.state {
            StreamState::NoSpeech => assert!(p.label.is_none()),
            _ => assert!(p.label.is_some()),
        }
    }
    assert!(preds.iter().any(|p| p.state != StreamState::NoSpeech), "a clip of speech has speech");
}

#[test]
fn silence_and_faint_noise_are_no_speech() {
    let mut s = stream(48_000.0);
    let preds = s.push(&vec![0.0; 48_000 * 2]).unwrap();
    // One prediction per 250 ms hop; the resampler holds back up to one 20 ms chunk.
    assert!((7..=8).contains(&preds.len()), "{} predictions for 2 s", preds.len());
    assert!(preds.iter().all(|p| p.state == StreamState::NoSpeech && p.label.is_none()));
    let mut rng = Lcg(9);
    let hiss: Vec<f32> = (0..48_000).map(|_| 0.0005 * rng.next_f32()).collect(); // about −72 dBFS
    assert!(s.push(&hiss).unwrap().iter().all(|p| p.state == StreamState::NoSpeech));
}

#[test]
fn any_input_rate_gives_the_same_hop_timing() {
    let (clip, rate) = load_clip("Actor_08/03-01-03-02-02-01-08.flac");
    let reference = stream(rate as f64).push(&clip).unwrap();
    for input_rate in [8_000u32, 11_025, 22_050, 44_100, 48_000, 96_000, 192_000] {
        let audio = resample(&clip, rate, input_rate).unwrap();
        let preds = stream(input_rate as f64).push(&audio).unwrap();
        assert!(preds.len().abs_diff(reference.len()) <= 1, "{input_rate} Hz: {} vs {}", preds.len(), reference.len());
        for (a, b) in preds.iter().zip(&reference) {
            assert!((a.time_s - b.time_s).abs() < 1e-9);
        }
    }
}

#[test]
fn bad_samples_are_rejected_and_the_stream_keeps_working() {
    let mut s = stream(16_000.0);
    assert!(s.push(&[0.1, f32::NAN, 0.2]).is_err());
    assert!(s.push(&[f32::INFINITY]).is_err());
    assert!(s.push(&[]).unwrap().is_empty());
    let preds = s.push(&vec![0.0; 4000]).unwrap();
    assert_eq!(preds.len(), 1);
    assert!((preds[0].time_s - 0.25).abs() < 1e-9, "rejected chunks consumed nothing");
}

#[test]
fn reset_starts_the_stream_over() {
    let (clip, rate) = load_clip("Actor_03/03-01-05-02-01-01-03.flac");
    let mut s = stream(rate as f64);
    let first = s.push(&clip).unwrap();
    s.reset();
    let again = s.push(&clip).unwrap();
    assert_eq!(first, again);
}

#[test]
fn unusable_settings_are_rejected() {
    let model = || EmotionModel::embedded().unwrap();
    for rate in [0.0, -16_000.0, f64::NAN, 7_999.0, 192_001.0, 1e12] {
        assert!(EmotionStream::new(model(), rate, StreamConfig::default()).is_err(), "rate {rate}");
    }
    let bad_hop = StreamConfig { hop_seconds: 0.0, ..StreamConfig::default() };
    assert!(EmotionStream::new(model(), 16_000.0, bad_hop).is_err());
    let bad_smoothing = StreamConfig { smoothing: 0.0, ..StreamConfig::default() };
    assert!(EmotionStream::new(model(), 16_000.0, bad_smoothing).is_err());
}

#[test]
fn a_bad_sample_is_reported_from_the_start_of_the_stream_and_of_the_clip() {
    use speech_emotion::classify::{ClipClassifier, ClipOptions};
    use speech_emotion::Error;
    let mut audio: Vec<f32> = (0..48_000).map(|i| 0.2 * (i as f32 * 0.01).sin()).collect();
    audio[30_000] = f32::NAN;
    let mut stream = EmotionStream::new(EmotionModel::embedded().unwrap(), 16_000.0, StreamConfig::default()).unwrap();
    let mut model = EmotionModel::embedded().unwrap();
    let mut clip = ClipClassifier::new(model.metadata(), 16_000.0, &ClipOptions::default()).unwrap();
    let (mut from_stream, mut from_clip) = (None, None);
    for chunk in audio.chunks(4_096) {
        from_stream = from_stream.or(stream.push(chunk).err());
        from_clip = from_clip.or(clip.push(&mut model, chunk).err());
    }
    for err in [from_stream.unwrap(), from_clip.unwrap()] {
        assert!(matches!(err, Error::NonFiniteSample { index: 30_000, .. }), "{err}");
    }
}
