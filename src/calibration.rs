//! Speaker calibration: a short sample of someone's ordinary speech becomes the baseline
//! their later speech is heard against (CONTRACT §2). In memory only; nothing is stored.
//!
//! What counts as speech is decided by the model's own speech output, window by window,
//! exactly as classification decides it ([`Decider::is_speech`] on windows cut as
//! [`crate::classify_clip`] cuts them): a sample the classifier hears as speech is speech
//! here too, and one it calls "no speech" gives no baseline. Within the speech windows the
//! baseline takes the frames the normaliser's level rule takes during classification, so a
//! calibration stays the same history the running baseline would have gathered.
//!
//! [`CalibrationBuilder`] takes the sample in pieces of any size, at any supported rate,
//! in constant memory (one model window of frames); [`speaker_profile`] is the same for a
//! sample already in memory.

use std::collections::VecDeque;

use crate::audio::{check_samples, validate_sample_rate, StreamResampler};
use crate::decision::Decider;
use crate::features::{SpeakerNormalizer, SpeakerProfile, StreamingMfcc};
use crate::frame_window::FrameWindow;
use crate::model::{EmotionModel, ModelMetadata};
use crate::{Error, Result};

/// Seconds of speech (windows the model hears as speech) a calibration sample must hold.
pub const MIN_CALIBRATION_SECONDS: f64 = 3.0;

/// Seconds of speech loud enough to be the baseline (the normaliser's level rule) a
/// calibration needs at least: a steady tone the model takes for speech gives none.
pub const MIN_BASELINE_SECONDS: f64 = 1.0;

/// Seconds between the starts of the model windows that decide what is speech: the
/// default segment hop of [`crate::ClipOptions`], so a calibration sample is cut as a clip.
const WINDOW_HOP_SECONDS: f64 = 1.0;

/// The speaker profile of a calibration sample (mono, `sample_rate` Hz), in memory: a thin
/// wrapper over [`CalibrationBuilder`].
pub fn speaker_profile(model: &mut EmotionModel, samples: &[f32], sample_rate: f64) -> Result<SpeakerProfile> {
    let mut builder = CalibrationBuilder::new(model.metadata(), sample_rate)?;
    builder.push(model, samples)?;
    builder.finish(model)
}

/// One MFCC frame waiting for the verdicts of the windows that cover it.
#[derive(Debug, Clone)]
struct PendingFrame {
    /// Its index from the start of the sample.
    index: usize,
    mfcc: Vec<f32>,
    /// Whether the level rule takes it into the baseline.
    active: bool,
    /// Whether a window covering it was heard as speech.
    speech: bool,
}

/// A calibration sample arriving in pieces (a recording decoded packet by packet, several
/// files one after another). Memory stays at one model window of frames however long the
/// sample is. The model is lent to each call, as to a [`crate::ClipClassifier`].
///
/// ```no_run
/// # use speech_emotion::{calibration::CalibrationBuilder, EmotionModel};
/// # fn pieces() -> Vec<Vec<f32>> { vec![] }
/// let mut model = EmotionModel::embedded()?;
/// let mut calibration = CalibrationBuilder::new(model.metadata(), 48_000.0)?;
/// for piece in pieces() {
///     calibration.push(&mut model, &piece)?; // mono, 48 kHz
/// }
/// let profile = calibration.finish(&mut model)?;
/// # Ok::<(), speech_emotion::Error>(())
/// ```
pub struct CalibrationBuilder {
    meta: ModelMetadata,
    decider: Decider,
    input_samples: u64,
    resampler: StreamResampler,
    resampled: Vec<f32>,
    /// Model-rate samples of real audio (before the padding at the end).
    model_rate_samples: u64,
    mfcc: StreamingMfcc,
    /// What the model hears without a calibration: the running normaliser of a clip,
    /// whose level rule also says which frames may enter the baseline.
    normalizer: SpeakerNormalizer,
    normalized: Vec<f32>,
    window: FrameWindow,
    pending: VecDeque<PendingFrame>,
    frames_seen: usize,
    hop_frames: usize,
    next_start: usize,
    last_start: Option<usize>,
    sum: Vec<f64>,
    baseline_frames: u64,
    speech_frames: u64,
    failed: Option<String>,
}

impl std::fmt::Debug for CalibrationBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalibrationBuilder")
            .field("input_rate", &self.resampler.input_rate())
            .field("input_samples", &self.input_samples)
            .field("speech_frames", &self.speech_frames)
            .finish()
    }
}

impl CalibrationBuilder {
    /// A calibration for the model with metadata `meta`, from mono audio at `sample_rate` Hz.
    pub fn new(meta: &ModelMetadata, sample_rate: f64) -> Result<Self> {
        let input_rate = validate_sample_rate(sample_rate)?;
        let rate = meta.sample_rate();
        let normalizer = SpeakerNormalizer::new(&meta.normalization, meta.features.n_mels, meta.features.hop_seconds());
        Ok(Self {
            decider: Decider::from_metadata(meta),
            input_samples: 0,
            resampler: StreamResampler::new(input_rate, rate)?,
            resampled: Vec::new(),
            model_rate_samples: 0,
            mfcc: StreamingMfcc::new(&meta.features)?,
            normalizer,
            normalized: vec![0.0; meta.features.n_mfcc],
            window: FrameWindow::new(meta.window_frames * meta.features.n_mfcc),
            pending: VecDeque::with_capacity(meta.window_frames + 1),
            frames_seen: 0,
            hop_frames: ((WINDOW_HOP_SECONDS * rate as f64 / meta.features.hop_length as f64).round() as usize).max(1),
            next_start: 0,
            last_start: None,
            sum: vec![0.0; meta.features.n_mfcc],
            baseline_frames: 0,
            speech_frames: 0,
            failed: None,
            meta: meta.clone(),
        })
    }

    /// Feeds the next mono samples at the current input rate. NaN/Inf and out-of-range
    /// samples are refused before anything is consumed (the index counts from the start).
    pub fn push(&mut self, model: &mut EmotionModel, samples: &[f32]) -> Result<()> {
        self.check(model)?;
        check_samples(samples).map_err(|e| e.shifted(self.input_samples))?;
        self.input_samples += samples.len() as u64;
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.process(samples, &mut resampled)?;
        self.model_rate_samples += resampled.len() as u64;
        let result = self.consume(model, &resampled);
        self.resampled = resampled;
        result
    }

    /// Continues with audio at another rate (the next of several files): the sample so far
    /// is resampled to its end, and what follows joins it as if recorded right after.
    pub fn next_source(&mut self, model: &mut EmotionModel, sample_rate: f64) -> Result<()> {
        self.check(model)?;
        let input_rate = validate_sample_rate(sample_rate)?;
        let mut tail = Vec::new();
        self.resampler.flush(&mut tail)?;
        self.resampler = StreamResampler::new(input_rate, self.meta.sample_rate())?;
        self.model_rate_samples += tail.len() as u64;
        self.consume(model, &tail)
    }

    /// Input samples accepted so far (at their own rates).
    pub fn input_samples(&self) -> u64 {
        self.input_samples
    }

    /// Ends the sample: its speaker profile, or `InvalidInput` when it holds less than
    /// [`MIN_CALIBRATION_SECONDS`] of speech (or less than [`MIN_BASELINE_SECONDS`] of it
    /// loud enough to be a baseline), saying how much it has.
    pub fn finish(mut self, model: &mut EmotionModel) -> Result<SpeakerProfile> {
        self.check(model)?;
        if self.input_samples == 0 {
            return Err(Error::EmptyAudio);
        }
        let mut tail = Vec::new();
        self.resampler.flush(&mut tail)?;
        self.model_rate_samples += tail.len() as u64;
        // As a clip: a sample shorter than one window is padded to one, and the end gets
        // librosa's centre padding.
        let short_by = (self.meta.window_samples() as u64).saturating_sub(self.model_rate_samples);
        tail.resize(tail.len() + short_by as usize + self.meta.features.n_fft / 2, 0.0);
        self.consume(model, &tail)?;
        let last_start = self.frames_seen - self.meta.window_frames;
        if self.last_start != Some(last_start) {
            self.run_window(model, last_start)?; // the window that covers the end
        }
        while let Some(frame) = self.pending.pop_front() {
            self.settle(frame);
        }
        let hop_seconds = self.meta.features.hop_seconds();
        let speech_seconds = self.speech_frames as f64 * hop_seconds;
        let baseline_seconds = self.baseline_frames as f64 * hop_seconds;
        if speech_seconds < MIN_CALIBRATION_SECONDS {
            return Err(Error::InvalidInput(format!(
                "a calibration sample needs at least {MIN_CALIBRATION_SECONDS} s of speech, this one has {speech_seconds:.1} s: \
                 read a sentence or two in your ordinary voice"
            )));
        }
        if baseline_seconds < MIN_BASELINE_SECONDS {
            return Err(Error::InvalidInput(format!(
                "this calibration sample holds {speech_seconds:.1} s of what the model takes for speech, but only \
                 {baseline_seconds:.1} s of it stands out from its own background (at least {MIN_BASELINE_SECONDS} s is \
                 needed): a steady tone or hum is no voice to calibrate to; read a sentence or two in your ordinary voice"
            )));
        }
        Ok(SpeakerProfile { sum: self.sum, active_frames: self.baseline_frames as f64, active_seconds: baseline_seconds })
    }

    fn check(&self, model: &EmotionModel) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(Error::Model(format!("the calibration stopped after an earlier error ({e}); start it again")));
        }
        if model.metadata() == &self.meta {
            Ok(())
        } else {
            Err(Error::InvalidInput("the model changed while a calibration was being built; start it again".into()))
        }
    }

    /// Model-rate samples → frames (normalised for the model, level-checked for the
    /// baseline) → a window verdict at each hop.
    fn consume(&mut self, model: &mut EmotionModel, samples: &[f32]) -> Result<()> {
        // The frames of a bounded piece at a time (the model needs `&mut self` too, so they
        // are run after the MFCC stream hands them over): memory stays constant however
        // large the pushed slice.
        let n_mfcc = self.meta.features.n_mfcc;
        let mut frames = Vec::new();
        for piece in samples.chunks(1 << 14) {
            frames.clear();
            self.mfcc.push(piece, |frame| frames.extend_from_slice(frame));
            for frame in frames.chunks_exact(n_mfcc) {
                if let Err(e) = self.add_frame(model, frame) {
                    self.failed = Some(e.to_string());
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn add_frame(&mut self, model: &mut EmotionModel, frame: &[f32]) -> Result<()> {
        let window_frames = self.meta.window_frames;
        let active = self.normalizer.normalize_frame_active(frame, &mut self.normalized);
        self.window.push(&self.normalized);
        self.pending.push_back(PendingFrame { index: self.frames_seen, mfcc: frame.to_vec(), active, speech: false });
        self.frames_seen += 1;
        if self.frames_seen == self.next_start + window_frames {
            self.run_window(model, self.next_start)?;
            self.next_start += self.hop_frames;
        }
        // A frame older than one window is covered by no window still to come.
        while self.pending.front().is_some_and(|f| f.index + window_frames < self.frames_seen) {
            if let Some(frame) = self.pending.pop_front() {
                self.settle(frame);
            }
        }
        Ok(())
    }

    /// Runs the model on the window of the last `window_frames` frames (starting at
    /// `start`) and marks its frames as speech when the model hears speech.
    fn run_window(&mut self, model: &mut EmotionModel, start: usize) -> Result<()> {
        let out = model.predict(self.window.contiguous())?;
        self.last_start = Some(start);
        if self.decider.is_speech(&out) {
            for frame in self.pending.iter_mut().filter(|f| f.index >= start) {
                frame.speech = true;
            }
        }
        Ok(())
    }

    /// A frame no later window can cover: it counts as speech (if it is real audio, not
    /// padding) and enters the baseline if it is also active.
    fn settle(&mut self, frame: PendingFrame) {
        if !frame.speech {
            return;
        }
        let hop = self.meta.features.hop_length as u64;
        if (frame.index as u64) * hop < self.model_rate_samples {
            self.speech_frames += 1;
        }
        if frame.active {
            for (s, &v) in self.sum.iter_mut().zip(&frame.mfcc) {
                *s += f64::from(v);
            }
            self.baseline_frames += 1;
        }
    }
}
