use crate::{Error, Result};

/// Decoded PCM: interleaved samples in [-1, 1] with their layout.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    pub sample_rate: u32,
    pub channels: usize,
    pub samples: Vec<f32>,
}

impl DecodedAudio {
    /// The mean of all channels.
    pub fn to_mono(&self) -> Result<Vec<f32>> {
        downmix(&self.samples, self.channels)
    }

    pub fn duration_s(&self) -> f64 {
        if self.channels == 0 || self.sample_rate == 0 {
            return 0.0;
        }
        (self.samples.len() / self.channels) as f64 / self.sample_rate as f64
    }
}

/// Averages interleaved channels into one. Averaging (not summing) keeps full-scale input
/// at full scale, so levels in dBFS mean the same for mono and multichannel sources.
pub fn downmix(interleaved: &[f32], channels: usize) -> Result<Vec<f32>> {
    if channels == 0 {
        return Err(Error::InvalidChannels("zero channels".into()));
    }
    if interleaved.len() % channels != 0 {
        return Err(Error::InvalidChannels(format!(
            "{} samples do not divide into {channels} channels",
            interleaved.len()
        )));
    }
    if channels == 1 {
        return Ok(interleaved.to_vec());
    }
    let scale = 1.0 / channels as f32;
    Ok(interleaved.chunks_exact(channels).map(|frame| frame.iter().sum::<f32>() * scale).collect())
}

/// Float audio is nominally within ±1. Clipping and hot signals far beyond that still
/// classify; past this bound the input is not float PCM (often unscaled 16-bit integers),
/// and near f32's range the spectrum overflows, so it is refused instead of mis-read.
pub const MAX_SAMPLE_MAGNITUDE: f32 = 1000.0;

/// Fails on the first NaN, infinite or out-of-range sample: such input means a broken
/// source, and one NaN would silently poison every later MFCC frame.
pub fn check_samples(samples: &[f32]) -> Result<()> {
    match samples.iter().position(|s| !(s.abs() <= MAX_SAMPLE_MAGNITUDE)) {
        Some(index) if !samples[index].is_finite() => Err(Error::NonFiniteSample { index, value: samples[index] }),
        Some(index) => Err(Error::SampleOutOfRange { index, value: samples[index] }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmix_averages_channels() {
        assert_eq!(downmix(&[1.0, 0.0, 0.5, -0.5], 2).unwrap(), [0.5, 0.0]);
        assert_eq!(downmix(&[0.25, 0.5], 1).unwrap(), [0.25, 0.5]);
        let eight: Vec<f32> = (0..16).map(|i| if i < 8 { 1.0 } else { -1.0 }).collect();
        assert_eq!(downmix(&eight, 8).unwrap(), [1.0, -1.0]);
        assert!(downmix(&[], 3).unwrap().is_empty());
    }

    #[test]
    fn bad_layouts_and_samples_are_errors() {
        assert!(matches!(downmix(&[1.0], 0), Err(Error::InvalidChannels(_))));
        assert!(matches!(downmix(&[1.0, 2.0, 3.0], 2), Err(Error::InvalidChannels(_))));
        assert!(check_samples(&[0.0, 1.0, -1.0, 1.5, -MAX_SAMPLE_MAGNITUDE]).is_ok());
        assert!(matches!(check_samples(&[0.0, f32::NAN]), Err(Error::NonFiniteSample { index: 1, .. })));
        assert!(matches!(check_samples(&[f32::INFINITY]), Err(Error::NonFiniteSample { index: 0, .. })));
        assert!(matches!(check_samples(&[0.0, 0.0, 32767.0]), Err(Error::SampleOutOfRange { index: 2, .. })));
    }
}
