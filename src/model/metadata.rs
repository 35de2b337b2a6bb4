//! What a model needs around it (format 2, CONTRACT §3): labels and their aliases, feature
//! parameters, input layout, normalisation, speech threshold; parsed and checked at load.

use serde::{Deserialize, Serialize};

use crate::features::{FeatureParams, NormalizationSpec};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub layout: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    pub kind: String,
    pub temperature: f32,
}

/// Where the model says whether a window holds speech at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeechSpec {
    /// Index of the speech logit in the model's output (after the emotion logits).
    pub output_index: usize,
    /// Speech probability from which a window counts as speech.
    pub threshold: f32,
}

/// What a streaming runner needs to know about the network's time axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamingSpec {
    /// Input frames that one pooled frame depends on (valid convolutions).
    pub receptive_field: usize,
}

/// The metadata format this engine reads (CONTRACT §3).
pub const FORMAT_VERSION: u32 = 2;

/// What a model needs around it: labels, feature parameters, input layout and normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetadata {
    pub format_version: u32,
    pub name: String,
    pub labels: Vec<String>,
    /// Dataset labels that mean one of `labels` (e.g. `calm` → `neutral`).
    #[serde(default)]
    pub label_aliases: std::collections::BTreeMap<String, String>,
    pub features: FeatureParams,
    pub window_frames: usize,
    pub input: InputSpec,
    pub normalization: NormalizationSpec,
    pub output: OutputSpec,
    pub speech: SpeechSpec,
    pub uncertain_threshold: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<StreamingSpec>,
    /// Provenance written by the training script; carried along, not interpreted.
    /// How a [`crate::PersonalProfile`] scores windows with this model; without it the
    /// model takes no profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal: Option<PersonalSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
}

/// The personal profile's constants for one model, written by `training/personal.py`
/// (which chose them by speaker-grouped cross-validation; docs/personal-profile.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonalSpec {
    /// Spread of the pooled embedding over the training windows: each dimension is divided
    /// by it before distances are taken.
    pub embedding_std: Vec<f32>,
    /// Spread of the window feature statistics (mean, then standard deviation of each raw
    /// MFCC over the window's active frames) over the training windows; a person's own
    /// spread is floored at `feature_std_floor` times it.
    pub feature_std: Vec<f32>,
    pub feature_std_floor: f32,
    /// A window's feature statistics use its active frames when it has at least this many,
    /// else all of its frames.
    pub min_active_frames: usize,
    /// Softmax temperature of the negative mean squared distances to the prototypes.
    pub temperature: f32,
    /// The personal part weighs `k / (k + clips_prior)`, `k` the clips per enrolled label.
    pub clips_prior: f32,
}

impl PersonalSpec {
    fn validate(&self, n_mfcc: usize) -> Result<()> {
        let bad = |msg: String| Err(Error::Metadata(format!("personal: {msg}")));
        let positive = |v: &[f32]| v.iter().all(|x| x.is_finite() && *x > 0.0);
        if self.embedding_std.is_empty() || self.embedding_std.len() > 65_536 || !positive(&self.embedding_std) {
            return bad("embedding_std must be 1 to 65536 positive numbers".into());
        }
        if self.feature_std.len() != 2 * n_mfcc || !positive(&self.feature_std) {
            return bad(format!("feature_std must be {} positive numbers (mean and deviation of each MFCC)", 2 * n_mfcc));
        }
        if !(self.feature_std_floor.is_finite() && self.feature_std_floor > 0.0) {
            return bad("feature_std_floor must be positive".into());
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return bad("temperature must be positive".into());
        }
        if !(self.clips_prior.is_finite() && self.clips_prior >= 0.0) {
            return bad("clips_prior must be zero or positive".into());
        }
        Ok(())
    }
}

impl ModelMetadata {
    pub fn from_json(json: &str) -> Result<Self> {
        // Editors on Windows may start a UTF-8 file with a byte order mark, which JSON
        // parsers refuse ("expected value at line 1 column 1").
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        // Read the version first, so an old file gets a clear message rather than
        // "missing field" for whatever the newer format added.
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::Metadata(e.to_string()))?;
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == FORMAT_VERSION as u64 => {}
            Some(1) => {
                return Err(Error::Metadata(
                    "format_version 1 (global mean/std normalisation, no speech output) is no longer supported: \
                     retrain or re-export the model with training/train.py, which writes format_version 2"
                        .into(),
                ));
            }
            Some(v) => return Err(Error::Metadata(format!("format_version {v} is not supported (expected {FORMAT_VERSION})"))),
            None => return Err(Error::Metadata("format_version is missing".into())),
        }
        let meta: Self = serde_json::from_value(value).map_err(|e| Error::Metadata(e.to_string()))?;
        meta.validate()?;
        Ok(meta)
    }

    /// Checks that the fields agree with each other, so a bad file fails at load, not mid-stream.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Metadata(msg));
        if self.format_version != FORMAT_VERSION {
            return bad(format!("format_version {} is not supported (expected {FORMAT_VERSION})", self.format_version));
        }
        if self.labels.len() < 2 {
            return bad(format!("need at least 2 labels, got {}", self.labels.len()));
        }
        if self.labels.iter().any(|l| l.trim().is_empty()) {
            return bad("labels must not be empty strings".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = self.labels.iter().find(|l| !seen.insert(l.as_str())) {
            return bad(format!("label \"{dup}\" appears more than once: every label needs its own output"));
        }
        for (from, to) in &self.label_aliases {
            if from.trim().is_empty() || seen.contains(from.as_str()) {
                return bad(format!("label alias \"{from}\" must be non-empty and not itself a label"));
            }
            if !seen.contains(to.as_str()) {
                return bad(format!("label alias \"{from}\" → \"{to}\": \"{to}\" is not one of the labels"));
            }
        }
        self.features.validate()?;
        let n_mfcc = self.features.n_mfcc;
        if self.window_frames == 0 || self.window_frames > 10_000 {
            return bad(format!("window_frames {} must be within 1..=10000", self.window_frames));
        }
        if self.input.shape != [1, self.window_frames, n_mfcc] {
            return bad(format!(
                "input.shape {:?} must be [1, window_frames, n_mfcc] = [1, {}, {n_mfcc}]",
                self.input.shape, self.window_frames
            ));
        }
        if self.input.layout != "batch,frames,coefficients" {
            return bad(format!("input.layout \"{}\" is not supported", self.input.layout));
        }
        self.normalization.validate(n_mfcc)?;
        if self.output.kind != "logits" {
            return bad(format!("output.kind \"{}\" is not supported (expected \"logits\")", self.output.kind));
        }
        if !(self.output.temperature.is_finite() && self.output.temperature > 0.0) {
            return bad(format!("output.temperature {} must be positive", self.output.temperature));
        }
        if !(0.0..=1.0).contains(&self.uncertain_threshold) {
            return bad(format!("uncertain_threshold {} must be within 0..=1", self.uncertain_threshold));
        }
        if self.speech.output_index != self.labels.len() {
            return bad(format!(
                "speech.output_index {} must follow the {} emotion logits",
                self.speech.output_index,
                self.labels.len()
            ));
        }
        if !(0.0..=1.0).contains(&self.speech.threshold) {
            return bad(format!("speech.threshold {} must be within 0..=1", self.speech.threshold));
        }
        if let Some(p) = &self.personal {
            p.validate(n_mfcc)?;
            if p.min_active_frames > self.window_frames {
                return bad(format!("personal.min_active_frames {} exceeds window_frames", p.min_active_frames));
            }
        }
        if let Some(s) = &self.streaming {
            if s.receptive_field == 0 || s.receptive_field > self.window_frames {
                return bad(format!("streaming.receptive_field {} must be within 1..=window_frames", s.receptive_field));
            }
        }
        Ok(())
    }

    pub fn sample_rate(&self) -> u32 {
        self.features.sample_rate
    }

    /// Audio samples that yield exactly `window_frames` frames (see CONTRACT §1).
    pub fn window_samples(&self) -> usize {
        (self.window_frames - 1) * self.features.hop_length
    }

    pub fn window_seconds(&self) -> f64 {
        self.window_samples() as f64 / self.sample_rate() as f64
    }

    /// The model label a dataset label stands for: itself, its alias, or `None`.
    pub fn canonical_label<'a>(&'a self, label: &'a str) -> Option<&'a str> {
        if self.labels.iter().any(|l| l == label) {
            return Some(label);
        }
        self.label_aliases.get(label).map(String::as_str)
    }
}

