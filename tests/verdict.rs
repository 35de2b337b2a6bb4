//! `Decider::clip_verdict` gives the verdicts of the shared golden file, as
//! `training/verdict.py` does (training/tests/test_verdict.py): the CLI, the page and the
//! training log decide a clip alike.
#![cfg(not(target_arch = "wasm32"))]

use speech_emotion::decision::{Decider, State};

fn floats(value: &serde_json::Value) -> Vec<f32> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect()
}

#[test]
fn verdicts_equal_the_golden_ones_shared_with_training() {
    let golden: serde_json::Value = serde_json::from_str(include_str!("golden/verdict_golden.json")).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let rows: Vec<Vec<f32>> = case["probabilities"].as_array().unwrap().iter().map(floats).collect();
        let speech = floats(&case["speech_probability"]);
        let decider = Decider {
            speech_threshold: case["speech_threshold"].as_f64().unwrap() as f32,
            uncertain_threshold: case["uncertain_threshold"].as_f64().unwrap() as f32,
        };
        // The speech rule is `is_speech`'s: probability ≥ threshold.
        let windows: Vec<(bool, &[f32])> = rows.iter().zip(&speech).map(|(p, &s)| (s >= decider.speech_threshold, p.as_slice())).collect();
        let got = decider.clip_verdict(&windows);
        let want = &case["expected"];
        let state = match want["state"].as_str().unwrap() {
            "emotion" => State::Emotion,
            "uncertain" => State::Uncertain,
            _ => State::NoSpeech,
        };
        assert_eq!(got.state, state, "{name}");
        assert_eq!(got.top, want["top"].as_u64().map(|t| t as usize), "{name}");
        assert!((f64::from(got.confidence) - want["confidence"].as_f64().unwrap()).abs() < 1e-5, "{name}");
        for (g, w) in got.probabilities.iter().zip(floats(&want["probabilities"])) {
            assert!((g - w).abs() < 1e-5, "{name}");
        }
        assert_eq!(got.probabilities.len(), rows[0].len(), "{name}");
    }
}
