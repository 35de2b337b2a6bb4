//! The emotion model: an ONNX graph run by tract, plus the metadata that says how to feed it.
//!
//! The shipped model is embedded with `include_bytes!`, so the library and the wasm build need
//! no files at run time. Any other model loads from bytes with [`EmotionModel::from_bytes`],
//! or from files with [`EmotionModel::from_files`] (read with [`read_model_file`] and
//! [`read_metadata_file`], which refuse what is not a regular file of a sensible size).

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;

use crate::features::{FeatureParams, NormalizationSpec};
use crate::incremental::{split_graph, RingState, Split, StreamingMode};
use crate::{Error, Result};

/// The shipped default model (4 classes) and its metadata. Statics, not consts: a const is
/// copied into every crate that names it, and the wasm module held the model twice.
pub static EMBEDDED_ONNX: &[u8] = include_bytes!("../models/emotion4.onnx");
pub static EMBEDDED_METADATA: &str = include_str!("../models/emotion4.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub layout: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    pub kind: String,
    pub temperature: f32,
}

/// Where the model says whether a window holds speech at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeechSpec {
    /// Index of the speech logit in the model's output (after the emotion logits).
    pub output_index: usize,
    /// Speech probability from which a window counts as speech.
    pub threshold: f32,
}

/// What a streaming runner needs to know about the network's time axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamingSpec {
    /// Input frames that one pooled frame depends on (valid convolutions).
    pub receptive_field: usize,
}

/// The largest model file [`read_model_file`] reads: the shipped models are about 80 KB, and a
/// model that runs live in a browser tab is a few MB at most.
pub const MAX_MODEL_BYTES: u64 = 64 << 20;

/// The largest metadata file [`read_metadata_file`] reads: the shipped ones are about 3 KB.
pub const MAX_METADATA_BYTES: u64 = 1 << 20;

/// Reads a whole file of at most `limit` bytes. The size is checked before reading, and the
/// read itself stops one byte past the limit, so neither a huge (or sparse) file nor one that
/// grows while it is read, nor a device such as `/dev/zero`, can exhaust memory; folders,
/// devices and pipes are refused before they are opened for reading. Errors are
/// [`Error::Io`] naming the path (and the limit, `what` saying what the file is for).
pub fn read_file_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let fail = |error: std::io::Error| Error::Io { path: path.display().to_string(), error };
    let other = |message: String| fail(std::io::Error::other(message));
    let too_big = |size: String| {
        other(format!("{size} is more than a {what} may be ({}); is this the right file?", format_bytes(limit)))
    };
    let info = std::fs::metadata(path).map_err(fail)?;
    if info.is_dir() {
        return Err(other(format!("this is a folder, not a {what}")));
    }
    if !info.is_file() {
        return Err(other(format!("not a regular file (a device, pipe or socket), so not a {what}")));
    }
    if info.len() > limit {
        return Err(too_big(format_bytes(info.len())));
    }
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut bytes = Vec::with_capacity(info.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > limit {
        return Err(too_big("the file grew while it was read and".into()));
    }
    Ok(bytes)
}

/// "64 MiB", "1.5 GiB", "812 bytes".
fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 { format!("{value} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Reads an ONNX model file (at most [`MAX_MODEL_BYTES`]; see [`read_file_limited`]).
pub fn read_model_file(path: &Path) -> Result<Vec<u8>> {
    read_file_limited(path, MAX_MODEL_BYTES, "model file (.onnx)")
}

/// Reads a model metadata file (at most [`MAX_METADATA_BYTES`]; see [`read_file_limited`]),
/// which must be UTF-8 text.
pub fn read_metadata_file(path: &Path) -> Result<String> {
    let bytes = read_file_limited(path, MAX_METADATA_BYTES, "metadata file (.json)")?;
    String::from_utf8(bytes).map_err(|e| Error::Metadata(format!("{}: not UTF-8 text ({e})", path.display())))
}

/// The metadata format this engine reads (CONTRACT §3).
pub const FORMAT_VERSION: u32 = 2;

/// What a model needs around it: labels, feature parameters, input layout and normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetadata {
    pub format_version: u32,
    pub name: String,
    pub labels: Vec<String>,
    /// Dataset labels that mean one of `labels` (e.g. `calm` → `neutral`).
    #[serde(default)]
    pub label_aliases: std::collections::BTreeMap<String, String>,
    pub features: FeatureParams,
    pub window_frames: usize,
    pub input: InputSpec,
    pub normalization: NormalizationSpec,
    pub output: OutputSpec,
    pub speech: SpeechSpec,
    pub uncertain_threshold: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<StreamingSpec>,
    /// Provenance written by the training script; carried along, not interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
}

impl ModelMetadata {
    pub fn from_json(json: &str) -> Result<Self> {
        // Editors on Windows may start a UTF-8 file with a byte order mark, which JSON
        // parsers refuse ("expected value at line 1 column 1").
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        // Read the version first, so an old file gets a clear message rather than
        // "missing field" for whatever the newer format added.
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::Metadata(e.to_string()))?;
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == FORMAT_VERSION as u64 => {}
            Some(1) => {
                return Err(Error::Metadata(
                    "format_version 1 (global mean/std normalisation, no speech output) is no longer supported: \
                     retrain or re-export the model with training/train.py, which writes format_version 2"
                        .into(),
                ));
            }
            Some(v) => return Err(Error::Metadata(format!("format_version {v} is not supported (expected {FORMAT_VERSION})"))),
            None => return Err(Error::Metadata("format_version is missing".into())),
        }
        let meta: Self = serde_json::from_value(value).map_err(|e| Error::Metadata(e.to_string()))?;
        meta.validate()?;
        Ok(meta)
    }

    /// Checks that the fields agree with each other, so a bad file fails at load, not mid-stream.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Metadata(msg));
        if self.format_version != FORMAT_VERSION {
            return bad(format!("format_version {} is not supported (expected {FORMAT_VERSION})", self.format_version));
        }
        if self.labels.len() < 2 {
            return bad(format!("need at least 2 labels, got {}", self.labels.len()));
        }
        if self.labels.iter().any(|l| l.trim().is_empty()) {
            return bad("labels must not be empty strings".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = self.labels.iter().find(|l| !seen.insert(l.as_str())) {
            return bad(format!("label \"{dup}\" appears more than once: every label needs its own output"));
        }
        for (from, to) in &self.label_aliases {
            if from.trim().is_empty() || seen.contains(from.as_str()) {
                return bad(format!("label alias \"{from}\" must be non-empty and not itself a label"));
            }
            if !seen.contains(to.as_str()) {
                return bad(format!("label alias \"{from}\" → \"{to}\": \"{to}\" is not one of the labels"));
            }
        }
        self.features.validate()?;
        let n_mfcc = self.features.n_mfcc;
        if self.window_frames == 0 || self.window_frames > 10_000 {
            return bad(format!("window_frames {} must be within 1..=10000", self.window_frames));
        }
        if self.input.shape != [1, self.window_frames, n_mfcc] {
            return bad(format!(
                "input.shape {:?} must be [1, window_frames, n_mfcc] = [1, {}, {n_mfcc}]",
                self.input.shape, self.window_frames
            ));
        }
        if self.input.layout != "batch,frames,coefficients" {
            return bad(format!("input.layout \"{}\" is not supported", self.input.layout));
        }
        self.normalization.validate(n_mfcc)?;
        if self.output.kind != "logits" {
            return bad(format!("output.kind \"{}\" is not supported (expected \"logits\")", self.output.kind));
        }
        if !(self.output.temperature.is_finite() && self.output.temperature > 0.0) {
            return bad(format!("output.temperature {} must be positive", self.output.temperature));
        }
        if !(0.0..=1.0).contains(&self.uncertain_threshold) {
            return bad(format!("uncertain_threshold {} must be within 0..=1", self.uncertain_threshold));
        }
        if self.speech.output_index != self.labels.len() {
            return bad(format!(
                "speech.output_index {} must follow the {} emotion logits",
                self.speech.output_index,
                self.labels.len()
            ));
        }
        if !(0.0..=1.0).contains(&self.speech.threshold) {
            return bad(format!("speech.threshold {} must be within 0..=1", self.speech.threshold));
        }
        if let Some(s) = &self.streaming {
            if s.receptive_field == 0 || s.receptive_field > self.window_frames {
                return bad(format!("streaming.receptive_field {} must be within 1..=window_frames", s.receptive_field));
            }
        }
        Ok(())
    }

    pub fn sample_rate(&self) -> u32 {
        self.features.sample_rate
    }

    /// Audio samples that yield exactly `window_frames` frames (see CONTRACT §1).
    pub fn window_samples(&self) -> usize {
        (self.window_frames - 1) * self.features.hop_length
    }

    pub fn window_seconds(&self) -> f64 {
        self.window_samples() as f64 / self.sample_rate() as f64
    }

    /// The model label a dataset label stands for: itself, its alias, or `None`.
    pub fn canonical_label<'a>(&'a self, label: &'a str) -> Option<&'a str> {
        if self.labels.iter().any(|l| l == label) {
            return Some(label);
        }
        self.label_aliases.get(label).map(String::as_str)
    }
}

/// One window's verdict from the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowOutput {
    /// Emotion probabilities in label order (temperature applied).
    pub probabilities: Vec<f32>,
    /// Probability that the window holds speech at all.
    pub speech_probability: f32,
}

/// A loaded, optimised model ready to classify windows of MFCC frames.
pub struct EmotionModel {
    meta: ModelMetadata,
    state: TypedSimpleState,
    input: Vec<f32>,
    /// The graph cut into per-frame layers and pooling plus head, when it can be
    /// (see [`crate::incremental`]); streams then compute only new frames.
    split: Option<Split>,
    streaming: StreamingMode,
}

impl std::fmt::Debug for EmotionModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmotionModel").field("name", &self.meta.name).field("labels", &self.meta.labels).finish()
    }
}

impl EmotionModel {
    /// The shipped default model.
    pub fn embedded() -> Result<Self> {
        Self::from_bytes(EMBEDDED_ONNX, EMBEDDED_METADATA)
    }

    /// Loads a model and its metadata from files, each read with a size limit
    /// ([`read_model_file`], [`read_metadata_file`]). Errors name the file.
    pub fn from_files(onnx_path: &Path, metadata_path: &Path) -> Result<Self> {
        let onnx = read_model_file(onnx_path)?;
        let json = read_metadata_file(metadata_path)?;
        Self::from_bytes(&onnx, &json).map_err(|e| match e {
            Error::Metadata(m) => Error::Metadata(format!("{}: {m}", metadata_path.display())),
            Error::Model(m) => Error::Model(format!("{}: {m}", onnx_path.display())),
            other => other,
        })
    }

    /// Loads an ONNX model and its metadata JSON, optimises the plan once for the fixed input
    /// shape, and runs it once to prove that the output matches the labels.
    pub fn from_bytes(onnx: &[u8], metadata_json: &str) -> Result<Self> {
        let meta = ModelMetadata::from_json(metadata_json)?;
        if onnx.is_empty() {
            return Err(Error::Model("the model file is empty".into()));
        }
        let shape = meta.input.shape.clone();
        // tract's graph analysis still panics on some malformed graphs (an `unwrap` on a
        // reduction axis out of range was found by fuzz/fuzz_targets/model_load.rs). A model
        // from bytes is untrusted input: such a panic is turned into an error here. (In
        // the browser a panic aborts the wasm instance instead; the page then restarts its
        // worker with a message.)
        let (proto, plan) = std::panic::catch_unwind(|| Self::plan(onnx, &shape))
            .unwrap_or_else(|panic| Err(Error::Model(format!("the graph could not be analysed: {}", panic_message(&panic)))))?;
        let state = plan.spawn().map_err(|e| Error::Model(format!("cannot start the model: {e:#}")))?;
        let input = vec![0.0; meta.window_frames * meta.features.n_mfcc];
        let streaming = StreamingMode::FullWindow { reason: "not analysed yet".into() };
        let mut model = Self { meta, state, input, split: None, streaming };
        let n_outputs = model.meta.labels.len() + 1;
        let probe = model.run()?;
        if probe.len() != n_outputs {
            return Err(Error::Model(format!(
                "the model outputs {} values but the metadata lists {} labels plus the speech output",
                probe.len(),
                n_outputs - 1
            )));
        }
        match model.split(&proto) {
            Ok(split) => {
                model.streaming = split.mode();
                model.split = Some(split);
            }
            Err(reason) => model.streaming = StreamingMode::FullWindow { reason },
        }
        Ok(model)
    }

    /// Cuts the graph for incremental streaming and checks the cut against the whole graph
    /// (see [`crate::incremental`]); any failure only means the stream runs whole windows.
    fn split(&mut self, proto: &tract_onnx::pb::ModelProto) -> std::result::Result<Split, String> {
        let meta = self.meta.clone();
        let graph = split_graph(proto, meta.window_frames)?;
        if let Some(declared) = &meta.streaming
            && declared.receptive_field != graph.receptive_field()
        {
            return Err(format!(
                "the metadata's streaming.receptive_field {} differs from the graph's {}",
                declared.receptive_field,
                graph.receptive_field()
            ));
        }
        // One trunk run per hop of the default stream; other hops take several or overlap.
        let hop_samples = (crate::stream::StreamConfig::default().hop_seconds * meta.sample_rate() as f64).round() as usize;
        let chunk = hop_samples.div_ceil(meta.features.hop_length).max(1);
        let mut full = |window: &[f32]| {
            self.input.copy_from_slice(window);
            self.run()
        };
        let (window, n_in) = (meta.window_frames, meta.features.n_mfcc);
        let build = std::panic::AssertUnwindSafe(|| Split::build(&graph, window, n_in, chunk, &mut full));
        std::panic::catch_unwind(build).unwrap_or_else(|panic| Err(format!("tract failed: {}", panic_message(&panic))))
    }

    /// Whether a stream computes only new frames with this model, or why it cannot.
    pub fn streaming_mode(&self) -> &StreamingMode {
        &self.streaming
    }

    /// A fresh ring of per-frame activations for a stream, when the model is split.
    pub(crate) fn new_ring(&self) -> Option<RingState> {
        self.split.as_ref().map(RingState::new)
    }

    /// Reads, checks and optimises the graph for the input shape.
    fn plan(onnx: &[u8], shape: &[usize]) -> Result<(tract_onnx::pb::ModelProto, Arc<TypedRunnableModel>)> {
        let model_err = |stage: &str, e: TractError| Error::Model(format!("{stage}: {e:#}"));
        let onnx_reader = tract_onnx::onnx();
        let proto = onnx_reader
            .proto_model_for_read(&mut std::io::Cursor::new(onnx))
            .map_err(|e| model_err("not a readable ONNX model", e))?;
        let graph = onnx_reader
            .model_for_proto_model(&proto)
            .map_err(|e| model_err("not a readable ONNX model", e))?;
        // tract indexes input 0 without checking (found by fuzz/fuzz_targets/model_load.rs).
        let (n_inputs, n_outputs) = (graph.inputs.len(), graph.outputs.len());
        if n_inputs != 1 || n_outputs != 1 {
            return Err(Error::Model(format!(
                "expected a graph with one input and one output, found {n_inputs} inputs and {n_outputs} outputs"
            )));
        }
        let plan = graph
            .with_input_fact(0, f32::fact(shape).into())
            .map_err(|e| model_err("input shape", e))?
            .into_typed()
            .and_then(crate::rewrites::optimize)
            .map_err(|e| model_err("cannot optimise the graph for the metadata's input shape", e))?
            .into_runnable()
            .map_err(|e| model_err("cannot build an execution plan", e))?;
        Ok((proto, plan))
    }

    pub fn metadata(&self) -> &ModelMetadata {
        &self.meta
    }

    pub fn labels(&self) -> &[String] {
        &self.meta.labels
    }

    /// The verdict on one window of normalised MFCC frames (see
    /// [`crate::features::SpeakerNormalizer`]), row-major `window_frames × n_mfcc`.
    pub fn predict(&mut self, normalized_window: &[f32]) -> Result<WindowOutput> {
        self.check_window(normalized_window)?;
        self.input.copy_from_slice(normalized_window);
        let logits = self.run()?;
        Ok(self.window_output(&logits))
    }

    /// The verdict of [`EmotionModel::predict`] on `normalized_window` (equal within float
    /// rounding), from the per-frame activations in `ring`: only those of the last
    /// `new_frames` frames are computed, the rest are the previous window's, shifted.
    /// Needs a split model.
    pub(crate) fn predict_incremental(
        &mut self,
        ring: &mut RingState,
        normalized_window: &[f32],
        new_frames: usize,
    ) -> Result<WindowOutput> {
        self.check_window(normalized_window)?;
        let split = self.split.as_mut().ok_or_else(|| Error::Model("the model is not split for streaming".into()))?;
        ring.update(split, normalized_window, new_frames)?;
        let logits = split.head(ring)?;
        if logits.len() != self.meta.labels.len() + 1 || logits.iter().any(|v| !v.is_finite()) {
            return Err(Error::Model("the model's head produced a non-finite or misshapen output".into()));
        }
        Ok(self.window_output(&logits))
    }

    fn check_window(&self, normalized_window: &[f32]) -> Result<()> {
        if normalized_window.len() != self.input.len() {
            return Err(Error::InvalidInput(format!(
                "a window is {} values ({} frames × {} coefficients), got {}",
                self.input.len(),
                self.meta.window_frames,
                self.meta.features.n_mfcc,
                normalized_window.len()
            )));
        }
        Ok(())
    }

    fn window_output(&self, logits: &[f32]) -> WindowOutput {
        let n = self.meta.labels.len();
        WindowOutput {
            probabilities: softmax(&logits[..n], self.meta.output.temperature),
            speech_probability: 1.0 / (1.0 + (-logits[self.meta.speech.output_index]).exp()),
        }
    }

    fn run(&mut self) -> Result<Vec<f32>> {
        let tensor = Tensor::from_shape(&self.meta.input.shape, &self.input)
            .map_err(|e| Error::Model(format!("input tensor: {e:#}")))?;
        let outputs =
            self.state.run(tvec!(tensor.into_tvalue())).map_err(|e| Error::Model(format!("inference failed: {e:#}")))?;
        let logits = first_output(&outputs)?;
        if logits.iter().any(|v| !v.is_finite()) {
            return Err(Error::Model("the model produced a non-finite output".into()));
        }
        Ok(logits)
    }
}

/// The first output of a plan, as a flat vector.
pub(crate) fn first_output(outputs: &[TValue]) -> Result<Vec<f32>> {
    let first = outputs.first().ok_or_else(|| Error::Model("the model has no output".into()))?;
    let view = first.to_plain_array_view::<f32>().map_err(|e| Error::Model(format!("output: {e:#}")))?;
    Ok(view.iter().copied().collect())
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied()).unwrap_or("unknown reason")
}

/// Numerically stable `softmax(logits / temperature)`.
pub fn softmax(logits: &[f32], temperature: f32) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&l| ((l - max) / temperature).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_is_a_distribution_and_keeps_order() {
        let p = softmax(&[1.0, 3.0, -2.0, 1000.0], 1.0);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[3] > 0.999);
        let q = softmax(&[1.0, 2.0], 2.0);
        assert!((q[1] / q[0] - 0.5f32.exp()).abs() < 1e-5);
    }
}
