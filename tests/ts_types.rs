//! The TypeScript declarations in `wasm/src/lib.rs` (shipped in `pkg/speech_emotion.d.ts`) are
//! written by hand; this checks them against what the Rust types really serialise to, so a
//! field added, renamed or removed on one side fails here instead of in a user's editor.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use speech_emotion::calibration::speaker_profile;
use speech_emotion::classify::{classify_clip, ClipOptions};
use speech_emotion::decision::State;
use speech_emotion::model::EmotionModel;
use speech_emotion::stream::{EmotionStream, StreamConfig};
use speech_emotion::StreamingMode;

const WASM_RS: &str = include_str!("../wasm/src/lib.rs");

/// `export interface X { a: T; b: U; }` → {X: {a, b}}, from the custom TS section.
fn ts_interfaces() -> BTreeMap<String, BTreeSet<String>> {
    let section = WASM_RS.split("typescript_custom_section").nth(1).expect("a TS section");
    let ts = section.split("r#\"").nth(1).unwrap().split("\"#").next().unwrap();
    let mut out = BTreeMap::new();
    for block in ts.split("export interface ").skip(1) {
        let name = block.split_whitespace().next().unwrap().to_string();
        let body = block.split('{').nth(1).unwrap().split('}').next().unwrap();
        // Record<string, string> has no ';' inside, so ';' separates fields.
        // `personal?:` is optional; the Rust side then leaves it out of the JSON when empty.
        let fields = body
            .split(';')
            .filter_map(|f| f.split(':').next())
            .map(|f| f.trim().trim_end_matches('?'))
            .filter(|f| !f.is_empty())
            .map(String::from)
            .collect();
        out.insert(name, fields);
    }
    out
}

fn ts_type_alias(name: &str) -> BTreeSet<String> {
    let line = WASM_RS.lines().find(|l| l.starts_with(&format!("export type {name} ="))).expect("the alias");
    line.split('=').nth(1).unwrap().trim_end_matches(';').split('|').map(|v| v.trim().trim_matches('"').to_string()).collect()
}

fn keys(value: serde_json::Value) -> BTreeSet<String> {
    value.as_object().expect("an object").keys().cloned().collect()
}

/// Field names of a Rust struct in `wasm/src/lib.rs`, as serde's camelCase renders them.
fn wasm_struct_fields_camel(name: &str) -> BTreeSet<String> {
    let body = WASM_RS.split(&format!("struct {name}")).nth(1).unwrap().split('{').nth(1).unwrap().split('}').next().unwrap();
    body.lines()
        .filter_map(|l| l.trim().split(':').next().filter(|f| !f.is_empty() && !f.starts_with("//")))
        .map(|snake| {
            let mut parts = snake.split('_');
            let first = parts.next().unwrap().to_string();
            parts.fold(first, |acc, p| acc + &p[..1].to_uppercase() + &p[1..])
        })
        .collect()
}

#[test]
fn typescript_declarations_match_the_serialised_rust_types() {
    let ts = ts_interfaces();
    let (clip, rate) = common::load_clip("Actor_08/03-01-03-02-02-01-08.flac");
    let mut model = EmotionModel::embedded().unwrap();
    let mut result = classify_clip(&mut model, &clip, rate as f64, &ClipOptions::default()).unwrap();
    result.personal = Some("profile-0".into()); // optional: present with a profile
    let segment = serde_json::to_value(&result.segments[0]).unwrap();
    let mut stream = EmotionStream::new(EmotionModel::embedded().unwrap(), rate as f64, StreamConfig::default()).unwrap();
    let mut prediction = stream.push(&clip).unwrap().remove(0);
    prediction.personal = Some("profile-0".into());
    let calm: Vec<f32> = clip.iter().cycle().take(rate as usize * 12).copied().collect();
    let profile = speaker_profile(&mut model, &calm, rate as f64).unwrap();

    assert_eq!(ts["ClipResult"], keys(serde_json::to_value(&result).unwrap()), "ClipResult");
    assert_eq!(ts["Segment"], keys(segment), "Segment");
    assert_eq!(ts["Prediction"], keys(serde_json::to_value(&prediction).unwrap()), "Prediction");
    assert_eq!(ts["SpeakerProfile"], keys(serde_json::to_value(&profile).unwrap()), "SpeakerProfile");
    let enrolment = speech_emotion::ProfileBuilder::new(&model).unwrap();
    assert_eq!(ts["EnrolledLabel"], keys(serde_json::to_value(&enrolment.status()[0]).unwrap()), "EnrolledLabel");
    let summary = speech_emotion::profile::ProfileSummary {
        id: String::new(),
        model: String::new(),
        labels: vec![speech_emotion::profile::ProfileLabel { label: String::new(), clips: 2, speech_seconds: 3.0 }],
        calibrated: true,
    };
    assert_eq!(ts["ProfileSummary"], keys(serde_json::to_value(&summary).unwrap()), "ProfileSummary");
    assert_eq!(ts["ProfileLabel"], keys(serde_json::to_value(&summary.labels[0]).unwrap()), "ProfileLabel");
    assert_eq!(ts["ModelInfo"], wasm_struct_fields_camel("ModelInfo<'a>"), "ModelInfo");
    let incremental = StreamingMode::Incremental { receptive_field: 23, chunk_frames: 25 };
    let full = StreamingMode::FullWindow { reason: String::new() };
    assert_eq!(ts["IncrementalStreaming"], keys(serde_json::to_value(&incremental).unwrap()), "IncrementalStreaming");
    assert_eq!(ts["FullWindowStreaming"], keys(serde_json::to_value(&full).unwrap()), "FullWindowStreaming");
    let states: BTreeSet<String> =
        [State::Emotion, State::Uncertain, State::NoSpeech].iter().map(|s| serde_json::to_value(s).unwrap().as_str().unwrap().to_string()).collect();
    assert_eq!(ts_type_alias("StreamState"), states, "StreamState");
}

#[test]
fn the_contract_documents_every_field_and_method_of_the_js_api() {
    let contract = include_str!("../docs/CONTRACT.md");
    let word = |w: &str| contract.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|t| t == w);
    let mut missing = Vec::new();
    for (interface, fields) in ts_interfaces() {
        missing.extend(fields.into_iter().filter(|f| !word(f)).map(|f| format!("{interface}.{f}")));
    }
    // Every method as JS sees it: `js_name = x`, or the Rust name where it is the same.
    for line in WASM_RS.lines() {
        if let Some(name) = line.split("js_name = ").nth(1) {
            let name = name.split([',', ')']).next().unwrap().trim();
            if !word(name) {
                missing.push(format!("method {name}"));
            }
        }
    }
    assert!(missing.is_empty(), "docs/CONTRACT.md does not mention: {missing:?}");
}
