//! A personal profile: a few labelled clips of one person's own speech, which every later
//! result combines with the global model (issue 25; the method and why:
//! docs/personal-profile.md).
//!
//! Per enrolled label the profile keeps two prototypes: the mean pooled embedding of its
//! clips (the model's own view of the voice) and the mean MFCC statistics (how this person's
//! voice moves between emotions). A window's distance to each prototype gives personal
//! probabilities for the enrolled labels, which are mixed with the global ones, more so the
//! more clips the person gave. The enrolled neutral clips are also the calibration.
//!
//! A profile is a small JSON document bound to the model's fingerprint. It exists in memory
//! only; nothing here writes it anywhere ([`PersonalProfile::to_json`] returns a string).

mod enrol;
mod file;
pub(crate) mod window_stats;

use crate::features::SpeakerProfile;
use crate::model::{EmotionModel, PersonalSpec};
use crate::Result;

pub use enrol::{EnrolledLabel, ProfileBuilder, MIN_CLIPS_PER_LABEL, MIN_SPEECH_SECONDS_PER_LABEL};
pub use file::{MAX_PROFILE_BYTES, PROFILE_FORMAT_VERSION};
pub(crate) use file::no_profiles;

/// One enrolled label: how much the person gave, and its two prototypes.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelPrototype {
    pub label: String,
    pub clips: usize,
    pub speech_seconds: f64,
    /// Mean pooled embedding of the label's clips.
    pub embedding: Vec<f32>,
    /// Mean window MFCC statistics of the label's clips.
    pub features: Vec<f32>,
}

/// A person's profile for one model (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalProfile {
    /// Names the profile in results (a hash of its content, never of the audio).
    pub id: String,
    pub model_name: String,
    pub model_fingerprint: String,
    /// Enrolled labels in the model's label order.
    pub labels: Vec<LabelPrototype>,
    /// The person's spread of each MFCC statistic, floored (docs/personal-profile.md).
    pub feature_scale: Vec<f32>,
    /// The neutral clips' baseline, when neutral speech was enrolled.
    pub calibration: Option<SpeakerProfile>,
}

/// What a profile holds, without its vectors: what an application shows about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProfileSummary {
    pub id: String,
    pub model: String,
    pub labels: Vec<ProfileLabel>,
    /// Whether its neutral clips calibrate (see [`PersonalProfile::calibration`]).
    pub calibrated: bool,
}

/// One enrolled label in a [`ProfileSummary`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProfileLabel {
    pub label: String,
    pub clips: usize,
    pub speech_seconds: f64,
}

impl PersonalProfile {
    pub fn summary(&self) -> ProfileSummary {
        ProfileSummary {
            id: self.id.clone(),
            model: self.model_name.clone(),
            labels: self.labels.iter().map(|l| ProfileLabel { label: l.label.clone(), clips: l.clips, speech_seconds: l.speech_seconds }).collect(),
            calibrated: self.calibration.is_some(),
        }
    }

    /// Fewest clips of any enrolled label: how much the person's part weighs.
    pub fn clips_per_label(&self) -> usize {
        self.labels.iter().map(|l| l.clips).min().unwrap_or(0)
    }

    /// Refuses a profile made with another model, naming both fingerprints.
    pub fn check_model(&self, model: &EmotionModel) -> Result<()> {
        file::check_fingerprint(&self.id, &self.model_name, &self.model_fingerprint, model)
    }

    /// The window's probabilities with the person's part mixed in: `global` are the model's
    /// (calibrated) probabilities in label order, `embedding` and `features` the window's
    /// vectors. Labels the profile lacks keep their global probability.
    pub fn personalise(&self, spec: &PersonalSpec, label_index: &[usize], global: &[f32], embedding: &[f32], features: &[f32]) -> Vec<f32> {
        let scores: Vec<f64> = self.labels.iter().map(|l| -self.distance(spec, l, embedding, features)).collect();
        let personal = softmax_f64(&scores, f64::from(spec.temperature));
        let mass: f64 = label_index.iter().map(|&i| f64::from(global[i])).sum();
        let k = self.clips_per_label() as f64;
        let prior = f64::from(spec.clips_prior);
        let w = if prior == 0.0 { 1.0 } else { k / (k + prior) };
        let mut mixed: Vec<f64> = global.iter().map(|&p| f64::from(p)).collect();
        for (&i, q) in label_index.iter().zip(&personal) {
            mixed[i] = (1.0 - w) * f64::from(global[i]) + w * mass * q;
        }
        mixed.into_iter().map(|p| p as f32).collect()
    }

    /// `½ (mean squared scaled embedding difference + mean squared scaled feature difference)`.
    fn distance(&self, spec: &PersonalSpec, label: &LabelPrototype, embedding: &[f32], features: &[f32]) -> f64 {
        let mean_sq = |x: &[f32], m: &[f32], s: &[f32]| {
            let sum: f64 = x.iter().zip(m).zip(s).map(|((&x, &m), &s)| ((f64::from(x) - f64::from(m)) / f64::from(s)).powi(2)).sum();
            sum / x.len().max(1) as f64
        };
        0.5 * (mean_sq(embedding, &label.embedding, &spec.embedding_std) + mean_sq(features, &label.features, &self.feature_scale))
    }

    /// Each enrolled label's index among the model's labels.
    pub(crate) fn label_indices(&self, model_labels: &[String]) -> Vec<usize> {
        self.labels.iter().filter_map(|l| model_labels.iter().position(|m| *m == l.label)).collect()
    }
}

/// Element-wise mean of equally long vectors (empty for none).
pub(crate) fn mean_vector(vectors: &[Vec<f32>]) -> Vec<f32> {
    let n = vectors.first().map_or(0, Vec::len);
    let mut sum = vec![0.0f64; n];
    for v in vectors {
        sum.iter_mut().zip(v).for_each(|(s, &x)| *s += f64::from(x));
    }
    sum.into_iter().map(|s| (s / vectors.len().max(1) as f64) as f32).collect()
}

fn softmax_f64(scores: &[f64], temperature: f64) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores.iter().map(|s| ((s - max) / temperature).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}
