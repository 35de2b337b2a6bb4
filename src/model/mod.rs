//! The emotion model: an ONNX graph run by tract, plus the metadata that says how to feed it.
//!
//! The shipped model is embedded with `include_bytes!`, so the library and the wasm build need
//! no files at run time. Any other model loads from bytes with [`EmotionModel::from_bytes`],
//! or from files with [`EmotionModel::from_files`] (read with [`read_model_file`] and
//! [`read_metadata_file`], which refuse what is not a regular file of a sensible size).

mod metadata;
mod read;

use std::path::Path;

use serde::Serialize;
use tract_onnx::prelude::*;

use crate::incremental::{split_graph, RingState, Split, StreamingMode};
use crate::{Error, Result};

pub use metadata::{InputSpec, ModelMetadata, OutputSpec, PersonalSpec, SpeechSpec, StreamingSpec, FORMAT_VERSION};
pub use read::{read_file_limited, read_metadata_file, read_model_file, MAX_METADATA_BYTES, MAX_MODEL_BYTES};

/// The shipped default model (4 classes) and its metadata. Statics, not consts: a const is
/// copied into every crate that names it, and the wasm module held the model twice.
pub static EMBEDDED_ONNX: &[u8] = include_bytes!("../../models/emotion4.onnx");
pub static EMBEDDED_METADATA: &str = include_str!("../../models/emotion4.json");

/// One window's verdict from the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowOutput {
    /// Emotion probabilities in label order (temperature applied).
    pub probabilities: Vec<f32>,
    /// Probability that the window holds speech at all.
    pub speech_probability: f32,
    /// The pooled embedding the linear head reads (what a [`crate::PersonalProfile`]
    /// compares); empty when the model's last layer is not a linear one.
    #[serde(skip)]
    pub embedding: Vec<f32>,
}

/// A loaded, optimised model ready to classify windows of MFCC frames.
pub struct EmotionModel {
    meta: ModelMetadata,
    /// [`crate::model_fingerprint`] of the bytes it was loaded from.
    fingerprint: String,
    state: TypedSimpleState,
    input: Vec<f32>,
    /// The graph cut into per-frame layers and pooling plus head, when it can be
    /// (see [`crate::incremental`]); streams then compute only new frames.
    split: Option<Split>,
    streaming: StreamingMode,
    /// The last run's pooled embedding (see [`WindowOutput::embedding`]).
    embedding: Vec<f32>,
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
        let fingerprint = crate::fingerprint::model_fingerprint(onnx, metadata_json);
        let mut model = Self { meta, fingerprint, state, input, split: None, streaming, embedding: Vec::new() };
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
        let hop_samples = (crate::defaults::STREAM_HOP_SECONDS * meta.sample_rate() as f64).round() as usize;
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
        let mut proto = onnx_reader
            .proto_model_for_read(&mut std::io::Cursor::new(onnx))
            .map_err(|e| model_err("not a readable ONNX model", e))?;
        let declared_outputs = proto.graph.as_ref().map_or(0, |g| g.output.len());
        if declared_outputs == 1 {
            expose_embedding(&mut proto);
        }
        let graph = onnx_reader
            .model_for_proto_model(&proto)
            .map_err(|e| model_err("not a readable ONNX model", e))?;
        // tract indexes input 0 without checking (found by fuzz/fuzz_targets/model_load.rs).
        let (n_inputs, n_outputs) = (graph.inputs.len(), declared_outputs);
        if n_inputs != 1 || n_outputs != 1 {
            return Err(Error::Model(format!(
                "expected a graph with one input and one output, found {n_inputs} inputs and {n_outputs} outputs"
            )));
        }
        let stages = ["input shape", "cannot optimise the graph for the metadata's input shape", "cannot build an execution plan"];
        let plan = crate::rewrites::plan(graph, &[shape.to_vec()], stages).map_err(Error::Model)?;
        Ok((proto, plan))
    }

    pub fn metadata(&self) -> &ModelMetadata {
        &self.meta
    }

    /// Which model this is: [`crate::model_fingerprint`] of the ONNX bytes and metadata it
    /// was loaded from (16 hex digits), as every CLI result and page export records it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
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

    /// Dimensions of the pooled embedding (0 when the model exposes none).
    pub fn embedding_dim(&self) -> usize {
        self.embedding.len()
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
        let outputs = split.head_outputs(ring)?;
        let logits = first_output(&outputs)?;
        if logits.len() != self.meta.labels.len() + 1 || logits.iter().any(|v| !v.is_finite()) {
            return Err(Error::Model("the model's head produced a non-finite or misshapen output".into()));
        }
        self.embedding = embedding_output(&outputs)?;
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
            embedding: self.embedding.clone(),
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
        self.embedding = embedding_output(&outputs)?;
        Ok(logits)
    }
}

/// Adds the input of the graph's last layer to its outputs, after the logits, when that
/// layer is linear (`Gemm`, `MatMul`): the pooled embedding a personal profile compares.
/// A graph whose last layer is anything else runs as it is, without an embedding.
fn expose_embedding(proto: &mut tract_onnx::pb::ModelProto) {
    let Some(graph) = proto.graph.as_mut() else { return };
    let Some(logits) = graph.output.first().map(|o| o.name.clone()) else { return };
    let Some(head) = graph.node.iter().find(|n| n.output.contains(&logits)) else { return };
    if !matches!(head.op_type.as_str(), "Gemm" | "MatMul") {
        return;
    }
    let Some(embedding) = head.input.first().filter(|name| !name.is_empty()).cloned() else { return };
    let is_computed = graph.node.iter().any(|n| n.output.contains(&embedding));
    if is_computed {
        graph.output.push(tract_onnx::pb::ValueInfoProto { name: embedding, r#type: None, doc_string: String::new() });
    }
}

/// The second output of a plan (the pooled embedding), flattened; empty when there is none.
fn embedding_output(outputs: &[TValue]) -> Result<Vec<f32>> {
    let Some(second) = outputs.get(1) else { return Ok(Vec::new()) };
    let view = second.to_plain_array_view::<f32>().map_err(|e| Error::Model(format!("embedding output: {e:#}")))?;
    let embedding: Vec<f32> = view.iter().copied().collect();
    if embedding.iter().any(|v| !v.is_finite()) {
        return Err(Error::Model("the model produced a non-finite embedding".into()));
    }
    Ok(embedding)
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
