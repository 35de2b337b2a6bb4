//! Whole-clip classification: resample, MFCC and causal normalisation over the clip, slide
//! the model window over it, and average the windows the model hears as speech (CONTRACT §1).
//!
//! [`ClipClassifier`] takes the clip in pieces, so a two-hour file needs no more memory than
//! a three-second one: it keeps one model window of frames and a few numbers per segment.
//! [`classify_clip`] is the same for a clip already in memory.

use serde::Serialize;

use crate::audio::{check_samples, validate_sample_rate, StreamResampler};
use crate::decision::{argmax, mean_probabilities, Decider, State};
use crate::features::{SpeakerNormalizer, SpeakerProfile, StreamingMfcc};
use crate::frame_window::FrameWindow;
use crate::model::{EmotionModel, ModelMetadata};
use crate::{Error, Result};

/// How a clip is cut into windows, and whose voice it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipOptions {
    /// Seconds between the starts of consecutive windows.
    pub segment_hop_seconds: f64,
    /// The speaker's calibration, if any (see [`crate::calibration`]).
    pub calibration: Option<SpeakerProfile>,
}

impl Default for ClipOptions {
    fn default() -> Self {
        Self { segment_hop_seconds: 1.0, calibration: None }
    }
}

/// One model window of a clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    /// Whether the model heard speech in this window.
    pub speech: bool,
    pub speech_probability: f32,
    /// Top label of this window; `None` without speech.
    pub label: Option<String>,
    pub probabilities: Vec<f32>,
}

/// The result for a whole clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipResult {
    pub duration_s: f64,
    /// `emotion`, `uncertain` (top probability below the model's threshold) or `no_speech`.
    pub state: State,
    /// Top label over the speech windows; `None` when no window holds speech.
    pub label: Option<String>,
    pub confidence: f32,
    /// Mean probabilities over the speech windows (over all windows when there is none,
    /// for display only).
    pub probabilities: Vec<f32>,
    pub labels: Vec<String>,
    /// Whether any window holds speech.
    pub speech: bool,
    /// Whether a speaker calibration was used.
    pub calibrated: bool,
    pub segments: Vec<Segment>,
}

/// A file classified by [`classify_file`], with what was wrong with it (truncation, damage).
#[cfg(feature = "decode")]
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifiedFile {
    pub result: ClipResult,
    /// Empty for a sound file.
    pub warnings: Vec<crate::audio::DecodeWarning>,
}

/// Classifies an audio file decoded packet by packet ([`crate::DecodeStream`] into a
/// [`ClipClassifier`]), so memory does not grow with its length. A truncated or damaged file
/// is classified as far as it goes, with warnings; an error about a file that also has
/// warnings (a truncated file of digital silence) keeps them ([`Error::Noted`]).
#[cfg(feature = "decode")]
pub fn classify_file(model: &mut EmotionModel, path: &std::path::Path, options: &ClipOptions) -> Result<ClassifiedFile> {
    let mut decoder = crate::audio::DecodeStream::open(path)?;
    let mut clip: Option<ClipClassifier> = None;
    while let Some(chunk) = decoder.next_chunk()? {
        let classifier = match &mut clip {
            Some(open) => open,
            None => clip.insert(ClipClassifier::new(model.metadata(), f64::from(chunk.sample_rate), options)?),
        };
        classifier.push(model, &crate::audio::downmix(chunk.samples, chunk.channels)?)?;
    }
    let warnings = decoder.finish()?;
    let classifier = clip.ok_or_else(|| Error::Decode("no audio decoded".into()))?;
    let result = classifier.finish(model).map_err(|e| e.noting(&warnings))?;
    Ok(ClassifiedFile { result, warnings })
}

/// Classifies a mono clip at `sample_rate` Hz.
pub fn classify_clip(
    model: &mut EmotionModel,
    samples: &[f32],
    sample_rate: f64,
    options: &ClipOptions,
) -> Result<ClipResult> {
    let mut clip = ClipClassifier::new(model.metadata(), sample_rate, options)?;
    clip.push(model, samples)?;
    clip.finish(model)
}

/// A clip arriving in pieces (file blocks, decoded packets). The result equals
/// [`classify_clip`] on the whole clip, however it was split.
///
/// The model is lent to each call rather than held, so one model can serve a live stream
/// and a clip in turn; it must be the model whose metadata built the classifier.
pub struct ClipClassifier {
    meta: ModelMetadata,
    options: ClipOptions,
    decider: Decider,
    input_rate: u32,
    input_samples: u64,
    heard_sound: bool,
    resampler: StreamResampler,
    resampled: Vec<f32>,
    model_rate_samples: u64,
    mfcc: StreamingMfcc,
    normalizer: SpeakerNormalizer,
    normalized: Vec<f32>,
    window: FrameWindow,
    frames_seen: usize,
    segment_hop_frames: usize,
    next_start: usize,
    /// Window start (in frames) of every segment so far, with the model's verdict.
    segments: Vec<(usize, Segment)>,
}

impl std::fmt::Debug for ClipClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipClassifier").field("input_rate", &self.input_rate).field("input_samples", &self.input_samples).finish()
    }
}

impl ClipClassifier {
    pub fn new(meta: &ModelMetadata, sample_rate: f64, options: &ClipOptions) -> Result<Self> {
        let input_rate = validate_sample_rate(sample_rate)?;
        if !(options.segment_hop_seconds.is_finite() && options.segment_hop_seconds >= 0.01) {
            return Err(Error::InvalidInput(format!(
                "segment hop {} s must be at least 0.01 s",
                options.segment_hop_seconds
            )));
        }
        let rate = meta.sample_rate();
        let hop_length = meta.features.hop_length;
        let mut normalizer = SpeakerNormalizer::new(&meta.normalization, meta.features.n_mels, meta.features.hop_seconds());
        normalizer.set_profile(options.calibration.clone())?;
        Ok(Self {
            decider: Decider::from_metadata(meta),
            input_rate,
            input_samples: 0,
            heard_sound: false,
            resampler: StreamResampler::new(input_rate, rate)?,
            resampled: Vec::new(),
            model_rate_samples: 0,
            mfcc: StreamingMfcc::new(&meta.features)?,
            normalizer,
            normalized: vec![0.0; meta.features.n_mfcc],
            window: FrameWindow::new(meta.window_frames * meta.features.n_mfcc),
            frames_seen: 0,
            segment_hop_frames: ((options.segment_hop_seconds * rate as f64 / hop_length as f64).round() as usize).max(1),
            next_start: 0,
            segments: Vec::new(),
            options: options.clone(),
            meta: meta.clone(),
        })
    }

    /// Seconds of input so far.
    pub fn duration_s(&self) -> f64 {
        self.input_samples as f64 / self.input_rate as f64
    }

    /// Feeds the next mono samples at the classifier's input rate. NaN/Inf and out-of-range
    /// samples are refused before anything is consumed; the error's index counts from the
    /// start of the clip, not of this piece.
    pub fn push(&mut self, model: &mut EmotionModel, samples: &[f32]) -> Result<()> {
        self.check_model(model)?;
        check_samples(samples).map_err(|e| e.shifted(self.input_samples))?;
        self.input_samples += samples.len() as u64;
        self.heard_sound |= samples.iter().any(|&s| s != 0.0);
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.process(samples, &mut resampled)?;
        let result = self.consume(model, &resampled);
        self.resampled = resampled;
        result
    }

    /// Ends the clip: the tail of the resampler, the zero padding of the last frames (and of
    /// a clip shorter than one window), the window that covers the end, and the verdict.
    pub fn finish(mut self, model: &mut EmotionModel) -> Result<ClipResult> {
        self.check_model(model)?;
        if self.input_samples == 0 {
            return Err(Error::EmptyAudio);
        }
        if !self.heard_sound {
            return Err(Error::Silence);
        }
        let mut tail = Vec::new();
        self.resampler.flush(&mut tail)?;
        let short_by = (self.meta.window_samples() as u64).saturating_sub(self.model_rate_samples + tail.len() as u64);
        tail.resize(tail.len() + short_by as usize, 0.0);
        tail.resize(tail.len() + self.meta.features.n_fft / 2, 0.0); // librosa's centre padding at the end
        self.consume(model, &tail)?;

        let window_frames = self.meta.window_frames;
        let last_start = self.frames_seen - window_frames;
        if self.segments.last().map(|(start, _)| *start) != Some(last_start) {
            self.predict(model, last_start)?; // cover the end of the clip too
        }
        Ok(self.verdict(model))
    }

    fn check_model(&self, model: &EmotionModel) -> Result<()> {
        if model.metadata() == &self.meta {
            Ok(())
        } else {
            Err(Error::InvalidInput("the model changed while a clip was being classified; start the clip again".into()))
        }
    }

    /// Model-rate samples → normalised frames → a prediction at each segment start.
    fn consume(&mut self, model: &mut EmotionModel, samples: &[f32]) -> Result<()> {
        self.model_rate_samples += samples.len() as u64;
        let window_frames = self.meta.window_frames;
        let mut failed = None;
        let (normalizer, normalized, window) = (&mut self.normalizer, &mut self.normalized, &mut self.window);
        let (frames_seen, next_start, segments) = (&mut self.frames_seen, &mut self.next_start, &mut self.segments);
        let (meta, decider, hop) = (&self.meta, &self.decider, self.segment_hop_frames);
        self.mfcc.push(samples, |frame| {
            normalizer.normalize_frame(frame, normalized);
            window.push(normalized);
            *frames_seen += 1;
            if failed.is_none() && *frames_seen == *next_start + window_frames {
                match run_window(model, meta, decider, window, *next_start) {
                    Ok(segment) => segments.push((*next_start, segment)),
                    Err(e) => failed = Some(e),
                }
                *next_start += hop;
            }
        });
        failed.map_or(Ok(()), Err)
    }

    /// The window of the last `window_frames` frames, which starts at `start`.
    fn predict(&mut self, model: &mut EmotionModel, start: usize) -> Result<()> {
        let segment = run_window(model, &self.meta, &self.decider, &mut self.window, start)?;
        self.segments.push((start, segment));
        Ok(())
    }

    fn verdict(self, model: &EmotionModel) -> ClipResult {
        let duration_s = self.duration_s();
        let end_limit = duration_s.max(self.meta.window_seconds());
        let segments: Vec<Segment> = self
            .segments
            .into_iter()
            .map(|(_, mut s)| {
                s.end_s = s.end_s.min(end_limit);
                s
            })
            .collect();
        let labels = model.labels().to_vec();
        let voiced = mean_probabilities(segments.iter().filter(|s| s.speech).map(|s| s.probabilities.as_slice()));
        let speech = voiced.is_some();
        let (label, confidence, state, probabilities) = match voiced {
            Some(p) => {
                let (top, confidence, state) = self.decider.judge(&p);
                (Some(labels[top].clone()), confidence, state, p)
            }
            None => {
                let p = mean_probabilities(segments.iter().map(|s| s.probabilities.as_slice())).unwrap_or_default();
                (None, argmax(&p).1, State::NoSpeech, p)
            }
        };
        ClipResult {
            duration_s,
            state,
            label,
            confidence,
            probabilities,
            labels,
            speech,
            calibrated: self.options.calibration.is_some(),
            segments,
        }
    }
}

/// Runs the model on the window of frames that starts at frame `start`.
fn run_window(
    model: &mut EmotionModel,
    meta: &ModelMetadata,
    decider: &Decider,
    window: &mut FrameWindow,
    start: usize,
) -> Result<Segment> {
    let out = model.predict(window.contiguous())?;
    let speech = decider.is_speech(&out);
    let frame_s = meta.features.hop_length as f64 / meta.sample_rate() as f64;
    Ok(Segment {
        start_s: start as f64 * frame_s,
        end_s: (start + meta.window_frames) as f64 * frame_s, // clamped to the clip in `verdict`
        speech,
        speech_probability: out.speech_probability,
        label: speech.then(|| model.labels()[argmax(&out.probabilities).0].clone()),
        probabilities: out.probabilities,
    })
}
