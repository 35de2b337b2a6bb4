//! Whole-clip classification: resample, MFCC and causal normalisation over the clip, slide
//! the model window over it, and average the windows the model hears as speech (CONTRACT §1).
//!
//! [`ClipClassifier`] takes the clip in pieces, so a two-hour file needs no more memory than
//! a three-second one: it keeps one model window of frames and a few numbers per segment.
//! [`classify_clip`] is the same for a clip already in memory.

use serde::Serialize;

use crate::audio::validate_sample_rate;
use crate::decision::{argmax, Decider, State};
use crate::features::SpeakerProfile;
use crate::frame_window::FrameWindow;
use crate::front_end::FrontEnd;
use crate::model::{EmotionModel, ModelMetadata, PersonalSpec};
use crate::profile::window_stats::WindowStats;
use crate::profile::PersonalProfile;
use crate::{Error, Result};

/// How a clip is cut into windows, and whose voice it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipOptions {
    /// Seconds between the starts of consecutive windows.
    pub segment_hop_seconds: f64,
    /// The speaker's calibration, if any (see [`crate::calibration`]).
    pub calibration: Option<SpeakerProfile>,
    /// The person's profile, if any (see [`crate::profile`]); its neutral clips are the
    /// calibration unless `calibration` is given.
    pub profile: Option<PersonalProfile>,
}

impl Default for ClipOptions {
    fn default() -> Self {
        Self { segment_hop_seconds: crate::defaults::SEGMENT_HOP_SECONDS, calibration: None, profile: None }
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
    /// The id of the personal profile mixed in, if any (left out of the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal: Option<String>,
    pub segments: Vec<Segment>,
}

/// The pooled embeddings and MFCC statistics of a clip's speech windows (enrolment).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WindowVectors {
    pub embeddings: Vec<Vec<f32>>,
    pub features: Vec<Vec<f32>>,
}

impl WindowVectors {
    pub fn mean_embedding(&self) -> Vec<f32> {
        crate::profile::mean_vector(&self.embeddings)
    }

    pub fn mean_features(&self) -> Vec<f32> {
        crate::profile::mean_vector(&self.features)
    }
}

/// A profile at work in a clip or stream: with its model's constants and label positions.
#[derive(Debug, Clone)]
pub(crate) struct Personal {
    pub profile: PersonalProfile,
    pub spec: PersonalSpec,
    pub indices: Vec<usize>,
}

impl Personal {
    pub fn new(profile: &PersonalProfile, meta: &ModelMetadata) -> Result<Self> {
        let spec = meta.personal.clone().ok_or_else(|| crate::profile::no_profiles(meta))?;
        Ok(Self { indices: profile.label_indices(&meta.labels), profile: profile.clone(), spec })
    }

    pub fn apply(&self, global: &[f32], embedding: &[f32], features: &[f32]) -> Result<Vec<f32>> {
        if embedding.len() != self.spec.embedding_std.len() {
            return Err(Error::Model(format!(
                "the model's embedding has {} values; its metadata's personal block expects {}",
                embedding.len(),
                self.spec.embedding_std.len()
            )));
        }
        Ok(self.profile.personalise(&self.spec, &self.indices, global, embedding, features))
    }
}

/// What a clip computes per window beyond the model's verdict: the MFCC statistics, and
/// with them the personal probabilities or the vectors enrolment averages.
struct WindowExtras {
    stats: WindowStats,
    personal: Option<Personal>,
    collected: Option<WindowVectors>,
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
    classify_decoded(model, crate::audio::DecodeStream::open(path)?, options)
}

/// [`classify_file`] for a file's bytes in memory (Ray Data hands the Python package files
/// as bytes); `extension_hint` (`"mp3"`) only speeds up format detection.
#[cfg(feature = "decode")]
pub fn classify_bytes(model: &mut EmotionModel, bytes: Vec<u8>, extension_hint: Option<&str>, options: &ClipOptions) -> Result<ClassifiedFile> {
    classify_decoded(model, crate::audio::DecodeStream::from_bytes(bytes, extension_hint)?, options)
}

#[cfg(feature = "decode")]
fn classify_decoded(model: &mut EmotionModel, mut decoder: crate::audio::DecodeStream, options: &ClipOptions) -> Result<ClassifiedFile> {
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
    heard_sound: bool,
    front: FrontEnd,
    segment_hop_frames: usize,
    next_start: usize,
    /// Window start (in frames) of every segment so far, with the model's verdict.
    segments: Vec<(usize, Segment)>,
    extras: Option<WindowExtras>,
}

impl std::fmt::Debug for ClipClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipClassifier")
            .field("input_rate", &self.front.input_rate())
            .field("input_samples", &self.front.input_samples())
            .finish()
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
        let mut front = FrontEnd::new(meta, input_rate)?;
        let profile = options.profile.as_ref();
        let calibration = options.calibration.clone().or_else(|| profile.and_then(|p| p.calibration.clone()));
        front.set_calibration(calibration)?;
        let personal = profile.map(|p| Personal::new(p, meta)).transpose()?;
        let extras = personal.map(|personal| WindowExtras {
            stats: WindowStats::new(meta.window_frames, personal.spec.min_active_frames),
            personal: Some(personal),
            collected: None,
        });
        Ok(Self {
            extras,
            decider: Decider::from_metadata(meta),
            heard_sound: false,
            front,
            segment_hop_frames: ((options.segment_hop_seconds * rate as f64 / hop_length as f64).round() as usize).max(1),
            next_start: 0,
            segments: Vec::new(),
            options: options.clone(),
            meta: meta.clone(),
        })
    }

    /// Seconds of input so far.
    pub fn duration_s(&self) -> f64 {
        self.front.input_samples() as f64 / f64::from(self.front.input_rate())
    }

    /// Feeds the next mono samples at the classifier's input rate. NaN/Inf and out-of-range
    /// samples are refused before anything is consumed; the error's index counts from the
    /// start of the clip, not of this piece.
    pub fn push(&mut self, model: &mut EmotionModel, samples: &[f32]) -> Result<()> {
        self.check_model(model)?;
        let ready = self.front.accept(samples)?;
        self.heard_sound |= samples.iter().any(|&s| s != 0.0);
        self.consume(model, ready)
    }

    /// Ends the clip: the tail of the resampler, the zero padding of the last frames (and of
    /// a clip shorter than one window), the window that covers the end, and the verdict.
    pub fn finish(self, model: &mut EmotionModel) -> Result<ClipResult> {
        self.finish_inner(model).map(|(result, _)| result)
    }

    fn finish_inner(mut self, model: &mut EmotionModel) -> Result<(ClipResult, WindowVectors)> {
        self.check_model(model)?;
        if self.front.input_samples() == 0 {
            return Err(Error::EmptyAudio);
        }
        if !self.heard_sound {
            return Err(Error::Silence);
        }
        let ready = self.front.end()?;
        self.consume(model, ready)?;

        let last_start = self.front.frames() - self.meta.window_frames;
        if self.segments.last().map(|(start, _)| *start) != Some(last_start) {
            self.predict(model, last_start)?; // cover the end of the clip too
        }
        let vectors = self.extras.as_mut().and_then(|e| e.collected.take()).unwrap_or_default();
        Ok((self.verdict(model), vectors))
    }

    fn check_model(&self, model: &EmotionModel) -> Result<()> {
        if model.metadata() != &self.meta {
            return Err(Error::InvalidInput("the model changed while a clip was being classified; start the clip again".into()));
        }
        if let Some(p) = self.extras.as_ref().and_then(|e| e.personal.as_ref()) {
            p.profile.check_model(model)?;
        }
        Ok(())
    }

    /// Keeps every speech window's embedding and MFCC statistics for
    /// [`ClipClassifier::finish_with_vectors`]; call before the first push.
    pub(crate) fn collect_vectors(&mut self) -> Result<()> {
        let spec = self.meta.personal.as_ref().ok_or_else(|| crate::profile::no_profiles(&self.meta))?;
        let stats = WindowStats::new(self.meta.window_frames, spec.min_active_frames);
        let extras = self.extras.get_or_insert(WindowExtras { stats, personal: None, collected: None });
        extras.collected = Some(WindowVectors::default());
        Ok(())
    }

    /// [`ClipClassifier::finish`] with the speech windows' vectors (see `collect_vectors`).
    pub(crate) fn finish_with_vectors(self, model: &mut EmotionModel) -> Result<(ClipResult, WindowVectors)> {
        self.finish_inner(model)
    }

    /// The front end's `ready` model-rate samples → normalised frames → a prediction at
    /// each segment start.
    fn consume(&mut self, model: &mut EmotionModel, ready: usize) -> Result<()> {
        let window_frames = self.meta.window_frames;
        let (next_start, segments) = (&mut self.next_start, &mut self.segments);
        let (meta, decider, hop, extras) = (&self.meta, &self.decider, self.segment_hop_frames, &mut self.extras);
        self.front.feed(0..ready, |frame| {
            if let Some(e) = extras.as_mut() {
                e.stats.push(frame.raw, frame.active);
            }
            if frame.count == *next_start + window_frames {
                segments.push((*next_start, run_window(model, meta, decider, frame.window, *next_start, extras.as_mut())?));
                *next_start += hop;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The window of the last `window_frames` frames, which starts at `start`.
    fn predict(&mut self, model: &mut EmotionModel, start: usize) -> Result<()> {
        let segment = run_window(model, &self.meta, &self.decider, self.front.window(), start, self.extras.as_mut())?;
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
        let windows: Vec<(bool, &[f32])> = segments.iter().map(|s| (s.speech, s.probabilities.as_slice())).collect();
        let verdict = self.decider.clip_verdict(&windows);
        ClipResult {
            duration_s,
            state: verdict.state,
            label: verdict.top.map(|top| labels[top].clone()),
            confidence: verdict.confidence,
            probabilities: verdict.probabilities,
            labels,
            speech: verdict.top.is_some(),
            calibrated: self.front.calibration().is_some(),
            personal: self.options.profile.as_ref().map(|p| p.id.clone()),
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
    extras: Option<&mut WindowExtras>,
) -> Result<Segment> {
    let mut out = model.predict(window.contiguous())?;
    let speech = decider.is_speech(&out);
    if let Some(e) = extras {
        let features = e.stats.stats();
        if let Some(p) = &e.personal {
            out.probabilities = p.apply(&out.probabilities, &out.embedding, &features)?;
        }
        if let Some(c) = e.collected.as_mut().filter(|_| speech) {
            c.embeddings.push(std::mem::take(&mut out.embedding));
            c.features.push(features);
        }
    }
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
