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

use crate::audio::validate_sample_rate;
use crate::decision::Decider;
use crate::features::SpeakerProfile;
use crate::front_end::{Frame, FrontEnd};
use crate::model::{EmotionModel, ModelMetadata};
use crate::{Error, Result};

/// Seconds of speech (windows the model hears as speech) a calibration sample must hold.
pub const MIN_CALIBRATION_SECONDS: f64 = 3.0;

/// Seconds of speech loud enough to be the baseline (the normaliser's level rule) a
/// calibration needs at least: a steady tone the model takes for speech gives none.
pub const MIN_BASELINE_SECONDS: f64 = 1.0;

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
    /// What the model hears without a calibration: a clip's front end, whose normaliser's
    /// level rule also says which frames may enter the baseline.
    front: FrontEnd,
    baseline: Baseline,
    failed: Option<String>,
}

/// The speech windows' verdicts on the frames, and the baseline they make.
struct Baseline {
    decider: Decider,
    window_frames: usize,
    hop_length: u64,
    /// Frames some window still to come may cover, oldest first.
    pending: VecDeque<PendingFrame>,
    /// Windows start every `hop_frames` frames, as a clip's segments do by default.
    hop_frames: usize,
    next_start: usize,
    last_start: Option<usize>,
    sum: Vec<f64>,
    baseline_frames: u64,
    speech_frames: u64,
}

impl std::fmt::Debug for CalibrationBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalibrationBuilder")
            .field("input_rate", &self.front.input_rate())
            .field("input_samples", &self.front.input_samples())
            .field("speech_frames", &self.baseline.speech_frames)
            .finish()
    }
}

impl CalibrationBuilder {
    /// A calibration for the model with metadata `meta`, from mono audio at `sample_rate` Hz.
    pub fn new(meta: &ModelMetadata, sample_rate: f64) -> Result<Self> {
        let input_rate = validate_sample_rate(sample_rate)?;
        let rate = meta.sample_rate() as f64;
        Ok(Self {
            front: FrontEnd::new(meta, input_rate)?,
            baseline: Baseline {
                decider: Decider::from_metadata(meta),
                window_frames: meta.window_frames,
                hop_length: meta.features.hop_length as u64,
                pending: VecDeque::with_capacity(meta.window_frames + 1),
                hop_frames: ((crate::defaults::SEGMENT_HOP_SECONDS * rate / meta.features.hop_length as f64).round() as usize).max(1),
                next_start: 0,
                last_start: None,
                sum: vec![0.0; meta.features.n_mfcc],
                baseline_frames: 0,
                speech_frames: 0,
            },
            failed: None,
            meta: meta.clone(),
        })
    }

    /// Feeds the next mono samples at the current input rate. NaN/Inf and out-of-range
    /// samples are refused before anything is consumed (the index counts from the start).
    pub fn push(&mut self, model: &mut EmotionModel, samples: &[f32]) -> Result<()> {
        self.check(model)?;
        let ready = self.front.accept(samples)?;
        self.consume(model, ready)
    }

    /// Continues with audio at another rate (the next of several files): the sample so far
    /// is resampled to its end, and what follows joins it as if recorded right after.
    pub fn next_source(&mut self, model: &mut EmotionModel, sample_rate: f64) -> Result<()> {
        self.check(model)?;
        let input_rate = validate_sample_rate(sample_rate)?;
        let ready = self.front.change_rate(input_rate)?;
        self.consume(model, ready)
    }

    /// Input samples accepted so far (at their own rates).
    pub fn input_samples(&self) -> u64 {
        self.front.input_samples()
    }

    /// Ends the sample: its speaker profile, or `InvalidInput` when it holds less than
    /// [`MIN_CALIBRATION_SECONDS`] of speech (or less than [`MIN_BASELINE_SECONDS`] of it
    /// loud enough to be a baseline), saying how much it has.
    pub fn finish(mut self, model: &mut EmotionModel) -> Result<SpeakerProfile> {
        self.check(model)?;
        if self.front.input_samples() == 0 {
            return Err(Error::EmptyAudio);
        }
        // As a clip: a sample shorter than one window is padded to one, and the end gets
        // librosa's centre padding.
        let ready = self.front.end()?;
        self.consume(model, ready)?;
        let last_start = self.front.frames() - self.meta.window_frames;
        let audio_samples = self.front.model_rate_samples();
        let baseline = &mut self.baseline;
        if baseline.last_start != Some(last_start) {
            baseline.run_window(model, self.front.window().contiguous(), last_start)?; // the window that covers the end
        }
        while let Some(frame) = baseline.pending.pop_front() {
            baseline.settle(frame, audio_samples);
        }
        let hop_seconds = self.meta.features.hop_seconds();
        let speech_seconds = baseline.speech_frames as f64 * hop_seconds;
        let baseline_seconds = baseline.baseline_frames as f64 * hop_seconds;
        if speech_seconds < MIN_CALIBRATION_SECONDS {
            // Rounded down: 2.96 s must not read as the 3.0 s it falls short of.
            let speech_seconds = (speech_seconds * 10.0).floor() / 10.0;
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
        let (sum, active_frames) = (std::mem::take(&mut baseline.sum), baseline.baseline_frames as f64);
        Ok(SpeakerProfile { sum, active_frames, active_seconds: baseline_seconds })
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

    /// The front end's `ready` model-rate samples → frames (normalised for the model,
    /// level-checked for the baseline) → a window verdict at each hop.
    fn consume(&mut self, model: &mut EmotionModel, ready: usize) -> Result<()> {
        let audio_samples = self.front.model_rate_samples();
        let baseline = &mut self.baseline;
        let result = self.front.feed(0..ready, |frame| baseline.add_frame(model, frame, audio_samples));
        if let Err(e) = result {
            self.failed = Some(e.to_string());
            return Err(e);
        }
        Ok(())
    }
}

impl Baseline {
    fn add_frame(&mut self, model: &mut EmotionModel, frame: Frame<'_>, audio_samples: u64) -> Result<()> {
        let index = frame.count - 1;
        self.pending.push_back(PendingFrame { index, mfcc: frame.raw.to_vec(), active: frame.active, speech: false });
        if frame.count == self.next_start + self.window_frames {
            self.run_window(model, frame.window.contiguous(), self.next_start)?;
            self.next_start += self.hop_frames;
        }
        // A frame older than one window is covered by no window still to come.
        while self.pending.front().is_some_and(|f| f.index + self.window_frames < frame.count) {
            if let Some(old) = self.pending.pop_front() {
                self.settle(old, audio_samples);
            }
        }
        Ok(())
    }

    /// Runs the model on `window` (frames from `start` on) and marks its frames as speech
    /// when the model hears speech.
    fn run_window(&mut self, model: &mut EmotionModel, window: &[f32], start: usize) -> Result<()> {
        let out = model.predict(window)?;
        self.last_start = Some(start);
        if self.decider.is_speech(&out) {
            for frame in self.pending.iter_mut().filter(|f| f.index >= start) {
                frame.speech = true;
            }
        }
        Ok(())
    }

    /// A frame no later window can cover: it counts as speech (if it is real audio, not
    /// padding: `audio_samples` model-rate samples of it so far) and enters the baseline if
    /// it is also active.
    fn settle(&mut self, frame: PendingFrame, audio_samples: u64) {
        if !frame.speech {
            return;
        }
        if (frame.index as u64) * self.hop_length < audio_samples {
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
