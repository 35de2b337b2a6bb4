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

/// What a whole clip says, from its windows ([`Decider::clip_verdict`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Index of the top label; `None` when no window holds speech.
    pub top: Option<usize>,
    pub confidence: f32,
    pub state: State,
    /// Mean over the speech windows (over all windows when none holds speech, for display).
    pub probabilities: Vec<f32>,
}

impl Decider {
    /// The clip rule: the mean probabilities of the windows that hold speech (`(speech,
    /// probabilities)` per window, in order), judged as one; no label when none holds
    /// speech. `training/verdict.py` is the same rule; `tests/golden/verdict_golden.json`
    /// holds cases both must give.
    pub fn clip_verdict<'a>(&self, windows: &[(bool, &'a [f32])]) -> Verdict {
        match mean_probabilities(windows.iter().filter(|(speech, _)| *speech).map(|(_, p)| *p)) {
            Some(probabilities) => {
                let (top, confidence, state) = self.judge(&probabilities);
                Verdict { top: Some(top), confidence, state, probabilities }
            }
            None => {
                let probabilities = mean_probabilities(windows.iter().map(|(_, p)| *p)).unwrap_or_default();
                Verdict { top: None, confidence: argmax(&probabilities).1, state: State::NoSpeech, probabilities }
            }
        }
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
