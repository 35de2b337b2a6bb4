//! The profile as a JSON document: versioned, bound to the model's fingerprint, vectors as
//! base64 little-endian float32 (exact, and a third of the size of decimal numbers: a
//! 4-label profile is about 7 KB), checked like model metadata when read.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{LabelPrototype, PersonalProfile};
use crate::features::SpeakerProfile;
use crate::model::{EmotionModel, ModelMetadata};
use crate::{Error, Result};

pub const PROFILE_FORMAT_VERSION: u32 = 1;
/// A profile of every label of an 8-label model is under 20 KB; anything much larger is
/// not a profile.
pub const MAX_PROFILE_BYTES: usize = 256 * 1024;
const KIND: &str = "speech-emotion-profile";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    kind: String,
    format_version: u32,
    id: String,
    model: ModelRef,
    labels: Vec<LabelFile>,
    feature_scale: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calibration: Option<SpeakerProfile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelRef {
    name: String,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelFile {
    label: String,
    clips: usize,
    speech_seconds: f64,
    embedding: String,
    features: String,
}

fn encode(v: &[f32]) -> String {
    BASE64.encode(v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())
}

fn decode(text: &str, what: &str, len: usize) -> Result<Vec<f32>> {
    let bytes = BASE64.decode(text).map_err(|e| bad(format!("{what} is not base64: {e}")))?;
    if bytes.len() != 4 * len {
        return Err(bad(format!("{what} holds {} numbers; this model needs {len}", bytes.len() / 4)));
    }
    let v: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if v.iter().any(|x| !x.is_finite()) {
        return Err(bad(format!("{what} holds a number that is not finite")));
    }
    Ok(v)
}

fn bad(message: String) -> Error {
    Error::InvalidInput(format!("not a usable personal profile: {message}"))
}

impl PersonalProfile {
    /// The profile as JSON (the caller decides whether and where to keep it).
    pub fn to_json(&self) -> String {
        let file = ProfileFile {
            kind: KIND.into(),
            format_version: PROFILE_FORMAT_VERSION,
            id: self.id.clone(),
            model: ModelRef { name: self.model_name.clone(), fingerprint: self.model_fingerprint.clone() },
            labels: self
                .labels
                .iter()
                .map(|l| LabelFile {
                    label: l.label.clone(),
                    clips: l.clips,
                    speech_seconds: l.speech_seconds,
                    embedding: encode(&l.embedding),
                    features: encode(&l.features),
                })
                .collect(),
            feature_scale: encode(&self.feature_scale),
            calibration: self.calibration.clone(),
        };
        serde_json::to_string_pretty(&file).expect("a profile always serialises")
    }

    /// Reads a profile for `model`, refusing anything damaged, oversized, made with another
    /// model or not matching its labels and dimensions.
    pub fn from_json(json: &str, model: &EmotionModel) -> Result<Self> {
        if json.len() > MAX_PROFILE_BYTES {
            return Err(bad(format!("{} bytes, more than the {MAX_PROFILE_BYTES} a profile can be", json.len())));
        }
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        let file: ProfileFile = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        if file.kind != KIND {
            return Err(bad(format!("kind \"{}\" (expected \"{KIND}\")", file.kind)));
        }
        if file.format_version != PROFILE_FORMAT_VERSION {
            return Err(bad(format!("format_version {} (this version reads {PROFILE_FORMAT_VERSION})", file.format_version)));
        }
        // Another model's profile is the likeliest mistake: say so before anything else.
        check_fingerprint(&file.id, &file.model.name, &file.model.fingerprint, model)?;
        let meta = model.metadata();
        let spec = meta.personal.as_ref().ok_or_else(|| no_profiles(meta))?;
        let (n_emb, n_feat) = (spec.embedding_std.len(), spec.feature_std.len());
        let mut labels = Vec::new();
        for l in &file.labels {
            if !meta.labels.contains(&l.label) {
                return Err(bad(format!("label \"{}\" is not one of the model's ({})", l.label, meta.labels.join(", "))));
            }
            if labels.iter().any(|p: &LabelPrototype| p.label == l.label) {
                return Err(bad(format!("label \"{}\" appears twice", l.label)));
            }
            if l.clips == 0 || !(l.speech_seconds.is_finite() && l.speech_seconds > 0.0) {
                return Err(bad(format!("label \"{}\" has no clips or no speech", l.label)));
            }
            labels.push(LabelPrototype {
                label: l.label.clone(),
                clips: l.clips,
                speech_seconds: l.speech_seconds,
                embedding: decode(&l.embedding, &format!("{}'s embedding", l.label), n_emb)?,
                features: decode(&l.features, &format!("{}'s features", l.label), n_feat)?,
            });
        }
        if labels.len() < 2 {
            return Err(bad(format!("{} label(s); a profile needs at least 2", labels.len())));
        }
        labels.sort_by_key(|l| meta.labels.iter().position(|m| *m == l.label));
        let feature_scale = decode(&file.feature_scale, "feature_scale", n_feat)?;
        if feature_scale.iter().any(|s| *s <= 0.0) {
            return Err(bad("feature_scale must be positive".into()));
        }
        if let Some(c) = &file.calibration {
            let fine = c.sum.len() == meta.features.n_mfcc
                && c.sum.iter().all(|v| v.is_finite())
                && c.active_frames.is_finite()
                && c.active_frames > 0.0
                && c.active_seconds.is_finite();
            if !fine {
                return Err(bad(format!("the calibration needs {} finite sums and a positive frame count", meta.features.n_mfcc)));
            }
        }
        let profile = Self {
            id: file.id,
            model_name: file.model.name,
            model_fingerprint: file.model.fingerprint,
            labels,
            feature_scale,
            calibration: file.calibration,
        };
        if profile.id != profile.content_id() {
            return Err(bad(format!("its id {} does not match its content (edited or damaged)", profile.id)));
        }
        profile.check_model(model)?;
        Ok(profile)
    }

    /// `profile-` and 16 hex digits of the SHA-256 of everything the profile says.
    pub fn content_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.model_fingerprint.as_bytes());
        for l in &self.labels {
            h.update(l.label.as_bytes());
            h.update((l.clips as u64).to_le_bytes());
            h.update(l.speech_seconds.to_le_bytes());
            l.embedding.iter().chain(&l.features).for_each(|x| h.update(x.to_le_bytes()));
        }
        self.feature_scale.iter().for_each(|x| h.update(x.to_le_bytes()));
        if let Some(c) = &self.calibration {
            c.sum.iter().chain([&c.active_frames, &c.active_seconds]).for_each(|x| h.update(x.to_le_bytes()));
        }
        let hex: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("profile-{hex}")
    }
}

/// The error for a model whose metadata has no `personal` block.
pub(crate) fn no_profiles(meta: &ModelMetadata) -> Error {
    Error::InvalidInput(format!("model {} has no \"personal\" block in its metadata, so it takes no personal profiles", meta.name))
}

/// Refuses a profile made with another model, naming both fingerprints.
pub(super) fn check_fingerprint(id: &str, name: &str, fingerprint: &str, model: &EmotionModel) -> Result<()> {
    if fingerprint == model.fingerprint() {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "personal profile {id} was made with model {name} (fingerprint {fingerprint}), not with {} (fingerprint {}): enrol again with this model",
        model.metadata().name,
        model.fingerprint()
    )))
}
