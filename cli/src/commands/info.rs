//! `info`: the model's metadata, as JSON, with what the metadata alone does not say: the
//! fingerprint of the model's bytes and how a stream runs it.

use std::io::Write;

use anyhow::Result;

use speech_emotion::model::EmotionModel;

use crate::model_source::ModelId;

pub fn info(model: &EmotionModel, model_id: &ModelId) -> Result<()> {
    let mut info = serde_json::to_value(model.metadata())?;
    if let Some(object) = info.as_object_mut() {
        object.insert("fingerprint".into(), model_id.fingerprint.clone().into());
        // How a stream runs this model: incremental, or the whole window and why.
        object.insert("streaming_mode".into(), serde_json::to_value(model.streaming_mode())?);
    }
    writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&info)?)?;
    Ok(())
}
