//! Which model runs: the embedded one, or a file with its metadata (by default the model's
//! path with a `.json` extension, as the CLI's `--model`/`--metadata`), and its identity.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::prelude::*;

use speech_emotion::EmotionModel;

use crate::errors::to_py;
use crate::results::ModelId;

/// Where a model comes from: `None` is the embedded model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelChoice {
    pub model: Option<PathBuf>,
    pub metadata: Option<PathBuf>,
}

impl ModelChoice {
    pub fn new(model: Option<PathBuf>, metadata: Option<PathBuf>) -> PyResult<Self> {
        if model.is_none() && metadata.is_some() {
            return Err(crate::errors::InvalidInputError::new_err("metadata= needs model= (the embedded model has its own)"));
        }
        Ok(Self { model, metadata })
    }

    /// Loads the model (call without the GIL: it parses and optimises the ONNX graph).
    pub fn load(&self) -> speech_emotion::Result<EmotionModel> {
        match &self.model {
            None => EmotionModel::embedded(),
            Some(onnx) => {
                let metadata = self.metadata.clone().unwrap_or_else(|| onnx.with_extension("json"));
                EmotionModel::from_files(onnx, &metadata)
            }
        }
    }
}

/// The identity every result names, as the CLI's `ModelId`.
pub fn model_id(model: &EmotionModel) -> ModelId {
    ModelId(speech_emotion::ModelId::of(model))
}

/// Embedded models ready for `classify_file` without a `Classifier`: loading one costs far
/// more than classifying a short clip. A call takes one (or loads one when every one is in
/// use by another thread) and gives it back, so threads classify in parallel.
static EMBEDDED: Mutex<Vec<EmotionModel>> = Mutex::new(Vec::new());

/// Runs `work` with an embedded model from the pool, or with a freshly loaded `choice`.
pub fn with_model<T>(choice: &ModelChoice, work: impl FnOnce(&mut EmotionModel) -> T) -> speech_emotion::Result<T> {
    if choice.model.is_some() {
        return Ok(work(&mut choice.load()?));
    }
    let pooled = EMBEDDED.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut model = match pooled {
        Some(model) => model,
        None => EmotionModel::embedded()?,
    };
    let out = work(&mut model);
    EMBEDDED.lock().unwrap_or_else(|e| e.into_inner()).push(model);
    Ok(out)
}

/// A path argument as the CLI writes it in its output (one rule, the engine's).
pub fn shown(path: &Path) -> String {
    speech_emotion::report::shown_path(path)
}

#[pyfunction]
#[pyo3(signature = (model=None, metadata=None))]
/// The model's metadata, fingerprint and streaming mode (`speech-emotion info`).
pub fn model_info(py: Python<'_>, model: Option<PathBuf>, metadata: Option<PathBuf>) -> PyResult<Bound<'_, PyAny>> {
    let choice = ModelChoice::new(model, metadata)?;
    let text = py.detach(|| with_model(&choice, |m| speech_emotion::report::model_info(m).map(|v| v.to_string()))).map_err(to_py)?
        .map_err(|e| crate::errors::MetadataError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}
