//! Speaker-relative normalisation: Rust equals `training/normalize.py` (golden file written
//! by `training/make_normalize_golden.py`), and microphone gain does not move the features.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use speech_emotion::features::{FeatureParams, MfccExtractor, NormalizationSpec, SpeakerNormalizer};

const GOLDEN: &str = include_str!("golden/normalize_golden.json");

fn golden() -> (FeatureParams, NormalizationSpec, serde_json::Value) {
    let g: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    (serde_json::from_value(g["features"].clone()).unwrap(), serde_json::from_value(g["normalization"].clone()).unwrap(), g)
}

fn normalized(params: &FeatureParams, spec: &NormalizationSpec, samples: &[f32], calibration: Option<&[f32]>) -> Vec<f32> {
    let mut extractor = MfccExtractor::new(params).unwrap();
    let mut normalizer = SpeakerNormalizer::new(spec, params.n_mels, params.hop_seconds());
    if let Some(c) = calibration {
        let profile = normalizer.profile_from_frames(&extractor.compute(c));
        normalizer.set_profile(Some(profile)).unwrap();
    }
    let mfcc = extractor.compute(samples);
    let mut out = vec![0.0; mfcc.len()];
    for (frame, dst) in mfcc.chunks_exact(params.n_mfcc).zip(out.chunks_exact_mut(params.n_mfcc)) {
        normalizer.normalize_frame(frame, dst);
    }
    out
}

#[test]
fn normalisation_matches_the_python_twin() {
    let (params, spec, g) = golden();
    let n = params.n_mfcc;
    for case in g["cases"].as_array().unwrap() {
        let (clip, _) = common::load_clip(case["clip"].as_str().unwrap());
        let gain = case["gain"].as_f64().unwrap() as f32;
        let samples: Vec<f32> = clip.iter().map(|s| s * gain).collect();
        let calibration = case["calibration"].as_str().map(|c| common::load_clip(c).0);
        let ours = normalized(&params, &spec, &samples, calibration.as_deref());
        assert_eq!(ours.len() / n, case["frames"].as_u64().unwrap() as usize);
        let every = case["every"].as_u64().unwrap() as usize;
        let mut worst = 0.0f32;
        for (i, row) in case["normalized"].as_array().unwrap().iter().enumerate() {
            for (k, want) in row.as_array().unwrap().iter().enumerate() {
                worst = worst.max((ours[i * every * n + k] - want.as_f64().unwrap() as f32).abs());
            }
        }
        println!("{}: worst difference {worst:.2e}", case["name"]);
        // MFCCs agree with librosa to 1e-4 of their range; normalised values are O(1).
        assert!(worst < 2e-3, "{}: normalised frames differ from Python by {worst}", case["name"]);
    }
}

/// Without normalisation −30 dB moves c0 by 1.7 scale units in every frame. With it, what
/// remains after 1.5 s comes from quiet frames that sink under the noise floor (measured in
/// Python on three clips: median 0.04–0.10, 95th percentile 0.31–0.43 at −30 dB).
#[test]
fn thirty_db_quieter_gives_nearly_the_same_features_once_a_second_of_speech_is_heard() {
    let (params, spec, _) = golden();
    let n = params.n_mfcc;
    let (clip, _) = common::load_clip("Actor_22/03-01-03-01-01-02-22.flac");
    let loud = normalized(&params, &spec, &clip, None);
    for gain_db in [-30.0f32, -10.0, 10.0] {
        let g = 10f32.powf(gain_db / 20.0);
        let other: Vec<f32> = clip.iter().map(|s| (s * g).clamp(-1.0, 1.0)).collect();
        let other = normalized(&params, &spec, &other, None);
        let mut d: Vec<f32> = loud[150 * n..].iter().zip(&other[150 * n..]).map(|(a, b)| (a - b).abs()).collect();
        d.sort_by(f32::total_cmp);
        let (median, p95) = (d[d.len() / 2], d[d.len() * 95 / 100]);
        println!("{gain_db:+} dB: median {median:.3}, 95th percentile {p95:.3}");
        assert!(median < 0.15 && p95 < 0.5, "{gain_db:+} dB moved the features: median {median}, p95 {p95}");
    }
}
