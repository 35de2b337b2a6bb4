//! The emotion model: an ONNX graph run by tract, plus the metadata that says how to feed it.
//!
//! The shipped model is embedded with `include_bytes!`, so the library and the wasm build need
//! no files at run time. Any other model loads from bytes with [`EmotionModel::from_bytes`].

use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;

use crate::features::FeatureParams;
use crate::{Error, Result};

/// The shipped default model (4 classes) and its metadata.
pub const EMBEDDED_ONNX: &[u8] = include_bytes!("../models/emotion4.onnx");
pub const EMBEDDED_METADATA: &str = include_str!("../models/emotion4.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub layout: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    pub kind: String,
    pub temperature: f32,
}

/// What a model needs around it: labels, feature parameters, input layout and normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetadata {
    pub format_version: u32,
    pub name: String,
    pub labels: Vec<String>,
    pub features: FeatureParams,
    pub window_frames: usize,
    pub input: InputSpec,
    pub normalization: Normalization,
    pub output: OutputSpec,
    pub uncertain_threshold: f32,
    /// Provenance written by the training script; carried along, not interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
}

impl ModelMetadata {
    pub fn from_json(json: &str) -> Result<Self> {
        let meta: Self = serde_json::from_str(json).map_err(|e| Error::Metadata(e.to_string()))?;
        meta.validate()?;
        Ok(meta)
    }

    /// Checks that the fields agree with each other, so a bad file fails at load, not mid-stream.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Metadata(msg));
        if self.format_version != 1 {
            return bad(format!("format_version {} is not supported (expected 1)", self.format_version));
        }
        if self.labels.len() < 2 {
            return bad(format!("need at least 2 labels, got {}", self.labels.len()));
        }
        if self.labels.iter().any(|l| l.trim().is_empty()) {
            return bad("labels must not be empty strings".into());
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
        let norm = &self.normalization;
        if norm.mean.len() != n_mfcc || norm.std.len() != n_mfcc {
            return bad(format!(
                "normalization needs {n_mfcc} means and stds, got {} and {}",
                norm.mean.len(),
                norm.std.len()
            ));
        }
        if norm.mean.iter().any(|m| !m.is_finite()) || norm.std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return bad("normalization values must be finite, with std > 0".into());
        }
        if self.output.kind != "logits" {
            return bad(format!("output.kind \"{}\" is not supported (expected \"logits\")", self.output.kind));
        }
        if !(self.output.temperature.is_finite() && self.output.temperature > 0.0) {
            return bad(format!("output.temperature {} must be positive", self.output.temperature));
        }
        if !(0.0..=1.0).contains(&self.uncertain_threshold) {
            return bad(format!("uncertain_threshold {} must be within 0..=1", self.uncertain_threshold));
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
}

/// A loaded, optimised model ready to classify windows of MFCC frames.
pub struct EmotionModel {
    meta: ModelMetadata,
    state: TypedSimpleState,
    input: Vec<f32>,
    inv_std: Vec<f32>,
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

    /// Loads an ONNX model and its metadata JSON, optimises the plan once for the fixed input
    /// shape, and runs it once to prove that the output matches the labels.
    pub fn from_bytes(onnx: &[u8], metadata_json: &str) -> Result<Self> {
        let meta = ModelMetadata::from_json(metadata_json)?;
        if onnx.is_empty() {
            return Err(Error::Model("the model file is empty".into()));
        }
        let model_err = |stage: &str, e: TractError| Error::Model(format!("{stage}: {e:#}"));
        let shape = meta.input.shape.clone();
        let graph = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(onnx))
            .map_err(|e| model_err("not a readable ONNX model", e))?;
        // tract indexes input 0 without checking (found by fuzz/fuzz_targets/model_load.rs).
        let (n_inputs, n_outputs) = (graph.inputs.len(), graph.outputs.len());
        if n_inputs != 1 || n_outputs != 1 {
            return Err(Error::Model(format!(
                "expected a graph with one input and one output, found {n_inputs} inputs and {n_outputs} outputs"
            )));
        }
        let plan = graph
            .with_input_fact(0, f32::fact(&shape).into())
            .map_err(|e| model_err("input shape", e))?
            .into_optimized()
            .map_err(|e| model_err("cannot optimise the graph for the metadata's input shape", e))?
            .into_runnable()
            .map_err(|e| model_err("cannot build an execution plan", e))?;
        let state = plan.spawn().map_err(|e| model_err("cannot start the model", e))?;
        let inv_std = meta.normalization.std.iter().map(|s| 1.0 / s).collect();
        let input = vec![0.0; meta.window_frames * meta.features.n_mfcc];
        let mut model = Self { meta, state, input, inv_std };
        let n_labels = model.meta.labels.len();
        let probe = model.run_normalized()?;
        if probe.len() != n_labels {
            return Err(Error::Model(format!(
                "the model outputs {} values but the metadata lists {n_labels} labels",
                probe.len()
            )));
        }
        Ok(model)
    }

    pub fn metadata(&self) -> &ModelMetadata {
        &self.meta
    }

    pub fn labels(&self) -> &[String] {
        &self.meta.labels
    }

    /// Class probabilities for one window of raw (unnormalised) MFCC frames, row-major
    /// `window_frames × n_mfcc`.
    pub fn predict(&mut self, mfcc_window: &[f32]) -> Result<Vec<f32>> {
        if mfcc_window.len() != self.input.len() {
            return Err(Error::InvalidInput(format!(
                "a window is {} values ({} frames × {} coefficients), got {}",
                self.input.len(),
                self.meta.window_frames,
                self.meta.features.n_mfcc,
                mfcc_window.len()
            )));
        }
        let n_mfcc = self.meta.features.n_mfcc;
        let mean = &self.meta.normalization.mean;
        for (dst, src) in self.input.chunks_exact_mut(n_mfcc).zip(mfcc_window.chunks_exact(n_mfcc)) {
            for k in 0..n_mfcc {
                dst[k] = (src[k] - mean[k]) * self.inv_std[k];
            }
        }
        let logits = self.run_normalized()?;
        Ok(softmax(&logits, self.meta.output.temperature))
    }

    fn run_normalized(&mut self) -> Result<Vec<f32>> {
        let tensor = Tensor::from_shape(&self.meta.input.shape, &self.input)
            .map_err(|e| Error::Model(format!("input tensor: {e:#}")))?;
        let outputs =
            self.state.run(tvec!(tensor.into_tvalue())).map_err(|e| Error::Model(format!("inference failed: {e:#}")))?;
        let first = outputs.first().ok_or_else(|| Error::Model("the model has no output".into()))?;
        let view = first.to_plain_array_view::<f32>().map_err(|e| Error::Model(format!("output: {e:#}")))?;
        let logits: Vec<f32> = view.iter().copied().collect();
        if logits.iter().any(|v| !v.is_finite()) {
            return Err(Error::Model("the model produced a non-finite output".into()));
        }
        Ok(logits)
    }
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
