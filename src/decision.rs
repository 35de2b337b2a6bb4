//! The decision rules shared by live streams and whole clips: is there speech, which label,
//! is it confident enough to name. One place, so the page, the CLI and the library agree.

use serde::Serialize;

use crate::model::{ModelMetadata, WindowOutput};

/// The state a result is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Speech with a confident top label.
    Emotion,
    /// Speech, but the top probability is below the uncertainty threshold.
    Uncertain,
    /// No speech: tones, noise, music, silence. No label.
    NoSpeech,
}

/// Thresholds taken from the model metadata (overridable by the caller).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decider {
    pub speech_threshold: f32,
    pub uncertain_threshold: f32,
}

impl Decider {
    pub fn from_metadata(meta: &ModelMetadata) -> Self {
        Self { speech_threshold: meta.speech.threshold, uncertain_threshold: meta.uncertain_threshold }
    }

    /// Whether the model heard speech in a window.
    pub fn is_speech(&self, window: &WindowOutput) -> bool {
        window.speech_probability >= self.speech_threshold
    }

    /// Top label index, its probability and the state for probabilities of speech audio.
    pub fn judge(&self, probabilities: &[f32]) -> (usize, f32, State) {
        let (top, confidence) = argmax(probabilities);
        let state = if confidence < self.uncertain_threshold { State::Uncertain } else { State::Emotion };
        (top, confidence, state)
    }
}

/// Index and value of the largest element (first on ties).
pub fn argmax(values: &[f32]) -> (usize, f32) {
    values.iter().copied().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, v)| if v > best.1 { (i, v) } else { best })
}

/// Mean of probability vectors (all the same length); `None` for none.
pub fn mean_probabilities<'a>(rows: impl IntoIterator<Item = &'a [f32]>) -> Option<Vec<f32>> {
    let mut sum: Option<Vec<f32>> = None;
    let mut n = 0usize;
    for row in rows {
        let acc = sum.get_or_insert_with(|| vec![0.0; row.len()]);
        acc.iter_mut().zip(row).for_each(|(a, p)| *a += p);
        n += 1;
    }
    sum.map(|mut s| {
        s.iter_mut().for_each(|v| *v /= n as f32);
        s
    })
}
