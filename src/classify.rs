//! Whole-clip classification: resample, MFCC and causal normalisation over the clip, slide
//! the model window over it, and average the windows the model hears as speech (CONTRACT §1).

use serde::Serialize;

use crate::audio::{check_samples, resample, validate_sample_rate};
use crate::decision::{argmax, mean_probabilities, Decider, State};
use crate::features::{MfccExtractor, SpeakerNormalizer, SpeakerProfile};
use crate::model::EmotionModel;
use crate::{Error, Result};

/// How a clip is cut into windows, and whose voice it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipOptions {
    /// Seconds between the starts of consecutive windows.
    pub segment_hop_seconds: f64,
    /// The speaker's calibration, if any (see [`crate::calibration`]).
    pub calibration: Option<SpeakerProfile>,
}

impl Default for ClipOptions {
    fn default() -> Self {
        Self { segment_hop_seconds: 1.0, calibration: None }
    }
}

/// One model window of a clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    /// Whether the model heard speech in this window.
    pub speech: bool,
    pub speech_probability: f32,
    /// Top label of this window; `None` without speech.
    pub label: Option<String>,
    pub probabilities: Vec<f32>,
}

/// The result for a whole clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipResult {
    pub duration_s: f64,
    /// `emotion`, `uncertain` (top probability below the model's threshold) or `no_speech`.
    pub state: State,
    /// Top label over the speech windows; `None` when no window holds speech.
    pub label: Option<String>,
    pub confidence: f32,
    /// Mean probabilities over the speech windows (over all windows when there is none,
    /// for display only).
    pub probabilities: Vec<f32>,
    pub labels: Vec<String>,
    /// Whether any window holds speech.
    pub speech: bool,
    /// Whether a speaker calibration was used.
    pub calibrated: bool,
    pub segments: Vec<Segment>,
}

/// Classifies a mono clip at `sample_rate` Hz.
pub fn classify_clip(
    model: &mut EmotionModel,
    samples: &[f32],
    sample_rate: f64,
    options: &ClipOptions,
) -> Result<ClipResult> {
    let input_rate = validate_sample_rate(sample_rate)?;
    if samples.is_empty() {
        return Err(Error::EmptyAudio);
    }
    check_samples(samples)?;
    if samples.iter().all(|&s| s == 0.0) {
        return Err(Error::Silence);
    }
    if !(options.segment_hop_seconds.is_finite() && options.segment_hop_seconds >= 0.01) {
        return Err(Error::InvalidInput(format!(
            "segment hop {} s must be at least 0.01 s",
            options.segment_hop_seconds
        )));
    }
    let meta = model.metadata().clone();
    let rate = meta.sample_rate();
    let mut audio = resample(samples, input_rate, rate)?;
    let duration_s = samples.len() as f64 / input_rate as f64;
    if audio.len() < meta.window_samples() {
        audio.resize(meta.window_samples(), 0.0);
    }

    let n_mfcc = meta.features.n_mfcc;
    let mut mfcc = MfccExtractor::new(&meta.features)?.compute(&audio);
    let mut normalizer = SpeakerNormalizer::new(&meta.normalization, meta.features.n_mels, meta.features.hop_seconds());
    normalizer.set_profile(options.calibration.clone())?;
    let mut normalized = vec![0.0; n_mfcc];
    for frame in mfcc.chunks_exact_mut(n_mfcc) {
        normalizer.normalize_frame(frame, &mut normalized);
        frame.copy_from_slice(&normalized);
    }
    let n_frames = mfcc.len() / n_mfcc;
    let window = meta.window_frames;
    let hop_length = meta.features.hop_length;
    let segment_hop = ((options.segment_hop_seconds * rate as f64 / hop_length as f64).round() as usize).max(1);
    let mut starts: Vec<usize> = (0..=n_frames - window).step_by(segment_hop).collect();
    if starts.last() != Some(&(n_frames - window)) {
        starts.push(n_frames - window); // cover the end of the clip too
    }

    let decider = Decider::from_metadata(&meta);
    let frame_s = hop_length as f64 / rate as f64;
    let labels = model.labels().to_vec();
    let mut segments = Vec::with_capacity(starts.len());
    for start in starts {
        let out = model.predict(&mfcc[start * n_mfcc..(start + window) * n_mfcc])?;
        let speech = decider.is_speech(&out);
        segments.push(Segment {
            start_s: start as f64 * frame_s,
            end_s: ((start + window) as f64 * frame_s).min(duration_s.max(meta.window_seconds())),
            speech,
            speech_probability: out.speech_probability,
            label: speech.then(|| labels[argmax(&out.probabilities).0].clone()),
            probabilities: out.probabilities,
        });
    }

    let voiced = mean_probabilities(segments.iter().filter(|s| s.speech).map(|s| s.probabilities.as_slice()));
    let speech = voiced.is_some();
    let (label, confidence, state, probabilities) = match voiced {
        Some(p) => {
            let (top, confidence, state) = decider.judge(&p);
            (Some(labels[top].clone()), confidence, state, p)
        }
        None => {
            let p = mean_probabilities(segments.iter().map(|s| s.probabilities.as_slice())).unwrap_or_default();
            (None, argmax(&p).1, State::NoSpeech, p)
        }
    };
    Ok(ClipResult {
        duration_s,
        state,
        label,
        confidence,
        probabilities,
        labels,
        speech,
        calibrated: options.calibration.is_some(),
        segments,
    })
}
