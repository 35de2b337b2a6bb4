//! Personal profile JSON, as `PersonalProfile::from_json` reads it for the embedded model.
//! Never a panic; a refusal is `Error::InvalidInput` with a message; a profile that loads
//! keeps every promise the mixing relies on, writes back to the same profile, and mixes any
//! window into a probability distribution.
//!
//! Each input is used twice:
//! - its bytes as a profile file (seed: a profile written by `speech-emotion enrol`, see
//!   scripts/fuzz.sh), mostly refused by the content id once mutated;
//! - structure-aware: a profile built from the input (labels, clip counts, seconds, vectors
//!   of any length and value, NaN and infinities included, a calibration or none) with its
//!   content id set, so it reaches every check after the id: it must load exactly when its
//!   values are valid, and then equal what was written.
#![no_main]

use std::sync::{LazyLock, Mutex};

use arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use speech_emotion::features::SpeakerProfile;
use speech_emotion::profile::LabelPrototype;
use speech_emotion::{EmotionModel, Error, PersonalProfile};

// A tract plan is Send but not Sync: one model behind a lock, loaded once.
static MODEL: LazyLock<Mutex<EmotionModel>> = LazyLock::new(|| Mutex::new(EmotionModel::embedded().unwrap()));

/// A float that is often ordinary and sometimes not.
fn float(u: &mut Unstructured) -> ArbResult<f32> {
    Ok(match u.choose_index(16)? {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => -1.0,
        3 => 0.0,
        4 => u.arbitrary()?,
        _ => u.int_in_range(1..=2000)? as f32 / 100.0,
    })
}

fn vector(u: &mut Unstructured, len: usize) -> ArbResult<Vec<f32>> {
    let len = if u.ratio(1, 20)? { u.int_in_range(0..=len + 2)? } else { len };
    (0..len).map(|_| float(u)).collect()
}

fn built(model: &EmotionModel, u: &mut Unstructured) -> ArbResult<PersonalProfile> {
    let meta = model.metadata();
    let spec = meta.personal.as_ref().unwrap();
    let (n_emb, n_feat) = (spec.embedding_std.len(), spec.feature_std.len());
    let mut labels = Vec::new();
    for name in &meta.labels {
        if u.ratio(2, 3)? {
            let label = if u.ratio(1, 30)? { u.arbitrary::<String>()? } else { name.clone() };
            let clips = if u.ratio(1, 20)? { 0 } else { u.int_in_range(1..=6)? };
            let speech_seconds = if u.ratio(1, 20)? { f64::from(float(u)?) } else { u.int_in_range(1..=600)? as f64 / 10.0 };
            labels.push(LabelPrototype { label, clips, speech_seconds, embedding: vector(u, n_emb)?, features: vector(u, n_feat)? });
        }
    }
    let calibration = if u.arbitrary()? {
        Some(SpeakerProfile { sum: vector(u, meta.features.n_mfcc)?.into_iter().map(f64::from).collect(), active_frames: f64::from(float(u)?), active_seconds: f64::from(float(u)?) })
    } else {
        None
    };
    let mut profile = PersonalProfile {
        id: String::new(),
        model_name: meta.name.clone(),
        model_fingerprint: model.fingerprint().to_string(),
        labels,
        feature_scale: vector(u, n_feat)?,
        calibration,
    };
    profile.id = profile.content_id();
    Ok(profile)
}

/// Whether the engine should take it: what its documentation promises to refuse.
fn valid(model: &EmotionModel, p: &PersonalProfile) -> bool {
    let meta = model.metadata();
    let spec = meta.personal.as_ref().unwrap();
    let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
    p.labels.len() >= 2
        && p.labels.iter().all(|l| {
            meta.labels.contains(&l.label)
                && l.clips > 0
                && l.speech_seconds.is_finite()
                && l.speech_seconds > 0.0
                && l.embedding.len() == spec.embedding_std.len()
                && l.features.len() == spec.feature_std.len()
                && finite(&l.embedding)
                && finite(&l.features)
        })
        && p.labels.iter().enumerate().all(|(i, l)| p.labels[..i].iter().all(|m| m.label != l.label))
        && p.feature_scale.len() == spec.feature_std.len()
        && p.feature_scale.iter().all(|s| s.is_finite() && *s > 0.0)
        && p.calibration.as_ref().is_none_or(|c| {
            c.sum.len() == meta.features.n_mfcc
                && c.sum.iter().all(|v| v.is_finite())
                && c.active_frames.is_finite()
                && c.active_frames > 0.0
                && c.active_seconds.is_finite()
        })
}

/// Reads `text`; a profile that loads is checked and mixed into a window.
fn check(model: &EmotionModel, text: &str, u: &mut Unstructured) -> Option<PersonalProfile> {
    match PersonalProfile::from_json(text, model) {
        Err(Error::InvalidInput(message)) => {
            assert!(!message.trim().is_empty(), "an empty error message");
            None
        }
        Err(other) => panic!("a profile refused with {other:?}, not InvalidInput"),
        Ok(p) => {
            assert!(valid(model, &p), "a profile that should have been refused loaded: {p:?}");
            assert_eq!(p.id, p.content_id());
            assert_eq!(PersonalProfile::from_json(&p.to_json(), model).ok().as_ref(), Some(&p), "written back, read back");
            let meta = model.metadata();
            let spec = meta.personal.as_ref().unwrap();
            let n = meta.labels.len();
            let global: Vec<f32> = (0..n).map(|i| (i as f32 + 1.0) / (n * (n + 1) / 2) as f32).collect();
            let embedding: Vec<f32> = (0..spec.embedding_std.len()).map(|_| float(u).unwrap_or(0.5)).map(|x| if x.is_finite() { x } else { 1e3 }).collect();
            let features: Vec<f32> = (0..spec.feature_std.len()).map(|_| float(u).unwrap_or(0.5)).map(|x| if x.is_finite() { x } else { -1e3 }).collect();
            let indices: Vec<usize> = p.labels.iter().map(|l| meta.labels.iter().position(|m| *m == l.label).unwrap()).collect();
            let mixed = p.personalise(spec, &indices, &global, &embedding, &features);
            let sum: f32 = mixed.iter().sum();
            assert!(mixed.iter().all(|x| x.is_finite() && *x >= 0.0) && (sum - 1.0).abs() < 1e-3, "mixed {mixed:?}");
            Some(p)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let model = MODEL.lock().unwrap_or_else(|e| e.into_inner());
    let model = &*model;
    let mut u = Unstructured::new(data);
    if let Ok(text) = std::str::from_utf8(data) {
        check(model, text, &mut Unstructured::new(data));
    }
    if let Ok(profile) = built(model, &mut u) {
        let text = profile.to_json();
        let loaded = check(model, &text, &mut u);
        assert_eq!(loaded.is_some(), valid(model, &profile), "valid {} but loaded {}: {profile:?}", valid(model, &profile), loaded.is_some());
        if let Some(p) = loaded {
            assert_eq!(p.labels.len(), profile.labels.len());
        }
    }
});
