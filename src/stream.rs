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

use crate::calibration::speaker_profile;
use crate::classify::Personal;
use crate::decision::{Decider, State};
use crate::features::SpeakerProfile;
use crate::front_end::FrontEnd;
use crate::incremental::RingState;
use crate::model::EmotionModel;
use crate::profile::window_stats::WindowStats;
use crate::profile::PersonalProfile;
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
        Self { hop_seconds: crate::defaults::STREAM_HOP_SECONDS, smoothing: 0.4, uncertain_threshold: None, incremental: true }
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
    /// The id of the personal profile mixed in, if any (left out of the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal: Option<String>,
}

/// A profile at work in the stream: its mixing, and the window's MFCC statistics it needs.
struct LiveProfile {
    personal: Personal,
    stats: WindowStats,
    /// Whether the stream's calibration is the profile's (and goes with it).
    owns_calibration: bool,
}

/// A live classifier. Owns the model; [`EmotionStream::model_mut`] lends it out for
/// whole-clip classification without disturbing the stream.
pub struct EmotionStream {
    model: EmotionModel,
    config: StreamConfig,
    decider: Decider,
    front: FrontEnd,
    /// Model-rate samples of the current hop, for the level meter.
    hop_power: f64,
    hop_count: usize,
    hop_samples: usize,
    samples_to_next_hop: usize,
    total_samples: u64,
    smoothed: Option<Vec<f32>>,
    failed: Option<String>,
    /// The model's per-frame activations over the window, when it runs incrementally.
    ring: Option<RingState>,
    /// Frames normalised since the ring was last brought up to date.
    new_frames: usize,
    profile: Option<LiveProfile>,
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
        let hop_samples = ((config.hop_seconds * meta.sample_rate() as f64).round() as usize).max(1);
        let mut stream = Self {
            front: FrontEnd::new(&meta, input_rate)?,
            hop_power: 0.0,
            hop_count: 0,
            decider,
            hop_samples,
            samples_to_next_hop: hop_samples,
            total_samples: 0,
            smoothed: None,
            failed: None,
            ring: if config.incremental { model.new_ring() } else { None },
            new_frames: 0,
            profile: None,
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

    /// Ends the stream and hands its model back (to classify clips, or start another
    /// stream at another rate without loading the model again).
    pub fn into_model(self) -> EmotionModel {
        self.model
    }

    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    pub fn input_rate(&self) -> u32 {
        self.front.input_rate()
    }

    /// Whether each hop computes only the new frames (see [`crate::incremental`]); the
    /// model's [`EmotionModel::streaming_mode`] says why not when it cannot.
    pub fn incremental(&self) -> bool {
        self.ring.is_some()
    }

    /// Continues with audio at another rate (another microphone, or a stream started again
    /// by an engine that keeps its model loaded): starts again, keeping the calibration.
    pub fn set_input_rate(&mut self, input_rate: f64) -> Result<()> {
        let input_rate = crate::audio::validate_sample_rate(input_rate)?;
        self.front.set_input_rate(input_rate)?;
        self.reset();
        Ok(())
    }

    /// Forgets all audio: the window starts again as silence. A calibration stays.
    pub fn reset(&mut self) {
        self.front.reset_to_silence();
        self.hop_power = 0.0;
        self.hop_count = 0;
        self.samples_to_next_hop = self.hop_samples;
        self.total_samples = 0;
        self.smoothed = None;
        self.failed = None;
        self.new_frames = usize::MAX; // every activation in the ring is stale
        if let Some(p) = self.profile.as_mut() {
            p.stats.clear();
        }
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
        self.front.set_calibration(profile)?;
        if let Some(p) = self.profile.as_mut() {
            p.owns_calibration = false; // the caller's calibration stays when the profile goes
        }
        self.reset();
        Ok(())
    }

    pub fn calibration(&self) -> Option<&SpeakerProfile> {
        self.front.calibration()
    }

    /// Mixes a person's profile into every prediction (see [`crate::profile`]), or with
    /// `None` stops doing so; starts again either way. A profile with enrolled neutral clips
    /// brings its calibration, which replaces the stream's and leaves with the profile. A
    /// profile of another model is refused and the previous one stays.
    pub fn set_profile(&mut self, profile: Option<PersonalProfile>) -> Result<()> {
        let next = match profile {
            Some(profile) => {
                profile.check_model(&self.model)?;
                let meta = self.model.metadata();
                let personal = Personal::new(&profile, meta)?;
                let stats = WindowStats::new(meta.window_frames, personal.spec.min_active_frames);
                Some(LiveProfile { owns_calibration: profile.calibration.is_some(), personal, stats })
            }
            None => None,
        };
        let previous_owned = self.profile.as_ref().is_some_and(|p| p.owns_calibration);
        match &next {
            Some(p) if p.owns_calibration => self.front.set_calibration(p.personal.profile.calibration.clone())?,
            _ if previous_owned => self.front.set_calibration(None)?,
            _ => {}
        }
        self.profile = next;
        self.reset();
        Ok(())
    }

    pub fn profile(&self) -> Option<&PersonalProfile> {
        self.profile.as_ref().map(|p| &p.personal.profile)
    }

    /// Feeds samples at the input rate; returns the predictions of every hop that completed.
    /// Invalid samples (NaN/Inf) are rejected before anything is consumed, so the stream
    /// stays usable; the error's index counts from the start of the stream (or the last
    /// reset), not of this chunk.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<Prediction>> {
        if let Some(reason) = &self.failed {
            return Err(Error::Model(format!("the stream stopped after an earlier error ({reason}); call reset()")));
        }
        let ready = self.front.accept(samples)?;
        let mut predictions = Vec::new();
        let mut at = 0;
        while at < ready {
            let take = (ready - at).min(self.samples_to_next_hop);
            self.consume(at..at + take);
            at += take;
            self.samples_to_next_hop -= take;
            if self.samples_to_next_hop == 0 {
                self.samples_to_next_hop = self.hop_samples;
                match self.predict() {
                    Ok(p) => predictions.push(p),
                    Err(e) => {
                        self.failed = Some(e.to_string());
                        return Err(e);
                    }
                }
            }
        }
        Ok(predictions)
    }

    /// Model-rate samples: normalised MFCC frames, keeping only the last window, and the
    /// hop's level.
    fn consume(&mut self, range: std::ops::Range<usize>) {
        let new_frames = &mut self.new_frames;
        let mut stats = self.profile.as_mut().map(|p| &mut p.stats);
        let fed = self.front.feed(range, |frame| {
            *new_frames = new_frames.saturating_add(1);
            if let Some(s) = stats.as_mut() {
                s.push(frame.raw, frame.active);
            }
            Ok(())
        });
        let samples = fed.unwrap_or_default(); // the callback never fails
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
        let window = self.front.window().contiguous();
        let mut out = match self.ring.as_mut() {
            Some(ring) => {
                let new_frames = std::mem::take(&mut self.new_frames);
                self.model.predict_incremental(ring, window, new_frames)?
            }
            None => self.model.predict(window)?,
        };
        let calibrated = self.front.calibration().is_some();
        let personal = match &self.profile {
            Some(p) => {
                out.probabilities = p.personal.apply(&out.probabilities, &out.embedding, &p.stats.stats())?;
                Some(p.personal.profile.id.clone())
            }
            None => None,
        };
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
                personal,
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
            personal,
        };
        self.smoothed = Some(smoothed);
        Ok(prediction)
    }
}
