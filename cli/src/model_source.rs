//! Which model the commands run: the embedded one, or `--model` with its metadata. The bytes
//! are read once and every worker builds its own model from them; [`ModelId`] is the
//! identity (name and fingerprint) that every output names, so a result says which model
//! gave it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use speech_emotion::model::{EmotionModel, EMBEDDED_METADATA, EMBEDDED_ONNX};
// Which model produced a result: one definition, shared with the Python package.
pub use speech_emotion::report::ModelId;

use crate::pathname::shown;
use crate::read;

/// The model's bytes, read once (each worker builds its own model from them), with the
/// path it came from.
pub struct ModelSource {
    onnx: Cow<'static, [u8]>,
    json: Cow<'static, str>,
    path: Option<PathBuf>,
}

impl ModelSource {
    /// The embedded model, or `model` with its metadata (default: the model path with a
    /// `.json` extension), each read whole within the limits of [`read`].
    pub fn read(model: Option<&Path>, metadata: Option<&Path>) -> Result<Self> {
        let Some(model_path) = model else {
            return Ok(Self { onnx: EMBEDDED_ONNX.into(), json: EMBEDDED_METADATA.into(), path: None });
        };
        let metadata_path = metadata.map(Path::to_path_buf).unwrap_or_else(|| model_path.with_extension("json"));
        let onnx = read::read_capped(model_path, read::MAX_MODEL_BYTES, "model")?;
        let json = read::read_text_capped(&metadata_path, read::MAX_METADATA_BYTES, "metadata")?;
        Ok(Self { onnx: onnx.into(), json: json.into(), path: Some(model_path.to_path_buf()) })
    }

    /// The model and its identity (name and fingerprint of the bytes it was built from).
    pub fn load(&self) -> Result<(EmotionModel, ModelId)> {
        let model = EmotionModel::from_bytes(&self.onnx, &self.json).with_context(|| match &self.path {
            Some(path) => format!("cannot load model {}", shown(path)),
            None => "cannot load the built-in model".to_string(),
        })?;
        let id = ModelId::of(&model);
        Ok((model, id))
    }
}
