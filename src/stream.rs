//! Live classification of a stream of samples: rolling window, hop, voice-activity gate,
//! smoothing and an "uncertain" state.
//!
//! Push chunks of any size at any supported input rate. The stream resamples to the model
//! rate, computes only the MFCC frames that the new samples complete, and every `hop` runs
//! the model over the last `window_frames` frames. Results depend only on the audio, not on
//! how it was split into chunks.

use std::collections::VecDeque;

use serde::Serialize;

use crate::audio::{check_samples, StreamResampler};
use crate::features::StreamingMfcc;
use crate::model::EmotionModel;
use crate::{Error, Result};

/// Tunables of the live view. The defaults suit a 3 s model window.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    /// Seconds between predictions.
    pub hop_seconds: f64,
    /// Voice-activity gate settings.
    pub gate: VoiceGate,
    /// Weight of the newest window in the exponential moving average of probabilities (0–1].
    pub smoothing: f32,
    /// Top smoothed probability below which the state is `Uncertain`; `None` takes the
    /// model metadata's threshold.
    pub uncertain_threshold: Option<f32>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self { hop_seconds: 0.25, gate: VoiceGate::default(), smoothing: 0.4, uncertain_threshold: None }
    }
}

/// Energy-based voice-activity gate over hop-sized blocks of audio: a window "has speech"
/// when enough of its blocks are louder than a threshold. Shared by streams and clips so
/// both decide alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoiceGate {
    /// Block RMS level (dBFS) that counts as voiced.
    pub threshold_db: f32,
    /// Fraction of a window's blocks that must be voiced.
    pub min_voiced_fraction: f32,
}

impl Default for VoiceGate {
    fn default() -> Self {
        Self { threshold_db: -45.0, min_voiced_fraction: 0.1 }
    }
}

impl VoiceGate {
    pub fn is_voiced(&self, level_db: f32) -> bool {
        level_db >= self.threshold_db
    }

    /// Whether a window whose blocks have these levels contains speech.
    pub fn has_speech<'a>(&self, block_levels_db: impl IntoIterator<Item = &'a f32>) -> bool {
        let (mut voiced, mut total) = (0usize, 0usize);
        for &level in block_levels_db {
            total += 1;
            voiced += usize::from(self.is_voiced(level));
        }
        total > 0 && voiced as f32 >= self.min_voiced_fraction * total as f32
    }
}

/// RMS level in dBFS (full scale = 1.0); digital silence gives −120 dB rather than −∞.
pub fn rms_db(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return -120.0;
    }
    let mean_square = samples.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>() / samples.len() as f64;
    (10.0 * mean_square.max(1e-12).log10()) as f32
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    /// Speech with a confident top label.
    Emotion,
    /// Speech, but the top probability is below the uncertainty threshold.
    Uncertain,
    /// The window holds no speech; probabilities are the last ones seen.
    NoSpeech,
}

/// One update of the live view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// Stream time (seconds, at the model rate) at the end of the analysed window.
    pub time_s: f64,
    pub state: StreamState,
    /// Top label of the smoothed probabilities; `None` when there is no speech.
    pub label: Option<String>,
    /// Smoothed top probability.
    pub confidence: f32,
    /// Smoothed probabilities in label order.
    pub probabilities: Vec<f32>,
    /// This window's probabilities, unsmoothed.
    pub raw_probabilities: Vec<f32>,
    /// RMS level of the newest hop, dBFS.
    pub level_db: f32,
}

/// A live classifier. Owns the model; [`EmotionStream::model_mut`] lends it out for
/// whole-clip classification without disturbing the stream.
pub struct EmotionStream {
    model: EmotionModel,
    config: StreamConfig,
    uncertain_threshold: f32,
    resampler: StreamResampler,
    mfcc: StreamingMfcc,
    n_mfcc: usize,
    /// The newest `window_frames` MFCC frames, oldest first.
    frames: VecDeque<f32>,
    /// RMS level of each hop-length block of audio in the window.
    block_levels: VecDeque<f32>,
    block: Vec<f32>,
    window: Vec<f32>,
    resampled: Vec<f32>,
    hop_samples: usize,
    samples_to_next_hop: usize,
    total_samples: u64,
    smoothed: Option<Vec<f32>>,
    silence_frame: Vec<f32>,
    failed: Option<String>,
}

impl EmotionStream {
    pub fn new(model: EmotionModel, input_rate: f64, config: StreamConfig) -> Result<Self> {
        let input_rate = crate::audio::validate_sample_rate(input_rate)?;
        if !(config.hop_seconds.is_finite() && config.hop_seconds >= 0.01 && config.hop_seconds <= 10.0) {
            return Err(Error::InvalidInput(format!("hop_seconds {} must be within 0.01..=10", config.hop_seconds)));
        }
        if !(config.smoothing > 0.0 && config.smoothing <= 1.0) {
            return Err(Error::InvalidInput(format!("smoothing {} must be within (0, 1]", config.smoothing)));
        }
        let meta = model.metadata().clone();
        let uncertain_threshold = config.uncertain_threshold.unwrap_or(meta.uncertain_threshold);
        if !(0.0..=1.0).contains(&uncertain_threshold) {
            return Err(Error::InvalidInput(format!("uncertain_threshold {uncertain_threshold} must be within 0..=1")));
        }
        let rate = meta.sample_rate();
        let mut mfcc = StreamingMfcc::new(&meta.features)?;
        let silence_frame = mfcc.silence_frame();
        let hop_samples = ((config.hop_seconds * rate as f64).round() as usize).max(1);
        let mut stream = Self {
            resampler: StreamResampler::new(input_rate, rate)?,
            n_mfcc: meta.features.n_mfcc,
            frames: VecDeque::with_capacity(meta.window_frames * meta.features.n_mfcc),
            block_levels: VecDeque::new(),
            block: Vec::with_capacity(meta.features.hop_length),
            window: vec![0.0; meta.window_frames * meta.features.n_mfcc],
            resampled: Vec::new(),
            hop_samples,
            samples_to_next_hop: hop_samples,
            total_samples: 0,
            smoothed: None,
            silence_frame,
            failed: None,
            mfcc,
            uncertain_threshold,
            config,
            model,
        };
        stream.reset();
        Ok(stream)
    }

    pub fn model(&self) -> &EmotionModel {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut EmotionModel {
        &mut self.model
    }

    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    pub fn input_rate(&self) -> u32 {
        self.resampler.input_rate()
    }

    /// Forgets all audio: the window starts again as silence.
    pub fn reset(&mut self) {
        let window_frames = self.model.metadata().window_frames;
        self.resampler.reset();
        self.mfcc.reset();
        self.frames.clear();
        for _ in 0..window_frames {
            self.frames.extend(self.silence_frame.iter().copied());
        }
        self.block_levels.clear();
        self.block_levels.extend(std::iter::repeat_n(rms_db(&[]), window_frames));
        self.block.clear();
        self.samples_to_next_hop = self.hop_samples;
        self.total_samples = 0;
        self.smoothed = None;
        self.failed = None;
    }

    /// Feeds samples at the input rate; returns the predictions of every hop that completed.
    /// Invalid samples (NaN/Inf) are rejected before anything is consumed, so the stream
    /// stays usable.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<Prediction>> {
        if let Some(reason) = &self.failed {
            return Err(Error::Model(format!("the stream stopped after an earlier error ({reason}); call reset()")));
        }
        check_samples(samples)?;
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.process(samples, &mut resampled)?;
        let mut predictions = Vec::new();
        let mut rest = &resampled[..];
        while !rest.is_empty() {
            let take = rest.len().min(self.samples_to_next_hop);
            self.consume(&rest[..take]);
            rest = &rest[take..];
            self.samples_to_next_hop -= take;
            if self.samples_to_next_hop == 0 {
                self.samples_to_next_hop = self.hop_samples;
                match self.predict() {
                    Ok(p) => predictions.push(p),
                    Err(e) => {
                        self.failed = Some(e.to_string());
                        self.resampled = resampled;
                        return Err(e);
                    }
                }
            }
        }
        self.resampled = resampled;
        Ok(predictions)
    }

    /// Model-rate samples: MFCC frames and block levels, keeping only the last window.
    fn consume(&mut self, samples: &[f32]) {
        let meta = self.model.metadata();
        let (window_frames, hop_length) = (meta.window_frames, meta.features.hop_length);
        let window_len = window_frames * self.n_mfcc;
        let frames = &mut self.frames;
        self.mfcc.push(samples, |frame| {
            frames.extend(frame.iter().copied());
        });
        if frames.len() > window_len {
            let excess = frames.len() - window_len;
            frames.drain(..excess);
        }
        for &s in samples {
            self.block.push(s);
            if self.block.len() == hop_length {
                self.block_levels.push_back(rms_db(&self.block));
                self.block.clear();
            }
        }
        while self.block_levels.len() > window_frames {
            self.block_levels.pop_front();
        }
        self.total_samples += samples.len() as u64;
    }

    fn predict(&mut self) -> Result<Prediction> {
        let meta = self.model.metadata();
        let rate = meta.sample_rate() as f64;
        let hop_length = meta.features.hop_length;
        let newest_blocks = (self.hop_samples / hop_length).max(1);
        let level_db = {
            let n = self.block_levels.len();
            let newest = self.block_levels.iter().skip(n.saturating_sub(newest_blocks));
            let mean_power = newest.clone().map(|db| 10f64.powf(*db as f64 / 10.0)).sum::<f64>()
                / newest.count().max(1) as f64;
            (10.0 * mean_power.max(1e-12).log10()) as f32
        };
        let time_s = self.total_samples as f64 / rate;
        let has_speech = self.config.gate.has_speech(&self.block_levels);
        for (dst, src) in self.window.iter_mut().zip(self.frames.iter()) {
            *dst = *src;
        }
        let raw = self.model.predict(&self.window)?;
        let labels = self.model.labels();

        if !has_speech {
            let probabilities = self.smoothed.take().unwrap_or_else(|| raw.clone());
            let confidence = probabilities.iter().copied().fold(0.0, f32::max);
            return Ok(Prediction {
                time_s,
                state: StreamState::NoSpeech,
                label: None,
                confidence,
                probabilities,
                raw_probabilities: raw,
                level_db,
            });
        }
        let alpha = self.config.smoothing;
        let smoothed = match self.smoothed.take() {
            Some(prev) => prev.iter().zip(&raw).map(|(p, r)| (1.0 - alpha) * p + alpha * r).collect(),
            None => raw.clone(),
        };
        let (top, confidence) = argmax(&smoothed);
        let state = if confidence < self.uncertain_threshold { StreamState::Uncertain } else { StreamState::Emotion };
        let prediction = Prediction {
            time_s,
            state,
            label: Some(labels[top].clone()),
            confidence,
            probabilities: smoothed.clone(),
            raw_probabilities: raw,
            level_db,
        };
        self.smoothed = Some(smoothed);
        Ok(prediction)
    }
}

/// Index and value of the largest element (first on ties).
pub fn argmax(values: &[f32]) -> (usize, f32) {
    values.iter().copied().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, v)| if v > best.1 { (i, v) } else { best })
}
