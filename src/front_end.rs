//! Audio to the model's input, one way for every path (the live stream, whole clips,
//! calibration): checked input samples → resampler to the model rate → feature frames (the
//! kind the metadata names, [`crate::features::frame_features`]) → the speaker normaliser →
//! a window of the newest normalised frames. What each path does with a frame (run the
//! model at a hop, at a segment start, or mark calibration frames) is its own.

use crate::audio::{check_samples, StreamResampler};
use crate::features::{frame_features, FrameFeatures, SpeakerNormalizer, SpeakerProfile};
use crate::frame_window::FrameWindow;
use crate::model::ModelMetadata;
use crate::Result;

/// One feature frame as it enters the window.
pub(crate) struct Frame<'a> {
    /// Its features before normalising (calibration sums them into a baseline).
    pub raw: &'a [f32],
    /// Whether the normaliser's level rule counted it towards the speaker's baseline.
    pub active: bool,
    /// Frames since the start, this one included.
    pub count: usize,
    /// The newest `window_frames` normalised frames, this one last.
    pub window: &'a mut FrameWindow,
}

pub(crate) struct FrontEnd {
    resampler: StreamResampler,
    /// Model-rate samples of the last [`FrontEnd::accept`] or [`FrontEnd::end`].
    resampled: Vec<f32>,
    /// Input-rate samples accepted since the start (a bad sample's index counts from it).
    input_samples: u64,
    /// Model-rate samples of real audio (not the padding [`FrontEnd::end`] adds).
    model_rate_samples: u64,
    features: Box<dyn FrameFeatures>,
    normalizer: SpeakerNormalizer,
    normalized: Vec<f32>,
    window: FrameWindow,
    frames: usize,
    model_rate: u32,
    window_samples: u64,
    /// librosa's centre padding at the end of a clip.
    end_padding: usize,
}

impl FrontEnd {
    /// For the model with metadata `meta`, from audio at `input_rate` Hz (already validated).
    pub(crate) fn new(meta: &ModelMetadata, input_rate: u32) -> Result<Self> {
        let features = frame_features(&meta.features)?;
        let frame_len = features.frame_len();
        Ok(Self {
            resampler: StreamResampler::new(input_rate, meta.sample_rate())?,
            resampled: Vec::new(),
            input_samples: 0,
            model_rate_samples: 0,
            features,
            normalizer: SpeakerNormalizer::new(&meta.normalization, meta.features.n_mels, meta.features.hop_seconds()),
            normalized: vec![0.0; frame_len],
            window: FrameWindow::new(meta.window_frames * frame_len),
            frames: 0,
            model_rate: meta.sample_rate(),
            window_samples: meta.window_samples() as u64,
            end_padding: meta.features.n_fft / 2,
        })
    }

    pub(crate) fn input_rate(&self) -> u32 {
        self.resampler.input_rate()
    }

    pub(crate) fn input_samples(&self) -> u64 {
        self.input_samples
    }

    pub(crate) fn model_rate_samples(&self) -> u64 {
        self.model_rate_samples
    }

    /// Frames since the start.
    pub(crate) fn frames(&self) -> usize {
        self.frames
    }

    pub(crate) fn window(&mut self) -> &mut FrameWindow {
        &mut self.window
    }

    pub(crate) fn calibration(&self) -> Option<&SpeakerProfile> {
        self.normalizer.profile()
    }

    /// Hears the audio against this speaker's baseline (or, with `None`, the running one
    /// alone); call [`FrontEnd::reset`] or start afresh after it.
    pub(crate) fn set_calibration(&mut self, profile: Option<SpeakerProfile>) -> Result<()> {
        self.normalizer.set_profile(profile)
    }

    /// Takes audio at another input rate from now on (a new microphone); call
    /// [`FrontEnd::reset_to_silence`] after it.
    pub(crate) fn set_input_rate(&mut self, input_rate: u32) -> Result<()> {
        self.resampler = StreamResampler::new(input_rate, self.model_rate)?;
        Ok(())
    }

    /// Forgets all audio; the window then holds `window_frames` frames of digital silence
    /// (what a live stream hears before the first sample). A calibration stays.
    pub(crate) fn reset_to_silence(&mut self) {
        self.resampler.reset();
        self.features.reset();
        self.normalizer.reset();
        // Silence is never active, so normalising it (on a copy) leaves the baseline as is.
        let silence = self.features.silence_frame();
        self.normalizer.clone().normalize_frame(&silence, &mut self.normalized);
        self.window.clear();
        while !self.window.is_full() {
            self.window.push(&self.normalized);
        }
        self.input_samples = 0;
        self.model_rate_samples = 0;
        self.frames = 0;
    }

    /// Checks input samples (NaN/Inf and out-of-range ones are refused before anything is
    /// consumed, the index counted from the start) and resamples them; returns how many
    /// model-rate samples [`FrontEnd::feed`] can now take.
    pub(crate) fn accept(&mut self, samples: &[f32]) -> Result<usize> {
        check_samples(samples).map_err(|e| e.shifted(self.input_samples))?;
        self.input_samples += samples.len() as u64;
        self.resampled.clear();
        self.resampler.process(samples, &mut self.resampled)?;
        self.model_rate_samples += self.resampled.len() as u64;
        Ok(self.resampled.len())
    }

    /// Continues with audio at another rate (the next of several files): what came so far is
    /// resampled to its end and what follows joins it as if recorded right after. Returns
    /// the model-rate samples [`FrontEnd::feed`] can take.
    pub(crate) fn change_rate(&mut self, input_rate: u32) -> Result<usize> {
        self.resampled.clear();
        self.resampler.flush(&mut self.resampled)?;
        self.resampler = StreamResampler::new(input_rate, self.model_rate)?;
        self.model_rate_samples += self.resampled.len() as u64;
        Ok(self.resampled.len())
    }

    /// Ends a clip: the resampler's tail, zeros up to one window for a clip shorter than
    /// that, and librosa's centre padding. Returns the model-rate samples to feed.
    pub(crate) fn end(&mut self) -> Result<usize> {
        self.resampled.clear();
        self.resampler.flush(&mut self.resampled)?;
        self.model_rate_samples += self.resampled.len() as u64;
        let short_by = self.window_samples.saturating_sub(self.model_rate_samples) as usize;
        self.resampled.resize(self.resampled.len() + short_by + self.end_padding, 0.0);
        Ok(self.resampled.len())
    }

    /// Turns the model-rate samples `range` (of those [`FrontEnd::accept`], `change_rate`
    /// or `end` made ready) into normalised frames in the window, calling `on_frame` after
    /// each. After an error from `on_frame` the remaining frames still enter the window but
    /// `on_frame` is not called again; the error is returned. Returns the samples fed.
    pub(crate) fn feed(
        &mut self,
        range: std::ops::Range<usize>,
        mut on_frame: impl FnMut(Frame<'_>) -> Result<()>,
    ) -> Result<&[f32]> {
        let samples = &self.resampled[range];
        let (normalizer, normalized, window, frames) = (&mut self.normalizer, &mut self.normalized, &mut self.window, &mut self.frames);
        let mut failed = None;
        self.features.push(samples, &mut |raw| {
            let active = normalizer.normalize_frame_active(raw, normalized);
            window.push(normalized);
            *frames += 1;
            if failed.is_none() {
                failed = on_frame(Frame { raw, active, count: *frames, window: &mut *window }).err();
            }
        });
        failed.map_or(Ok(samples), Err)
    }
}
