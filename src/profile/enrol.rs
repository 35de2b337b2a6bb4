//! Enrolment: labelled clips of one person → a [`PersonalProfile`].

use super::{mean_vector, LabelPrototype, PersonalProfile};
use crate::audio::{check_samples, validate_sample_rate};
use crate::calibration::CalibrationBuilder;
use crate::classify::{ClipClassifier, ClipOptions, WindowVectors};
use crate::model::{EmotionModel, ModelMetadata};
use crate::{Error, Result};

/// Clips each enrolled label needs at least.
pub const MIN_CLIPS_PER_LABEL: usize = 2;
/// Seconds of speech (windows the model hears as speech) each enrolled label needs at least.
pub const MIN_SPEECH_SECONDS_PER_LABEL: f64 = 3.0;
/// The label whose clips are also the calibration.
const BASELINE_LABEL: &str = "neutral";

/// One label's enrolment so far ([`ProfileBuilder::status`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EnrolledLabel {
    pub label: String,
    pub clips: usize,
    /// Seconds of audio (speech is counted when the profile is built).
    pub audio_seconds: f64,
}

/// Labelled clips of one person, turned into a profile by [`ProfileBuilder::finish`]. The
/// clips stay in memory until then (the neutral ones must be known first: they are the
/// calibration every clip is heard with).
pub struct ProfileBuilder {
    meta: ModelMetadata,
    clips: Vec<Clip>,
}

struct Clip {
    label: usize,
    samples: Vec<f32>,
    rate: f64,
}

impl std::fmt::Debug for ProfileBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileBuilder").field("clips", &self.clips.len()).finish()
    }
}

impl ProfileBuilder {
    /// A profile for `model`, which must have a `personal` block in its metadata.
    pub fn new(model: &EmotionModel) -> Result<Self> {
        if model.metadata().personal.is_none() {
            return Err(super::no_profiles(model.metadata()));
        }
        Ok(Self { meta: model.metadata().clone(), clips: Vec::new() })
    }

    /// Adds one clip of `label` (a model label or one of its aliases: "calm" is "neutral"
    /// for the shipped model), mono at `sample_rate` Hz.
    pub fn enrol(&mut self, samples: &[f32], sample_rate: f64, label: &str) -> Result<()> {
        let label = self.label_index(label)?;
        validate_sample_rate(sample_rate)?;
        check_samples(samples)?;
        if samples.is_empty() {
            return Err(Error::EmptyAudio);
        }
        self.clips.push(Clip { label, samples: samples.to_vec(), rate: sample_rate });
        Ok(())
    }

    /// Clips so far per model label (0 for labels without any).
    pub fn clips_per_label(&self) -> Vec<(String, usize)> {
        let count = |i| self.clips.iter().filter(|c| c.label == i).count();
        self.meta.labels.iter().enumerate().map(|(i, l)| (l.clone(), count(i))).collect()
    }

    /// What each model label has so far: clips and seconds of audio (what an enrolment
    /// screen shows, with what is still missing).
    pub fn status(&self) -> Vec<EnrolledLabel> {
        let seconds = |i| self.clips.iter().filter(|c| c.label == i).map(|c| c.samples.len() as f64 / c.rate).sum();
        let counts = self.clips_per_label();
        counts.into_iter().enumerate().map(|(i, (label, clips))| EnrolledLabel { label, clips, audio_seconds: seconds(i) }).collect()
    }

    fn label_index(&self, label: &str) -> Result<usize> {
        let wanted = label.trim().to_lowercase();
        let name = self.meta.canonical_label(&wanted);
        self.meta.labels.iter().position(|l| Some(l.as_str()) == name).ok_or_else(|| {
            Error::InvalidInput(format!("\"{label}\" is not one of the model's labels ({})", self.meta.labels.join(", ")))
        })
    }

    /// Builds the profile: the neutral clips become the calibration, every clip is heard
    /// with it, and each label's clips become its prototypes. Refuses fewer than 2 labels,
    /// a label with fewer than [`MIN_CLIPS_PER_LABEL`] clips or [`MIN_SPEECH_SECONDS_PER_LABEL`]
    /// of speech, and any clip without speech, each saying what to record.
    pub fn finish(&self, model: &mut EmotionModel) -> Result<PersonalProfile> {
        if model.metadata() != &self.meta {
            return Err(Error::InvalidInput("the model changed during enrolment; enrol again".into()));
        }
        let spec = self.meta.personal.clone().ok_or_else(|| super::no_profiles(&self.meta))?;
        let counts = self.clips_per_label();
        let enrolled: Vec<&(String, usize)> = counts.iter().filter(|(_, n)| *n > 0).collect();
        if enrolled.len() < 2 {
            return Err(Error::InvalidInput(format!(
                "a personal profile needs clips of at least 2 emotions; got {}: record some of another ({})",
                if enrolled.is_empty() { "none".to_string() } else { enrolled.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(", ") },
                self.meta.labels.join(", ")
            )));
        }
        if let Some((label, n)) = enrolled.iter().find(|(_, n)| *n < MIN_CLIPS_PER_LABEL) {
            return Err(Error::InvalidInput(format!(
                "\"{label}\" has {n} clip; each emotion needs at least {MIN_CLIPS_PER_LABEL}: record another"
            )));
        }
        let calibration = self.calibration(model)?;
        let options = ClipOptions { calibration: calibration.clone(), ..ClipOptions::default() };
        let mut heard: Vec<(usize, f64, WindowVectors)> = Vec::new();
        for (n, clip) in self.clips.iter().enumerate() {
            let label = &self.meta.labels[clip.label];
            let mut classifier = ClipClassifier::new(&self.meta, clip.rate, &options)?;
            classifier.collect_vectors()?;
            classifier.push(model, &clip.samples)?;
            let (result, vectors) = classifier.finish_with_vectors(model)?;
            if vectors.embeddings.is_empty() {
                return Err(Error::InvalidInput(format!(
                    "clip {} (\"{label}\") holds no speech the model hears: record it again, speaking",
                    n + 1
                )));
            }
            let speech_share = result.segments.iter().filter(|s| s.speech).count() as f64 / result.segments.len().max(1) as f64;
            heard.push((clip.label, result.duration_s * speech_share, vectors));
        }
        let mut labels = Vec::new();
        for (index, name) in self.meta.labels.iter().enumerate() {
            let mine: Vec<&(usize, f64, WindowVectors)> = heard.iter().filter(|(l, _, _)| *l == index).collect();
            if mine.is_empty() {
                continue;
            }
            let speech_seconds: f64 = mine.iter().map(|(_, s, _)| s).sum();
            if speech_seconds < MIN_SPEECH_SECONDS_PER_LABEL {
                let speech_seconds = (speech_seconds * 10.0).floor() / 10.0; // 2.96 s is not "3.0 s"
                return Err(Error::InvalidInput(format!(
                    "\"{name}\" holds {speech_seconds:.1} s of speech; each emotion needs at least {MIN_SPEECH_SECONDS_PER_LABEL} s: record more"
                )));
            }
            labels.push(LabelPrototype {
                label: name.clone(),
                clips: mine.len(),
                speech_seconds,
                embedding: mean_vector(&mine.iter().map(|(_, _, v)| v.mean_embedding()).collect::<Vec<_>>()),
                features: mean_vector(&mine.iter().map(|(_, _, v)| v.mean_features()).collect::<Vec<_>>()),
            });
        }
        // The person's own spread of each statistic over all clips, floored (the method).
        let clip_features: Vec<Vec<f32>> = heard.iter().map(|(_, _, v)| v.mean_features()).collect();
        let centre = mean_vector(&clip_features);
        let feature_scale = centre
            .iter()
            .enumerate()
            .map(|(j, &m)| {
                let var = clip_features.iter().map(|f| (f64::from(f[j]) - f64::from(m)).powi(2)).sum::<f64>() / clip_features.len() as f64;
                (var.sqrt() as f32).max(spec.feature_std_floor * spec.feature_std[j])
            })
            .collect();
        let mut profile = PersonalProfile {
            id: String::new(),
            model_name: self.meta.name.clone(),
            model_fingerprint: model.fingerprint().to_string(),
            labels,
            feature_scale,
            calibration,
        };
        profile.id = profile.content_id();
        Ok(profile)
    }

    /// The neutral clips as one calibration sample, when there are any.
    fn calibration(&self, model: &mut EmotionModel) -> Result<Option<crate::SpeakerProfile>> {
        let Some(neutral) = self.meta.labels.iter().position(|l| l == BASELINE_LABEL) else { return Ok(None) };
        let mut builder: Option<CalibrationBuilder> = None;
        for clip in self.clips.iter().filter(|c| c.label == neutral) {
            let b = match &mut builder {
                Some(open) => {
                    open.next_source(model, clip.rate)?;
                    open
                }
                None => builder.insert(CalibrationBuilder::new(&self.meta, clip.rate)?),
            };
            b.push(model, &clip.samples)?;
        }
        builder
            .map(|b| b.finish(model))
            .transpose()
            .map_err(|e| Error::InvalidInput(format!("the neutral clips are the calibration, and it failed ({e}): record more ordinary speech")))
    }
}
