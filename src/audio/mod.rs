//! Audio in: decode files, downmix to mono, validate samples, resample to the model rate.
//!
//! DSP here knows nothing about where samples come from: the CLI decodes files, the browser
//! hands over Float32Arrays from an AudioWorklet.

#[cfg(feature = "decode")]
mod decode;
#[cfg(feature = "decode")]
mod wav;
mod downmix;
mod resample;
mod warning;

#[cfg(feature = "decode")]
pub use decode::{AUDIO_EXTENSIONS, SUPPORTED, decode_bytes, decode_bytes_with_warnings, decode_file, decode_file_with_warnings, DecodeStream, Decoded, PcmChunk};
pub use downmix::{check_samples, downmix, DecodedAudio, MAX_SAMPLE_MAGNITUDE};
pub use resample::{resample, StreamResampler};
pub use warning::DecodeWarning;

use crate::{Error, Result};

pub const MIN_SAMPLE_RATE: u32 = 8_000;
pub const MAX_SAMPLE_RATE: u32 = 192_000;

/// Accepts a whole number of Hz within 8–192 kHz (rates come from JS as `f64`).
pub fn validate_sample_rate(rate: f64) -> Result<u32> {
    let in_range = rate.is_finite() && (MIN_SAMPLE_RATE as f64..=MAX_SAMPLE_RATE as f64).contains(&rate);
    if in_range && rate.fract() == 0.0 { Ok(rate as u32) } else { Err(Error::InvalidSampleRate(rate)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_rates_must_be_whole_and_in_range() {
        for ok in [8_000.0, 11_025.0, 16_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            assert_eq!(validate_sample_rate(ok).unwrap(), ok as u32);
        }
        for bad in [0.0, -16_000.0, 7_999.0, 192_001.0, 44_100.5, f64::NAN, f64::INFINITY, 1e300] {
            assert!(matches!(validate_sample_rate(bad), Err(Error::InvalidSampleRate(_))), "{bad}");
        }
    }
}
