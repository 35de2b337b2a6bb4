use std::sync::Arc;

use realfft::{num_complex::Complex32, RealFftPlanner, RealToComplex};

use super::{dct2_ortho_matrix, hann_window_centered, mel_filterbank, FeatureParams, MelFilterbank};
use crate::Result;

/// Computes MFCC frames. Everything that does not depend on the audio (window, filterbank,
/// DCT matrix, FFT plan, scratch buffers) is built once, so a frame costs no allocation.
pub struct MfccExtractor {
    params: FeatureParams,
    window: Vec<f32>,
    mel: MelFilterbank,
    dct: Vec<f32>,
    /// A real-input FFT: half the work of a complex one of the same length.
    fft: Arc<dyn RealToComplex<f32>>,
    windowed: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
    power: Vec<f32>,
    mel_db: Vec<f32>,
    db_offset: f32,
}

impl MfccExtractor {
    pub fn new(params: &FeatureParams) -> Result<Self> {
        params.validate()?;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(params.n_fft);
        let scratch = fft.make_scratch_vec();
        Ok(Self {
            window: hann_window_centered(params.win_length, params.n_fft),
            mel: mel_filterbank(
                params.sample_rate,
                params.n_fft,
                params.n_mels,
                params.fmin as f64,
                params.fmax as f64,
            ),
            dct: dct2_ortho_matrix(params.n_mfcc, params.n_mels),
            windowed: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            power: vec![0.0; params.n_fft / 2 + 1],
            mel_db: vec![0.0; params.n_mels],
            db_offset: 10.0 * params.db_ref.max(params.db_amin).log10(),
            scratch,
            fft,
            params: params.clone(),
        })
    }

    pub fn params(&self) -> &FeatureParams {
        &self.params
    }

    pub fn n_mfcc(&self) -> usize {
        self.params.n_mfcc
    }

    /// One frame: `frame` holds exactly `n_fft` samples, `out` receives `n_mfcc` values.
    pub fn compute_frame(&mut self, frame: &[f32], out: &mut [f32]) {
        assert_eq!(frame.len(), self.params.n_fft, "a frame is n_fft samples");
        assert_eq!(out.len(), self.params.n_mfcc, "a frame yields n_mfcc coefficients");
        for ((slot, &x), &w) in self.windowed.iter_mut().zip(frame).zip(&self.window) {
            *slot = x * w;
        }
        // Lengths are fixed at construction, so this cannot fail.
        self.fft
            .process_with_scratch(&mut self.windowed, &mut self.spectrum, &mut self.scratch)
            .expect("buffers sized by the plan");
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr();
        }
        self.mel.apply(&self.power, &mut self.mel_db);
        let amin = self.params.db_amin;
        for v in self.mel_db.iter_mut() {
            *v = 10.0 * v.max(amin).log10() - self.db_offset;
        }
        let n_mels = self.params.n_mels;
        for (k, slot) in out.iter_mut().enumerate() {
            let row = &self.dct[k * n_mels..(k + 1) * n_mels];
            *slot = super::dot::dot(row, &self.mel_db);
        }
    }

    /// MFCC of a whole signal with librosa's `center=True, pad_mode="constant"`:
    /// `1 + len / hop` frames, returned row-major as `frames × n_mfcc`.
    pub fn compute(&mut self, signal: &[f32]) -> Vec<f32> {
        let (n_fft, hop) = (self.params.n_fft, self.params.hop_length);
        let pad = n_fft / 2;
        let mut padded = vec![0.0f32; signal.len() + 2 * pad];
        padded[pad..pad + signal.len()].copy_from_slice(signal);
        let n_frames = self.params.frames_for(signal.len());
        let n_mfcc = self.n_mfcc();
        let mut out = vec![0.0f32; n_frames * n_mfcc];
        for (t, row) in out.chunks_exact_mut(n_mfcc).enumerate() {
            self.compute_frame(&padded[t * hop..t * hop + n_fft], row);
        }
        out
    }
}

/// MFCC over a stream: push samples of any length, get each frame as soon as its last sample
/// has arrived. Frame `t` is centred on sample `t·hop` with zeros before the first sample,
/// so frames equal [`MfccExtractor::compute`] on the same audio, except the last few that
/// librosa computes against zero padding at the end.
pub struct StreamingMfcc {
    extractor: MfccExtractor,
    pending: Vec<f32>,
    frame: Vec<f32>,
}

impl StreamingMfcc {
    pub fn new(params: &FeatureParams) -> Result<Self> {
        let extractor = MfccExtractor::new(params)?;
        let mut stream = Self { pending: Vec::with_capacity(params.n_fft * 4), frame: vec![0.0; params.n_mfcc], extractor };
        stream.reset();
        Ok(stream)
    }

    pub fn n_mfcc(&self) -> usize {
        self.extractor.n_mfcc()
    }

    pub fn params(&self) -> &FeatureParams {
        self.extractor.params()
    }

    /// Back to the state of a fresh stream (the centre padding of the first frame).
    pub fn reset(&mut self) {
        self.pending.clear();
        self.pending.resize(self.extractor.params.n_fft / 2, 0.0);
    }

    /// Appends samples and calls `on_frame` with every frame that became complete.
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&[f32])) {
        let (n_fft, hop) = (self.extractor.params.n_fft, self.extractor.params.hop_length);
        self.pending.extend_from_slice(samples);
        let mut start = 0;
        while start + n_fft <= self.pending.len() {
            self.extractor.compute_frame(&self.pending[start..start + n_fft], &mut self.frame);
            on_frame(&self.frame);
            start += hop;
        }
        self.pending.drain(..start);
    }

    /// MFCC of one frame of digital silence: what the stream sees before any audio.
    pub fn silence_frame(&mut self) -> Vec<f32> {
        let zeros = vec![0.0f32; self.extractor.params.n_fft];
        let mut out = vec![0.0f32; self.n_mfcc()];
        self.extractor.compute_frame(&zeros, &mut out);
        out
    }
}
