//! Whole-clip classification: resample, MFCC over the clip, slide the model window over it,
//! and average the windows that contain speech (CONTRACT §1).

use serde::Serialize;

use crate::audio::{check_samples, resample, validate_sample_rate};
use crate::features::MfccExtractor;
use crate::model::EmotionModel;
use crate::stream::{argmax, rms_db, VoiceGate};
use crate::{Error, Result};

/// How a clip is cut into windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipOptions {
    /// Seconds between the starts of consecutive windows.
    pub segment_hop_seconds: f64,
    pub gate: VoiceGate,
}

impl Default for ClipOptions {
    fn default() -> Self {
        Self { segment_hop_seconds: 1.0, gate: VoiceGate::default() }
    }
}

/// One model window of a clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    /// Whether the voice-activity gate found speech in this window.
    pub speech: bool,
    pub label: String,
    pub probabilities: Vec<f32>,
}

/// The result for a whole clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipResult {
    pub duration_s: f64,
    pub label: String,
    pub confidence: f32,
    pub probabilities: Vec<f32>,
    pub labels: Vec<String>,
    /// False when no window passed the voice-activity gate: the label is then a guess
    /// over all windows and should be shown as such.
    pub speech: bool,
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
    let unpadded_len = audio.len();
    if audio.len() < meta.window_samples() {
        audio.resize(meta.window_samples(), 0.0);
    }

    let mut extractor = MfccExtractor::new(&meta.features)?;
    let mfcc = extractor.compute(&audio);
    let n_mfcc = meta.features.n_mfcc;
    let hop_length = meta.features.hop_length;
    let n_frames = mfcc.len() / n_mfcc;
    let window = meta.window_frames;
    // Level of the audio around each frame (one hop-length block per frame); padding is silence.
    let block_levels: Vec<f32> = (0..n_frames)
        .map(|t| {
            let start = (t * hop_length).min(unpadded_len);
            let end = ((t + 1) * hop_length).min(unpadded_len);
            rms_db(&audio[start..end])
        })
        .collect();

    let segment_hop = ((options.segment_hop_seconds * rate as f64 / hop_length as f64).round() as usize).max(1);
    let mut starts: Vec<usize> = (0..=n_frames - window).step_by(segment_hop).collect();
    if starts.last() != Some(&(n_frames - window)) {
        starts.push(n_frames - window); // cover the end of the clip too
    }

    let frame_s = hop_length as f64 / rate as f64;
    let labels = model.labels().to_vec();
    let mut segments = Vec::with_capacity(starts.len());
    for start in starts {
        let probabilities = model.predict(&mfcc[start * n_mfcc..(start + window) * n_mfcc])?;
        let speech = options.gate.has_speech(&block_levels[start..start + window]);
        let (top, _) = argmax(&probabilities);
        segments.push(Segment {
            start_s: start as f64 * frame_s,
            end_s: ((start + window) as f64 * frame_s).min(duration_s.max(meta.window_seconds())),
            speech,
            label: labels[top].clone(),
            probabilities,
        });
    }

    let speech = segments.iter().any(|s| s.speech);
    let chosen: Vec<&Segment> = segments.iter().filter(|s| s.speech || !speech).collect();
    let mut probabilities = vec![0.0f32; labels.len()];
    for segment in &chosen {
        for (sum, p) in probabilities.iter_mut().zip(&segment.probabilities) {
            *sum += p / chosen.len() as f32;
        }
    }
    let (top, confidence) = argmax(&probabilities);
    Ok(ClipResult { duration_s, label: labels[top].clone(), confidence, probabilities, labels, speech, segments })
}
