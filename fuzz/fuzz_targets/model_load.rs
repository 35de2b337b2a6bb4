//! Model and metadata loading: arbitrary bytes, a model damaged at a few positions or cut
//! short, and arbitrary metadata JSON. A model that loads must run.
//!
//! Damage goes into the tiny fixture (`fuzz/tiny/tiny.onnx`: the shipped graph, a few
//! channels): the same operators and graph structure, loaded and run in ~1 ms instead of
//! ~15, and a random position lands in the graph structure far more often than in weights.
//! The shipped model is damaged too, one input in sixteen.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use speech_emotion::model::{EmotionModel, ModelMetadata, EMBEDDED_METADATA, EMBEDDED_ONNX};

#[derive(Arbitrary, Debug)]
enum Input {
    AnyModel(Vec<u8>),
    DamagedModel { shipped: u8, edits: Vec<(u32, u8)>, cut: Option<u32> },
    AnyMetadata(String),
    EditedMetadata { key: u8, value: String },
}

const TINY_ONNX: &[u8] = include_bytes!("../tiny/tiny.onnx");

fn try_model(onnx: &[u8], metadata: &str) {
    if let Ok(mut model) = EmotionModel::from_bytes(onnx, metadata) {
        let meta = model.metadata().clone();
        let input = vec![0.1f32; meta.input.shape.iter().product::<usize>()];
        if let Ok(out) = model.predict(&input) {
            assert_eq!(out.probabilities.len(), meta.labels.len());
            assert!((0.0..=1.0).contains(&out.speech_probability));
        }
    }
}

fuzz_target!(
    // EmotionModel::from_bytes turns a panic inside tract's graph analysis into an error;
    // libfuzzer-sys's hook would abort on it first. The default hook reports it, and a
    // panic that escapes the library still aborts (libfuzzer-sys catches it): a crash.
    init: drop(std::panic::take_hook()),
    |input: Input| {
    match input {
        Input::AnyModel(bytes) => try_model(&bytes, EMBEDDED_METADATA),
        Input::DamagedModel { shipped, edits, cut } => {
            let mut bytes = if shipped % 16 == 0 { EMBEDDED_ONNX } else { TINY_ONNX }.to_vec();
            for (at, value) in edits.into_iter().take(16) {
                let i = at as usize % bytes.len();
                bytes[i] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut as usize % bytes.len());
            }
            try_model(&bytes, EMBEDDED_METADATA);
        }
        Input::AnyMetadata(json) => {
            let _ = ModelMetadata::from_json(&json);
        }
        Input::EditedMetadata { key, value } => {
            let mut meta: serde_json::Value = serde_json::from_str(EMBEDDED_METADATA).unwrap();
            let keys = ["labels", "label_aliases", "window_frames", "input", "features", "normalization", "output", "speech",
                        "uncertain_threshold", "streaming"];
            let parsed = serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value));
            meta[keys[key as usize % keys.len()]] = parsed;
            // Metadata that parses must also agree with the model, or loading says why.
            if ModelMetadata::from_json(&meta.to_string()).is_ok() {
                try_model(TINY_ONNX, &meta.to_string());
            }
        }
    }
});
