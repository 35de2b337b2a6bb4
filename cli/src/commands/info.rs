//! `info`: the model's metadata, as JSON, with what the metadata alone does not say: the
//! fingerprint of the model's bytes and how a stream runs it.

use std::io::Write;

use anyhow::Result;

use speech_emotion::model::EmotionModel;

pub fn info(model: &EmotionModel) -> Result<()> {
    let info = speech_emotion::report::model_info(model)?;
    writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&info)?)?;
    Ok(())
}
