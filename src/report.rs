//! A classified clip as a record: the one definition of the fields, names and order that
//! the CLI's `--format jsonl` lines and the Python package's results (`to_dict()`) share,
//! so the two cannot drift apart.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::classify::{ClipResult, Segment};
use crate::decision::State;
use crate::model::EmotionModel;

/// Which model produced a result: its metadata `name` and
/// [`crate::fingerprint::model_fingerprint`] of its ONNX bytes and metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelId {
    pub name: String,
    pub fingerprint: String,
}

impl ModelId {
    pub fn of(model: &EmotionModel) -> Self {
        Self { name: model.metadata().name.clone(), fingerprint: model.fingerprint().to_string() }
    }
}

impl std::fmt::Display for ModelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (fingerprint {})", self.name, self.fingerprint)
    }
}

/// A clip's or file's verdict with the probabilities keyed by label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipReport {
    /// The file as its caller names it; `None` (left out) for samples from memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub state: State,
    pub label: Option<String>,
    pub confidence: f32,
    pub speech: bool,
    pub calibrated: bool,
    /// Present, and true, only when a personal profile was mixed in.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub personal: bool,
    /// The id of that profile (never the clips it came from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub duration_s: f64,
    pub probabilities: BTreeMap<String, f32>,
    /// Empty unless the file was truncated or damaged (decoded as far as it goes).
    pub warnings: Vec<String>,
    pub model: ModelId,
    /// Only when asked for (left out otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<SegmentReport>>,
}

/// One model window of a clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentReport {
    pub start_s: f64,
    pub end_s: f64,
    pub speech: bool,
    pub speech_probability: f32,
    pub label: Option<String>,
    pub probabilities: BTreeMap<String, f32>,
}

/// Probabilities in the model's label order, keyed by label.
pub fn by_label(labels: &[String], probabilities: &[f32]) -> BTreeMap<String, f32> {
    labels.iter().cloned().zip(probabilities.iter().copied()).collect()
}

impl ClipReport {
    /// `result` named `path` (if a file), with the decoder's `warnings`, and its segments
    /// only `with_segments`.
    pub fn new(result: &ClipResult, path: Option<String>, warnings: Vec<String>, model: ModelId, with_segments: bool) -> Self {
        let labels = &result.labels;
        Self {
            path,
            state: result.state,
            label: result.label.clone(),
            confidence: result.confidence,
            speech: result.speech,
            calibrated: result.calibrated,
            personal: result.personal.is_some(),
            profile: result.personal.clone(),
            duration_s: result.duration_s,
            probabilities: by_label(labels, &result.probabilities),
            warnings,
            model,
            segments: with_segments.then(|| result.segments.iter().map(|s| SegmentReport::new(labels, s)).collect()),
        }
    }
}

impl SegmentReport {
    pub fn new(labels: &[String], s: &Segment) -> Self {
        Self {
            start_s: s.start_s,
            end_s: s.end_s,
            speech: s.speech,
            speech_probability: s.speech_probability,
            label: s.label.clone(),
            probabilities: by_label(labels, &s.probabilities),
        }
    }
}

/// `speech-emotion info` (and the Python package's `model_info()`): the model's metadata
/// with what the metadata alone does not say, the fingerprint of the model's bytes and how
/// a stream runs it (incremental, or the whole window and why).
pub fn model_info(model: &EmotionModel) -> serde_json::Result<serde_json::Value> {
    let mut info = serde_json::to_value(model.metadata())?;
    if let Some(object) = info.as_object_mut() {
        object.insert("fingerprint".into(), model.fingerprint().into());
        object.insert("streaming_mode".into(), serde_json::to_value(model.streaming_mode())?);
    }
    Ok(info)
}

/// A path as results and messages write it, distinct for distinct paths. A Unix file name is
/// bytes and need not be UTF-8: `to_string_lossy` would write `a\xff.wav` and `a\xfe.wav`
/// both as `a\u{fffd}.wav`. A path that is UTF-8 without a backslash is written as it is; any
/// other has each backslash doubled and each byte that is not UTF-8 written `\xNN`.
pub fn shown_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_bytes(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        path.display().to_string()
    }
}

/// The escaping of [`shown_path`] for raw bytes.
pub fn escape_bytes(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes)
        && !text.contains('\\')
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}
