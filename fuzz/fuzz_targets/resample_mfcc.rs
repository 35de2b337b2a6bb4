//! Any samples at any rate: resampled to 16 kHz with the length the rate implies, and
//! MFCCs that are finite for every accepted input.
#![no_main]

use std::sync::{LazyLock, Mutex};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use speech_emotion::audio::{check_samples, resample, validate_sample_rate};
use speech_emotion::features::{FeatureParams, MfccExtractor};
use speech_emotion::model::{ModelMetadata, EMBEDDED_METADATA};

#[derive(Arbitrary, Debug)]
struct Input {
    rate: f64,
    samples: Vec<f32>,
}

// Built once: parsing the metadata and planning the FFT took most of each run's time.
// `compute` keeps no state between calls.
static MFCC: LazyLock<Mutex<MfccExtractor>> = LazyLock::new(|| {
    let params: FeatureParams = ModelMetadata::from_json(EMBEDDED_METADATA).unwrap().features;
    Mutex::new(MfccExtractor::new(&params).unwrap())
});

fuzz_target!(|input: Input| {
    let Ok(rate) = validate_sample_rate(input.rate) else { return };
    if check_samples(&input.samples).is_err() {
        return;
    }
    let resampled = resample(&input.samples, rate, 16_000).expect("valid rates resample");
    let expected = input.samples.len() as f64 * 16_000.0 / rate as f64;
    assert!((resampled.len() as f64 - expected).abs() <= 1.0, "{} vs {expected}", resampled.len());
    let frames = MFCC.lock().unwrap_or_else(|p| p.into_inner()).compute(&resampled);
    assert!(frames.iter().all(|v| v.is_finite()), "non-finite MFCC");
});
