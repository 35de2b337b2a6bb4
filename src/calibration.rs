//! Speaker calibration: a short sample of someone's ordinary speech becomes the baseline
//! their later speech is heard against (CONTRACT §2). In memory only; nothing is stored.

use crate::audio::{check_samples, resample, validate_sample_rate};
use crate::features::{MfccExtractor, SpeakerNormalizer, SpeakerProfile};
use crate::model::ModelMetadata;
use crate::{Error, Result};

/// Seconds of active speech a calibration sample must hold at least.
pub const MIN_CALIBRATION_SECONDS: f64 = 3.0;

/// The speaker profile of a calibration sample (mono, `sample_rate` Hz).
pub fn speaker_profile(meta: &ModelMetadata, samples: &[f32], sample_rate: f64) -> Result<SpeakerProfile> {
    let input_rate = validate_sample_rate(sample_rate)?;
    if samples.is_empty() {
        return Err(Error::EmptyAudio);
    }
    check_samples(samples)?;
    let audio = resample(samples, input_rate, meta.sample_rate())?;
    let mfcc = MfccExtractor::new(&meta.features)?.compute(&audio);
    let normalizer = SpeakerNormalizer::new(&meta.normalization, meta.features.n_mels, meta.features.hop_seconds());
    let profile = normalizer.profile_from_frames(&mfcc);
    if profile.active_seconds < MIN_CALIBRATION_SECONDS {
        return Err(Error::InvalidInput(format!(
            "a calibration sample needs at least {MIN_CALIBRATION_SECONDS} s of speech, this one has {:.1} s: \
             read a sentence or two in your ordinary voice",
            profile.active_seconds
        )));
    }
    Ok(profile)
}
