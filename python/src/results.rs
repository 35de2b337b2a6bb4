//! Results as typed Python objects whose `to_dict()` is the CLI's JSON object: both
//! serialise the engine's `speech_emotion::report` records, the one home of those fields.
//!
//! Probabilities are f32 in the engine. The getters give the float that the JSON's shortest
//! decimal reads back as, so a getter, `to_dict()` and the CLI's output agree exactly.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use serde::Serialize;

use speech_emotion::report::{by_label, ClipReport, SegmentReport};
use speech_emotion::{ClipResult as EngineClip, ModelId as EngineModelId, Prediction as EnginePrediction, State};

/// The float that `x`'s JSON text (its shortest round-trip decimal) reads back as.
pub fn json_float(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

fn as_json_floats(map: &BTreeMap<String, f32>) -> BTreeMap<String, f64> {
    map.iter().map(|(k, &v)| (k.clone(), json_float(v))).collect()
}

/// `Some("happy")` as Python writes it: `'happy'`, or `None`.
fn py_text(value: Option<&str>) -> String {
    value.map_or_else(|| "None".to_string(), |v| format!("{v:?}"))
}

fn state_text(state: State) -> &'static str {
    match state {
        State::Emotion => "emotion",
        State::Uncertain => "uncertain",
        State::NoSpeech => "no_speech",
    }
}

/// `json.loads` of a serialised value: Python dicts, lists and floats equal to what the
/// CLI prints.
fn to_python<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| crate::errors::InvalidInputError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// Which model produced a result: its metadata name and the fingerprint of its bytes.
#[pyclass(module = "speech_emotion", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub struct ModelId(pub EngineModelId);

#[pymethods]
impl ModelId {
    #[getter]
    fn name(&self) -> String {
        self.0.name.clone()
    }
    #[getter]
    fn fingerprint(&self) -> String {
        self.0.fingerprint.clone()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0)
    }
    fn __repr__(&self) -> String {
        format!("ModelId(name={:?}, fingerprint={:?})", self.0.name, self.0.fingerprint)
    }
}

/// One model window of a clip (`segments=True`).
#[pyclass(module = "speech_emotion", frozen)]
#[derive(Debug, Clone)]
pub struct Segment {
    line: SegmentReport,
}

#[pymethods]
impl Segment {
    #[getter]
    fn start_s(&self) -> f64 {
        self.line.start_s
    }
    #[getter]
    fn end_s(&self) -> f64 {
        self.line.end_s
    }
    #[getter]
    fn speech(&self) -> bool {
        self.line.speech
    }
    #[getter]
    fn speech_probability(&self) -> f64 {
        json_float(self.line.speech_probability)
    }
    #[getter]
    fn label(&self) -> Option<String> {
        self.line.label.clone()
    }
    #[getter]
    fn probabilities(&self) -> BTreeMap<String, f64> {
        as_json_floats(&self.line.probabilities)
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.line)
    }
    fn __repr__(&self) -> String {
        let speech = if self.line.speech { "True" } else { "False" };
        format!("Segment(start_s={}, end_s={}, speech={speech}, label={})", self.line.start_s, self.line.end_s, py_text(self.line.label.as_deref()))
    }
}

/// The verdict for a whole clip or file.
#[pyclass(module = "speech_emotion", frozen)]
#[derive(Debug, Clone)]
pub struct ClipResult {
    line: ClipReport,
}

impl ClipResult {
    /// A result as the CLI writes it: `path` for files (None for arrays), the decoder's
    /// warnings, and the segments only when asked for.
    pub fn new(result: &EngineClip, path: Option<String>, warnings: Vec<String>, model: &ModelId, with_segments: bool) -> Self {
        Self { line: ClipReport::new(result, path, warnings, model.0.clone(), with_segments) }
    }
}

#[pymethods]
impl ClipResult {
    /// The file's path as given (None for an array).
    #[getter]
    fn path(&self) -> Option<String> {
        self.line.path.clone()
    }
    /// "emotion", "uncertain" (top probability below the model's threshold) or "no_speech".
    #[getter]
    fn state(&self) -> &'static str {
        state_text(self.line.state)
    }
    #[getter]
    fn label(&self) -> Option<String> {
        self.line.label.clone()
    }
    #[getter]
    fn confidence(&self) -> f64 {
        json_float(self.line.confidence)
    }
    #[getter]
    fn speech(&self) -> bool {
        self.line.speech
    }
    #[getter]
    fn calibrated(&self) -> bool {
        self.line.calibrated
    }
    /// Whether a personal profile was mixed in.
    #[getter]
    fn personal(&self) -> bool {
        self.line.personal
    }
    /// The id of that profile (None without one).
    #[getter]
    fn profile(&self) -> Option<String> {
        self.line.profile.clone()
    }
    #[getter]
    fn duration_s(&self) -> f64 {
        self.line.duration_s
    }
    #[getter]
    fn probabilities(&self) -> BTreeMap<String, f64> {
        as_json_floats(&self.line.probabilities)
    }
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.line.warnings.clone()
    }
    #[getter]
    fn model(&self) -> ModelId {
        ModelId(self.line.model.clone())
    }
    #[getter]
    fn segments(&self) -> Option<Vec<Segment>> {
        self.line.segments.as_ref().map(|all| all.iter().map(|line| Segment { line: line.clone() }).collect())
    }
    /// The CLI's JSON object for this result (`speech-emotion classify --format jsonl`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.line)
    }
    /// The CLI's JSON line for this result.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.line).map_err(|e| crate::errors::InvalidInputError::new_err(e.to_string()))
    }
    fn __repr__(&self) -> String {
        let path = self.line.path.as_deref().map(|p| format!("path={p:?}, ")).unwrap_or_default();
        format!(
            "ClipResult({path}state={:?}, label={}, confidence={})",
            state_text(self.line.state),
            py_text(self.line.label.as_deref()),
            json_float(self.line.confidence)
        )
    }
}

#[derive(Debug, Clone, Serialize)]
struct PredictionLine {
    time_s: f64,
    state: State,
    label: Option<String>,
    confidence: f32,
    probabilities: BTreeMap<String, f32>,
    raw_probabilities: BTreeMap<String, f32>,
    speech_probability: f32,
    level_db: f32,
    calibrated: bool,
    /// As in a clip's line: present, and true, only with a personal profile; its id.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    personal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
}

/// One update of a live stream.
#[pyclass(module = "speech_emotion", frozen)]
#[derive(Debug, Clone)]
pub struct Prediction {
    line: PredictionLine,
}

impl Prediction {
    pub fn new(p: &EnginePrediction, labels: &[String]) -> Self {
        Self {
            line: PredictionLine {
                time_s: p.time_s,
                state: p.state,
                label: p.label.clone(),
                confidence: p.confidence,
                probabilities: by_label(labels, &p.probabilities),
                raw_probabilities: by_label(labels, &p.raw_probabilities),
                speech_probability: p.speech_probability,
                level_db: p.level_db,
                calibrated: p.calibrated,
                personal: p.personal.is_some(),
                profile: p.personal.clone(),
            },
        }
    }
}

#[pymethods]
impl Prediction {
    /// Stream time (seconds) at the end of the analysed window.
    #[getter]
    fn time_s(&self) -> f64 {
        self.line.time_s
    }
    #[getter]
    fn state(&self) -> &'static str {
        state_text(self.line.state)
    }
    #[getter]
    fn label(&self) -> Option<String> {
        self.line.label.clone()
    }
    /// Smoothed top probability.
    #[getter]
    fn confidence(&self) -> f64 {
        json_float(self.line.confidence)
    }
    /// Smoothed probabilities by label.
    #[getter]
    fn probabilities(&self) -> BTreeMap<String, f64> {
        as_json_floats(&self.line.probabilities)
    }
    /// This window's probabilities, unsmoothed.
    #[getter]
    fn raw_probabilities(&self) -> BTreeMap<String, f64> {
        as_json_floats(&self.line.raw_probabilities)
    }
    #[getter]
    fn speech_probability(&self) -> f64 {
        json_float(self.line.speech_probability)
    }
    /// RMS level of the newest hop, dBFS.
    #[getter]
    fn level_db(&self) -> f64 {
        json_float(self.line.level_db)
    }
    #[getter]
    fn calibrated(&self) -> bool {
        self.line.calibrated
    }
    /// Whether a personal profile was mixed in.
    #[getter]
    fn personal(&self) -> bool {
        self.line.personal
    }
    /// The id of that profile (None without one).
    #[getter]
    fn profile(&self) -> Option<String> {
        self.line.profile.clone()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.line)
    }
    fn __repr__(&self) -> String {
        format!("Prediction(time_s={}, state={:?}, label={})", self.line.time_s, state_text(self.line.state), py_text(self.line.label.as_deref()))
    }
}
