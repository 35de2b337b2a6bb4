use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Every MFCC parameter, spelled out. Lives in the model metadata so that training and
/// inference read the same values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureParams {
    pub kind: String,
    pub sample_rate: u32,
    pub n_fft: usize,
    pub win_length: usize,
    pub hop_length: usize,
    pub window: String,
    pub center: bool,
    pub pad_mode: String,
    pub power: f32,
    pub n_mels: usize,
    pub fmin: f32,
    pub fmax: f32,
    pub mel_scale: String,
    pub mel_norm: String,
    pub db_ref: f32,
    pub db_amin: f32,
    pub top_db: Option<f32>,
    pub n_mfcc: usize,
    pub dct_type: u32,
    pub dct_norm: String,
    pub lifter: u32,
}

impl FeatureParams {
    /// Rejects parameter sets this implementation does not compute exactly as librosa does,
    /// rather than silently computing something else.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Metadata(format!("features: {msg}")));
        let expect = |name: &str, got: &str, want: &str| {
            if got == want { Ok(()) } else { bad(format!("{name} must be \"{want}\", got \"{got}\"")) }
        };
        if !super::FEATURE_KINDS.contains(&self.kind.as_str()) {
            let kinds: Vec<String> = super::FEATURE_KINDS.iter().map(|k| format!("\"{k}\"")).collect();
            return bad(format!("kind must be {}, got \"{}\"", kinds.join(" or "), self.kind));
        }
        expect("window", &self.window, "hann")?;
        expect("pad_mode", &self.pad_mode, "constant")?;
        expect("mel_scale", &self.mel_scale, "slaney")?;
        expect("mel_norm", &self.mel_norm, "slaney")?;
        expect("dct_norm", &self.dct_norm, "ortho")?;
        if !(8_000..=192_000).contains(&self.sample_rate) {
            return bad(format!("sample_rate {} is outside 8000..=192000", self.sample_rate));
        }
        if self.n_fft < 16 || self.n_fft > 16_384 || !self.n_fft.is_multiple_of(2) {
            return bad(format!("n_fft {} must be even and within 16..=16384", self.n_fft));
        }
        if self.win_length == 0 || self.win_length > self.n_fft {
            return bad(format!("win_length {} must be within 1..=n_fft", self.win_length));
        }
        if self.hop_length == 0 || self.hop_length > self.n_fft {
            return bad(format!("hop_length {} must be within 1..=n_fft", self.hop_length));
        }
        if !self.center {
            return bad("center must be true (frames are centred on hop multiples)".into());
        }
        if self.power != 2.0 {
            return bad(format!("power must be 2.0 (power spectrum), got {}", self.power));
        }
        if self.n_mels == 0 || self.n_mels > 512 {
            return bad(format!("n_mels {} must be within 1..=512", self.n_mels));
        }
        let nyquist = self.sample_rate as f32 / 2.0;
        if !(self.fmin >= 0.0 && self.fmin < self.fmax && self.fmax <= nyquist) {
            return bad(format!("need 0 <= fmin < fmax <= {nyquist}, got {}..{}", self.fmin, self.fmax));
        }
        if !(self.db_ref.is_finite() && self.db_ref > 0.0 && self.db_amin.is_finite() && self.db_amin > 0.0) {
            return bad("db_ref and db_amin must be positive".into());
        }
        if self.top_db.is_some() {
            return bad("top_db must be null: a per-clip floor makes streaming and clips disagree".into());
        }
        if self.n_mfcc == 0 || self.n_mfcc > self.n_mels {
            return bad(format!("n_mfcc {} must be within 1..=n_mels", self.n_mfcc));
        }
        if self.dct_type != 2 {
            return bad(format!("dct_type must be 2, got {}", self.dct_type));
        }
        if self.lifter != 0 {
            return bad(format!("lifter must be 0, got {}", self.lifter));
        }
        Ok(())
    }

    /// Number of frames librosa produces for `n_samples` with `center=True`.
    pub fn frames_for(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop_length
    }

    /// Seconds between frames.
    pub fn hop_seconds(&self) -> f64 {
        self.hop_length as f64 / self.sample_rate as f64
    }
}
