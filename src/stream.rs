//! Live classification of a stream of samples: rolling window, hop, the model's speech
//! output, smoothing and an "uncertain" state.
//!
//! Push chunks of any size at any supported input rate. The stream resamples to the model
//! rate, computes and normalises only the MFCC frames that the new samples complete, and
//! every `hop` classifies the last `window_frames` frames. When the model can be split
//! ([`crate::incremental`], the shipped models can) only the frames new since the last hop
//! go through its per-frame layers, and pooling plus head run on the window's kept
//! activations; the result equals the whole window through the model within float noise
//! (`tests/incremental.rs`). Results depend only on the audio, not on how it was split
//! into chunks.

use serde::Serialize;

use crate::audio::{check_samples, StreamResampler};
use crate::calibration::speaker_profile;
use crate::decision::{Decider, State};
use crate::features::{SpeakerNormalizer, SpeakerProfile, StreamingMfcc};
use crate::frame_window::FrameWindow;
use crate::incremental::RingState;
use crate::model::EmotionModel;
use crate::{Error, Result};

pub use crate::decision::State as StreamState;

/// Tunables of the live view. The defaults suit a 3 s model window.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    /// Seconds between predictions.
    pub hop_seconds: f64,
    /// Weight of the newest window in the exponential moving average of probabilities (0–1].
    pub smoothing: f32,
    /// Top smoothed probability below which the state is `Uncertain`; `None` takes the
    /// model metadata's threshold.
    pub uncertain_threshold: Option<f32>,
    /// Compute only the new frames each hop when the model allows it
    /// ([`crate::StreamingMode::Incremental`]); `false` runs the whole window through the
    /// model every hop (for comparison).
    pub incremental: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self { hop_seconds: 0.25, smoothing: 0.4, uncertain_threshold: None, incremental: true }
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
    /// The model's probability that this window holds speech.
    pub speech_probability: f32,
    /// RMS level of the newest hop, dBFS.
    pub level_db: f32,
    /// Whether a calibration sample of this speaker is in use.
    pub calibrated: bool,
}

/// A live classifier. Owns the model; [`EmotionStream::model_mut`] lends it out for
/// whole-clip classification without disturbing the stream.
pub struct EmotionStream {
    model: EmotionModel,
    config: StreamConfig,
    decider: Decider,
    resampler: StreamResampler,
    mfcc: StreamingMfcc,
    normalizer: SpeakerNormalizer,
    n_mfcc: usize,
    /// The newest `window_frames` normalised MFCC frames.
    frames: FrameWindow,
    /// Model-rate samples of the current hop, for the level meter.
    hop_power: f64,
    hop_count: usize,
    resampled: Vec<f32>,
    normalized: Vec<f32>,
    hop_samples: usize,
    samples_to_next_hop: usize,
    total_samples: u64,
    /// Input-rate samples accepted since the start (for the index of a bad sample).
    input_samples: u64,
    smoothed: Option<Vec<f32>>,
    silence_frame: Vec<f32>,
    failed: Option<String>,
    /// The model's per-frame activations over the window, when it runs incrementally.
    ring: Option<RingState>,
    /// Frames normalised since the ring was last brought up to date.
    new_frames: usize,
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
        let mut decider = Decider::from_metadata(&meta);
        decider.uncertain_threshold = config.uncertain_threshold.unwrap_or(meta.uncertain_threshold);
        if !(0.0..=1.0).contains(&decider.uncertain_threshold) {
            return Err(Error::InvalidInput(format!(
                "uncertain_threshold {} must be within 0..=1",
                decider.uncertain_threshold
            )));
        }
        let rate = meta.sample_rate();
        let mut mfcc = StreamingMfcc::new(&meta.features)?;
        let silence_frame = mfcc.silence_frame();
        let hop_samples = ((config.hop_seconds * rate as f64).round() as usize).max(1);
        let normalizer = SpeakerNormalizer::new(&meta.normalization, meta.features.n_mels, meta.features.hop_seconds());
        let mut stream = Self {
            resampler: StreamResampler::new(input_rate, rate)?,
            n_mfcc: meta.features.n_mfcc,
            frames: FrameWindow::new(meta.window_frames * meta.features.n_mfcc),
            hop_power: 0.0,
            hop_count: 0,
            resampled: Vec::new(),
            normalized: vec![0.0; meta.features.n_mfcc],
            normalizer,
            decider,
            hop_samples,
            samples_to_next_hop: hop_samples,
            total_samples: 0,
            input_samples: 0,
            smoothed: None,
            silence_frame,
            failed: None,
            ring: if config.incremental { model.new_ring() } else { None },
            new_frames: 0,
            mfcc,
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

    /// Whether each hop computes only the new frames (see [`crate::incremental`]); the
    /// model's [`EmotionModel::streaming_mode`] says why not when it cannot.
    pub fn incremental(&self) -> bool {
        self.ring.is_some()
    }

    /// Forgets all audio: the window starts again as silence. A calibration stays.
    pub fn reset(&mut self) {
        let window_frames = self.model.metadata().window_frames;
        self.resampler.reset();
        self.mfcc.reset();
        self.normalizer.reset();
        // Silence is never active, so normalising it leaves the baseline as it is.
        let mut silence = vec![0.0; self.n_mfcc];
        self.normalizer.clone().normalize_frame(&self.silence_frame, &mut silence);
        self.frames.clear();
        for _ in 0..window_frames {
            self.frames.push(&silence);
        }
        self.hop_power = 0.0;
        self.hop_count = 0;
        self.samples_to_next_hop = self.hop_samples;
        self.total_samples = 0;
        self.input_samples = 0;
        self.smoothed = None;
        self.failed = None;
        self.new_frames = usize::MAX; // every activation in the ring is stale
    }

    /// Calibrates the stream to a speaker from a sample of their ordinary, calm speech
    /// (10–20 s is plenty) at `sample_rate` Hz, and starts again. Kept in memory only.
    pub fn calibrate(&mut self, samples: &[f32], sample_rate: f64) -> Result<SpeakerProfile> {
        let profile = speaker_profile(&mut self.model, samples, sample_rate)?;
        self.set_calibration(Some(profile.clone()))?;
        Ok(profile)
    }

    /// Uses a speaker profile (from [`EmotionStream::calibrate`] or an export), or with
    /// `None` forgets it ("new speaker"); starts again either way.
    pub fn set_calibration(&mut self, profile: Option<SpeakerProfile>) -> Result<()> {
        self.normalizer.set_profile(profile)?;
        self.reset();
        Ok(())
    }

    pub fn calibration(&self) -> Option<&SpeakerProfile> {
        self.normalizer.profile()
    }

    /// Feeds samples at the input rate; returns the predictions of every hop that completed.
    /// Invalid samples (NaN/Inf) are rejected before anything is consumed, so the stream
    /// stays usable; the error's index counts from the start of the stream (or the last
    /// reset), not of this chunk.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<Prediction>> {
        if let Some(reason) = &self.failed {
            return Err(Error::Model(format!("the stream stopped after an earlier error ({reason}); call reset()")));
        }
        check_samples(samples).map_err(|e| e.shifted(self.input_samples))?;
        self.input_samples += samples.len() as u64;
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

    /// Model-rate samples: normalised MFCC frames, keeping only the last window, and the
    /// hop's level.
    fn consume(&mut self, samples: &[f32]) {
        let (frames, normalizer, normalized) = (&mut self.frames, &mut self.normalizer, &mut self.normalized);
        let new_frames = &mut self.new_frames;
        self.mfcc.push(samples, |frame| {
            normalizer.normalize_frame(frame, normalized);
            frames.push(normalized);
            *new_frames = new_frames.saturating_add(1);
        });
        self.hop_power += samples.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>();
        self.hop_count += samples.len();
        self.total_samples += samples.len() as u64;
    }

    fn predict(&mut self) -> Result<Prediction> {
        let rate = self.model.metadata().sample_rate() as f64;
        let level_db = (10.0 * (self.hop_power / self.hop_count.max(1) as f64).max(1e-12).log10()) as f32;
        self.hop_power = 0.0;
        self.hop_count = 0;
        let time_s = self.total_samples as f64 / rate;
        let window = self.frames.contiguous();
        let out = match self.ring.as_mut() {
            Some(ring) => {
                let new_frames = std::mem::take(&mut self.new_frames);
                self.model.predict_incremental(ring, window, new_frames)?
            }
            None => self.model.predict(window)?,
        };
        let calibrated = self.normalizer.profile().is_some();
        if !self.decider.is_speech(&out) {
            let probabilities = self.smoothed.take().unwrap_or_else(|| out.probabilities.clone());
            let confidence = probabilities.iter().copied().fold(0.0, f32::max);
            return Ok(Prediction {
                time_s,
                state: State::NoSpeech,
                label: None,
                confidence,
                probabilities,
                raw_probabilities: out.probabilities,
                speech_probability: out.speech_probability,
                level_db,
                calibrated,
            });
        }
        let alpha = self.config.smoothing;
        let smoothed: Vec<f32> = match self.smoothed.take() {
            Some(prev) => prev.iter().zip(&out.probabilities).map(|(p, r)| (1.0 - alpha) * p + alpha * r).collect(),
            None => out.probabilities.clone(),
        };
        let (top, confidence, state) = self.decider.judge(&smoothed);
        let prediction = Prediction {
            time_s,
            state,
            label: Some(self.model.labels()[top].clone()),
            confidence,
            probabilities: smoothed.clone(),
            raw_probabilities: out.probabilities,
            speech_probability: out.speech_probability,
            level_db,
            calibrated,
        };
        self.smoothed = Some(smoothed);
        Ok(prediction)
    }
}
