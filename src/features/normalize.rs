//! Speaker-relative input normalisation (CONTRACT §2; the Python twin is
//! `training/normalize.py`, and the golden test `tests/normalize_parity.rs` holds them equal).
//!
//! Microphone gain and colour add the same vector to every MFCC frame, so each frame is
//! normalised against a running estimate of the speaker's own mean frame (the baseline),
//! causally: frame *t* sees only frames up to *t*. A stream and a whole clip therefore give
//! the same numbers, and a frame once normalised never changes. A calibration sample of the
//! speaker's calm speech enters as history: the same rule, started earlier.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The normalisation parameters, stored in the model metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizationSpec {
    /// Always `"speaker_relative"`.
    pub kind: String,
    /// Pseudo-count of the prior for c0 (level): small, so the level is the speaker's own.
    pub prior_frames_level: f64,
    /// Pseudo-count of the prior for the other coefficients (spectral shape adapts slowly).
    pub prior_frames_shape: f64,
    /// Frames quieter than this mean log-mel level (dB) never count: digital silence, padding.
    pub active_floor_db: f64,
    /// Frames further than this below the decaying peak level do not count (pauses, room).
    pub active_below_peak_db: f64,
    /// How fast the peak level forgets, dB per second.
    pub peak_decay_db_per_s: f64,
    /// Frames must be this far above the noise floor: the room before the first word, or a
    /// steady hum, does not become the speaker's baseline.
    pub active_above_noise_db: f64,
    /// How fast the noise floor may rise, dB per second (it falls at once).
    pub noise_rise_db_per_s: f64,
    /// The training speakers' mean active frame: the baseline before any speech.
    pub prior_mean: Vec<f32>,
    /// Divides `frame − baseline`.
    pub scale: Vec<f32>,
}

impl NormalizationSpec {
    pub fn validate(&self, n_mfcc: usize) -> Result<()> {
        let bad = |msg: String| Err(Error::Metadata(format!("normalization: {msg}")));
        if self.kind != "speaker_relative" {
            return bad(format!("kind must be \"speaker_relative\", got \"{}\"", self.kind));
        }
        if self.prior_mean.len() != n_mfcc || self.scale.len() != n_mfcc {
            return bad(format!(
                "needs {n_mfcc} prior_mean and scale values, got {} and {}",
                self.prior_mean.len(),
                self.scale.len()
            ));
        }
        if self.prior_mean.iter().any(|v| !v.is_finite()) || self.scale.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return bad("prior_mean must be finite and scale positive".into());
        }
        let finite_nonneg = [
            self.prior_frames_level,
            self.prior_frames_shape,
            self.active_below_peak_db,
            self.peak_decay_db_per_s,
            self.active_above_noise_db,
            self.noise_rise_db_per_s,
        ];
        if finite_nonneg.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || !self.active_floor_db.is_finite() {
            return bad("prior frames, peak distance and decay must be finite and non-negative".into());
        }
        if self.prior_frames_level <= 0.0 || self.prior_frames_shape <= 0.0 {
            return bad("prior frames must be positive (the first frame needs a baseline)".into());
        }
        Ok(())
    }
}

/// A speaker's baseline evidence: the sum and count of active MFCC frames. Comes from a
/// calibration sample; kept in memory only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerProfile {
    pub sum: Vec<f64>,
    pub active_frames: f64,
    /// Seconds of active (voiced) audio behind it.
    pub active_seconds: f64,
}

/// The running normaliser: one per stream or clip.
#[derive(Debug, Clone)]
pub struct SpeakerNormalizer {
    spec: NormalizationSpec,
    n_mels_sqrt: f64,
    decay_per_frame: f64,
    rise_per_frame: f64,
    hop_seconds: f64,
    prior_frames: Vec<f64>,
    profile: Option<SpeakerProfile>,
    peak: f64,
    noise: f64,
    sum: Vec<f64>,
    count: f64,
}

impl SpeakerNormalizer {
    pub fn new(spec: &NormalizationSpec, n_mels: usize, hop_seconds: f64) -> Self {
        let n = spec.prior_mean.len();
        let mut prior_frames = vec![spec.prior_frames_shape; n];
        if let Some(first) = prior_frames.first_mut() {
            *first = spec.prior_frames_level;
        }
        Self {
            n_mels_sqrt: (n_mels as f64).sqrt(),
            decay_per_frame: spec.peak_decay_db_per_s * hop_seconds,
            rise_per_frame: spec.noise_rise_db_per_s * hop_seconds,
            hop_seconds,
            prior_frames,
            profile: None,
            peak: f64::NEG_INFINITY,
            noise: f64::INFINITY,
            sum: vec![0.0; n],
            count: 0.0,
            spec: spec.clone(),
        }
    }

    /// Forgets the audio seen so far (the calibration stays).
    pub fn reset(&mut self) {
        self.peak = f64::NEG_INFINITY;
        self.noise = f64::INFINITY;
        self.sum.iter_mut().for_each(|s| *s = 0.0);
        self.count = 0.0;
    }

    /// Sets (or with `None` clears) the speaker's calibration; also forgets the audio seen.
    pub fn set_profile(&mut self, profile: Option<SpeakerProfile>) -> Result<()> {
        if let Some(p) = &profile {
            if p.sum.len() != self.sum.len() || !(p.active_frames.is_finite() && p.active_frames >= 0.0) {
                return Err(Error::InvalidInput(format!(
                    "a speaker profile needs {} sums and a non-negative frame count",
                    self.sum.len()
                )));
            }
        }
        self.profile = profile;
        self.reset();
        Ok(())
    }

    pub fn profile(&self) -> Option<&SpeakerProfile> {
        self.profile.as_ref()
    }

    /// Whether a frame (MFCC, c0 first) counts towards the baseline; updates the peak and
    /// the noise floor.
    fn is_active(&mut self, frame: &[f32]) -> bool {
        let level = frame[0] as f64 / self.n_mels_sqrt;
        self.peak = level.max(self.peak - self.decay_per_frame);
        self.noise = level.min(self.noise + self.rise_per_frame);
        level >= self.spec.active_floor_db
            && level >= self.peak - self.spec.active_below_peak_db
            && level >= self.noise + self.spec.active_above_noise_db
    }

    /// Adds an active frame to the running sum (the one rule for streams and calibration);
    /// says whether it was one.
    fn accumulate(&mut self, frame: &[f32]) -> bool {
        let active = self.is_active(frame);
        if active {
            for (s, &v) in self.sum.iter_mut().zip(frame) {
                *s += v as f64;
            }
            self.count += 1.0;
        }
        active
    }

    /// Normalises one MFCC frame into `out`, after letting it update the baseline.
    pub fn normalize_frame(&mut self, frame: &[f32], out: &mut [f32]) {
        self.normalize_frame_active(frame, out);
    }

    /// [`SpeakerNormalizer::normalize_frame`], saying whether the frame counted towards the
    /// baseline (the level rule); calibration keeps such frames of speech windows.
    pub(crate) fn normalize_frame_active(&mut self, frame: &[f32], out: &mut [f32]) -> bool {
        let active = self.accumulate(frame);
        let (h_sum, h_count) = match &self.profile {
            Some(p) => (Some(&p.sum), p.active_frames),
            None => (None, 0.0),
        };
        for k in 0..out.len() {
            let n0 = self.prior_frames[k];
            let num = n0 * self.spec.prior_mean[k] as f64 + h_sum.map_or(0.0, |h| h[k]) + self.sum[k];
            let baseline = num / (n0 + h_count + self.count);
            out[k] = ((frame[k] as f64 - baseline) / self.spec.scale[k] as f64) as f32;
        }
        active
    }

    /// A speaker profile from MFCC frames (row-major, `n_mfcc` each) of calibration audio:
    /// the same active-frame rule, from a fresh peak.
    pub fn profile_from_frames(&self, frames: &[f32]) -> SpeakerProfile {
        let mut probe = self.clone();
        probe.reset();
        for frame in frames.chunks_exact(self.sum.len()) {
            probe.accumulate(frame);
        }
        SpeakerProfile { sum: probe.sum, active_frames: probe.count, active_seconds: probe.count * self.hop_seconds }
    }
}
