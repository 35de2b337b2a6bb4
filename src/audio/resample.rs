//! Streaming sample-rate conversion to the model rate with rubato's FFT resampler.
//!
//! Input arrives in chunks of any length (AudioWorklet quanta, file blocks); it is buffered
//! into the fixed chunks rubato wants, so the output depends only on the audio, not on how it
//! was split. The resampler's start-up delay is trimmed, so output sample `k` lines up with
//! input time `k / output_rate`.

use rubato::audioadapter_buffers::direct::SequentialSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

use super::validate_sample_rate;
use crate::{Error, Result};

/// The smaller side of each FFT block, in samples. rubato's anti-aliasing cutoff is set by
/// it (`1 / (1 + 13.7/n + 121.7/n² + 5964/n³)` of the lower Nyquist for its Blackman-Harris²
/// window): 512 puts it at 0.973, 7.79 kHz for a 16 kHz model, at *every* input rate.
///
/// rubato's `Fft::new` instead aims at ~256 *input* frames per block, which made the cutoff
/// depend on the input rate: 7.3 kHz from 44.1 kHz, 7.0 from 48, 5.6 from 96 and 3.3 kHz
/// from 192 kHz. The top mel bands of the same speech then differed with the device, and a
/// low-confidence clip changed its label with the rate (issue 17).
const MIN_FFT_BLOCK: usize = 512;

/// Input frames per FFT block: whole multiples of the rates' smallest common block, with
/// both sides at least `MIN_FFT_BLOCK` (at 48 → 16 kHz: 1536 in, 512 out, 32 ms).
fn fft_block_in(input_rate: u32, output_rate: u32) -> usize {
    let gcd = gcd(input_rate as usize, output_rate as usize);
    let (min_in, min_out) = (input_rate as usize / gcd, output_rate as usize / gcd);
    let blocks = MIN_FFT_BLOCK.div_ceil(min_in).max(MIN_FFT_BLOCK.div_ceil(min_out));
    blocks * min_in
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Converts a mono stream from `input_rate` to `output_rate`.
pub struct StreamResampler {
    input_rate: u32,
    output_rate: u32,
    /// `None` when the rates are equal: samples pass through untouched.
    inner: Option<Box<Fft<f32>>>,
    pending: Vec<f32>,
    chunk_out: Vec<f32>,
    delay_left: usize,
    total_in: u64,
    total_out: u64,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler").field("input_rate", &self.input_rate).field("output_rate", &self.output_rate).finish()
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Resampler(e.to_string())
}

impl StreamResampler {
    pub fn new(input_rate: u32, output_rate: u32) -> Result<Self> {
        validate_sample_rate(input_rate as f64)?;
        validate_sample_rate(output_rate as f64)?;
        let inner = if input_rate == output_rate {
            None
        } else {
            let chunk = fft_block_in(input_rate, output_rate);
            let fft = Fft::<f32>::new_custom(
                input_rate as usize,
                output_rate as usize,
                chunk,
                1,
                1,
                WindowFunction::BlackmanHarris2,
                FixedSync::Input,
            )
            .map_err(internal)?;
            Some(Box::new(fft))
        };
        let chunk_out = vec![0.0; inner.as_ref().map_or(0, |r| r.output_frames_max())];
        let mut resampler = Self {
            input_rate,
            output_rate,
            inner,
            pending: Vec::new(),
            chunk_out,
            delay_left: 0,
            total_in: 0,
            total_out: 0,
        };
        resampler.reset();
        Ok(resampler)
    }

    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    pub fn output_rate(&self) -> u32 {
        self.output_rate
    }

    /// Back to the state of a new resampler.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.total_in = 0;
        self.total_out = 0;
        self.delay_left = 0;
        if let Some(inner) = self.inner.as_mut() {
            inner.reset();
            self.delay_left = inner.output_delay();
        }
    }

    /// Appends the resampled form of `input` to `output` (as far as the filter allows yet).
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) -> Result<()> {
        self.total_in += input.len() as u64;
        if self.inner.is_none() {
            output.extend_from_slice(input);
            self.total_out += input.len() as u64;
            return Ok(());
        }
        self.pending.extend_from_slice(input);
        let mut consumed = 0;
        loop {
            let need = self.inner.as_ref().map_or(usize::MAX, |r| r.input_frames_next());
            if self.pending.len() - consumed < need {
                break;
            }
            let chunk = std::mem::take(&mut self.pending);
            let result = self.run_chunk(&chunk[consumed..consumed + need], None, output, u64::MAX);
            self.pending = chunk;
            result?;
            consumed += need;
        }
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Ends the stream: emits the tail so that the total output is
    /// `round(total_input · output_rate / input_rate)` samples, then resets.
    pub fn flush(&mut self, output: &mut Vec<f32>) -> Result<()> {
        let expected = (self.total_in as f64 * self.output_rate as f64 / self.input_rate as f64).round() as u64;
        if self.inner.is_some() {
            let tail = std::mem::take(&mut self.pending);
            let mut partial = tail.len();
            let mut guard = 0;
            while self.total_out < expected {
                self.run_chunk(&tail[..partial], Some(partial), output, expected)?;
                partial = 0; // later rounds feed only silence
                guard += 1;
                if guard > 1_000 {
                    return Err(internal("flush did not converge"));
                }
            }
        }
        self.reset();
        Ok(())
    }

    /// Resamples one chunk; `partial` marks a short final chunk (rubato pads it with silence).
    fn run_chunk(&mut self, chunk: &[f32], partial: Option<usize>, output: &mut Vec<f32>, limit: u64) -> Result<()> {
        let Some(inner) = self.inner.as_mut() else { return Ok(()) };
        let frames_in = chunk.len().max(1);
        let zero = [0.0f32];
        let source = if chunk.is_empty() { &zero[..] } else { chunk };
        // Mono, so sequential and interleaved layouts are the same; the sequential adapter
        // copies whole slices where the interleaved one copied sample by sample.
        let input = SequentialSlice::new(source, 1, frames_in).map_err(internal)?;
        let frames_out = self.chunk_out.len();
        let mut out = SequentialSlice::new_mut(&mut self.chunk_out, 1, frames_out).map_err(internal)?;
        let indexing = Indexing { input_offset: 0, output_offset: 0, partial_len: partial, active_channels_mask: None };
        let (_, produced) = inner.process_into_buffer(&input, &mut out, Some(&indexing)).map_err(internal)?;
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        let room = (limit - self.total_out).min((produced - skip) as u64) as usize;
        output.extend_from_slice(&self.chunk_out[skip..skip + room]);
        self.total_out += room as u64;
        Ok(())
    }
}

/// Resamples a whole clip. Equal rates return an exact copy.
pub fn resample(input: &[f32], input_rate: u32, output_rate: u32) -> Result<Vec<f32>> {
    let mut resampler = StreamResampler::new(input_rate, output_rate)?;
    let expected = (input.len() as f64 * output_rate as f64 / input_rate as f64).round() as usize;
    let mut output = Vec::with_capacity(expected + 1);
    resampler.process(input, &mut output)?;
    resampler.flush(&mut output)?;
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
        let n = (rate as f64 * seconds) as usize;
        (0..n).map(|i| (0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin()) as f32).collect()
    }

    /// Amplitude and phase (radians) of the component at `freq`, by a least-squares fit.
    fn tone_fit(signal: &[f32], offset: usize, freq: f64, rate: u32) -> (f64, f64) {
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &x) in signal.iter().enumerate() {
            let phase = 2.0 * std::f64::consts::PI * freq * (i + offset) as f64 / rate as f64;
            s += x as f64 * phase.sin();
            c += x as f64 * phase.cos();
        }
        (2.0 * (s * s + c * c).sqrt() / signal.len() as f64, c.atan2(s))
    }

    #[test]
    fn length_is_preserved_within_one_sample() {
        for (rate_in, n) in [(44_100u32, 44_100usize), (48_000, 12_345), (8_000, 777), (11_025, 1), (192_000, 5_000)] {
            let out = resample(&vec![0.1; n], rate_in, 16_000).unwrap();
            let want = (n as f64 * 16_000.0 / rate_in as f64).round() as usize;
            assert!(out.len().abs_diff(want) <= 1, "{rate_in}: {} vs {want}", out.len());
        }
    }

    #[test]
    fn a_tone_keeps_its_amplitude_and_timing() {
        for rate_in in [8_000u32, 11_025, 22_050, 44_100, 48_000, 96_000, 192_000] {
            let out = resample(&sine(1_000.0, rate_in, 1.0), rate_in, 16_000).unwrap();
            let core = &out[1_000..out.len() - 1_000];
            let (amp, phase) = tone_fit(core, 1_000, 1_000.0, 16_000);
            assert!((20.0 * (amp / 0.5).log10()).abs() < 1.0, "{rate_in} Hz: amplitude {amp}");
            // rubato's FFT resampler keeps a sub-sample offset (half an input sample); the
            // start-up delay itself must be trimmed, so the tone is within one output sample.
            let offset_samples = phase / (2.0 * std::f64::consts::PI) * 16.0;
            assert!(offset_samples.abs() < 1.0, "{rate_in} Hz: offset {offset_samples:.2} samples");
        }
    }

    #[test]
    fn the_anti_aliasing_cutoff_does_not_depend_on_the_input_rate() {
        for rate_in in [22_050u32, 32_000, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000] {
            let r = StreamResampler::new(rate_in, 16_000).unwrap();
            let hz = r.inner.as_ref().unwrap().cutoff() as f64 * rate_in as f64 / 2.0;
            assert!((7_700.0..8_000.0).contains(&hz), "{rate_in} Hz: cutoff {hz:.0} Hz");
        }
        // Upsampling keeps the input's band too.
        for rate_in in [8_000u32, 11_025] {
            let r = StreamResampler::new(rate_in, 16_000).unwrap();
            let relative = r.inner.as_ref().unwrap().cutoff() as f64;
            assert!(relative > 0.95, "{rate_in} Hz: cutoff {relative:.3} of its Nyquist");
        }
    }

    #[test]
    fn speech_band_tones_pass_alike_from_every_rate() {
        // 192 kHz cut at 3.3 kHz before the block size was fixed (a 6 kHz tone lost > 40 dB).
        for freq in [3_000.0, 6_000.0, 7_000.0] {
            for rate_in in [44_100u32, 48_000, 96_000, 192_000] {
                let out = resample(&sine(freq, rate_in, 0.5), rate_in, 16_000).unwrap();
                let core = &out[1_000..out.len() - 1_000];
                let (amp, _) = tone_fit(core, 1_000, freq, 16_000);
                let db = 20.0 * (amp / 0.5).log10();
                assert!(db.abs() < 0.5, "{freq} Hz from {rate_in} Hz: {db:.2} dB");
            }
        }
    }

    #[test]
    fn content_above_the_new_nyquist_is_removed() {
        let out = resample(&sine(12_000.0, 48_000, 1.0), 48_000, 16_000).unwrap();
        let rms = (out.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / out.len() as f64).sqrt();
        let db = 20.0 * (rms / (0.5 / 2f64.sqrt())).log10();
        assert!(db < -40.0, "a 12 kHz tone leaks through at {db:.1} dB");
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let signal = sine(440.0, 44_100, 0.7);
        let whole = resample(&signal, 44_100, 16_000).unwrap();
        for chunk in [1usize, 7, 128, 441, 1000, 30_000] {
            let mut r = StreamResampler::new(44_100, 16_000).unwrap();
            let mut out = Vec::new();
            for piece in signal.chunks(chunk) {
                r.process(piece, &mut out).unwrap();
            }
            r.process(&[], &mut out).unwrap();
            r.flush(&mut out).unwrap();
            assert_eq!(out, whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn equal_rates_pass_through_exactly() {
        let signal = sine(300.0, 16_000, 0.1);
        assert_eq!(resample(&signal, 16_000, 16_000).unwrap(), signal);
    }

    #[test]
    fn unsupported_rates_are_rejected() {
        for rate in [0u32, 7_999, 192_001, 300_000] {
            assert!(StreamResampler::new(rate, 16_000).is_err());
        }
    }
}
