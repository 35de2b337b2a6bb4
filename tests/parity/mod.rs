//! MFCC parity with librosa: shared by the native test and the wasm (browser) test.
//! The golden file is written by `training/make_golden.py` from the same metadata.

use speech_emotion::audio::decode_bytes;
use speech_emotion::features::{FeatureParams, MfccExtractor};
use speech_emotion::model::ModelMetadata;

pub const GOLDEN: &str = include_str!("../golden/mfcc_golden.json");

/// A clip's bytes, or an empty slice that `clip_bytes` reports.
#[cfg(shared_clips)]
macro_rules! shared_clip {
    ($path:literal) => {
        include_bytes!(concat!("../../../shared/data/ravdess/", $path))
    };
}
#[cfg(not(shared_clips))]
macro_rules! shared_clip {
    ($path:literal) => {
        &[]
    };
}

/// The real clips of the golden file, embedded so the browser test needs no file access
/// (empty when `../shared` is not beside the repository: see `build.rs`).
pub const CLIPS: [(&str, &[u8]); 3] = [
    ("Actor_01/03-01-01-01-01-01-01.flac", shared_clip!("Actor_01/03-01-01-01-01-01-01.flac")),
    ("Actor_12/03-01-05-02-02-01-12.flac", shared_clip!("Actor_12/03-01-05-02-02-01-12.flac")),
    ("Actor_22/03-01-03-01-01-02-22.flac", shared_clip!("Actor_22/03-01-03-01-01-02-22.flac")),
];

/// The embedded bytes of a golden clip.
pub fn clip_bytes(name: &str) -> &'static [u8] {
    let bytes = CLIPS.iter().find(|(n, _)| *n == name).expect("clip is embedded").1;
    assert!(!bytes.is_empty(), "{name}: the parity tests need ../shared/data/ravdess beside the repository");
    bytes
}

fn golden() -> serde_json::Value {
    serde_json::from_str(GOLDEN).expect("golden JSON parses")
}

/// The golden vectors were made with exactly the shipped model's feature parameters.
pub fn golden_parameters_are_the_models() {
    let golden = golden();
    let params: FeatureParams = serde_json::from_value(golden["features"].clone()).unwrap();
    let meta = ModelMetadata::from_json(speech_emotion::model::EMBEDDED_METADATA).unwrap();
    assert_eq!(params, meta.features, "re-run training/make_golden.py after changing the features");
}

/// Every golden case, recomputed here, within 1e-4 of the matrix's value range.
/// Returns the worst relative error seen.
pub fn mfcc_matches_librosa() -> f64 {
    let golden = golden();
    let params: FeatureParams = serde_json::from_value(golden["features"].clone()).unwrap();
    let mut extractor = MfccExtractor::new(&params).unwrap();
    let mut worst = 0.0f64;
    let cases = golden["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let samples: Vec<f32> = if let Some(clip) = case["clip"].as_str() {
            let bytes = clip_bytes(clip);
            let audio = decode_bytes(bytes.to_vec(), Some("flac")).unwrap();
            assert_eq!(audio.sample_rate, params.sample_rate);
            audio.to_mono().unwrap()
        } else {
            case["samples"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect()
        };
        let ours = extractor.compute(&samples);
        let theirs: Vec<f64> = case["mfcc"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        assert_eq!(ours.len(), theirs.len(), "{name}: frame count differs");
        let (lo, hi) = theirs.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let range = hi - lo;
        let max_err = ours.iter().zip(&theirs).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
        let relative = max_err / range;
        assert!(relative <= 1e-4, "{name}: max |Δ| {max_err:.3e} is {relative:.2e} of the range {range:.1}");
        worst = worst.max(relative);
    }
    worst
}
