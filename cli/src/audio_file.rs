//! Audio files into the engine, decoded packet by packet so memory does not grow with the
//! length of a recording: a file to classify (both `classify` and `evaluate` classify files
//! this way) and the `--calibration` files every command starts from.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use speech_emotion::audio::{downmix, DecodeStream};
use speech_emotion::calibration::CalibrationBuilder;
use speech_emotion::classify::{ClipClassifier, ClipOptions, ClipResult};
use speech_emotion::features::SpeakerProfile;
use speech_emotion::model::EmotionModel;

use crate::pathname::shown;

/// A classified file and what was wrong with it (truncation, damage), if anything.
pub struct FileOutcome {
    pub result: ClipResult,
    pub warnings: Vec<String>,
}

/// The speaker profile of the calibration files, joined, or `None` without any. Each file is
/// decoded packet by packet into the engine's calibration, so memory does not grow with it.
pub fn calibration_profile(model: &mut EmotionModel, files: &[PathBuf]) -> Result<Option<SpeakerProfile>> {
    let mut calibration: Option<CalibrationBuilder> = None;
    for path in files {
        let context = || format!("calibration file {}", shown(path));
        let mut decoder = DecodeStream::open(path).with_context(context)?;
        let mut first = true;
        while let Some(chunk) = decoder.next_chunk().with_context(context)? {
            let rate = f64::from(chunk.sample_rate);
            let builder = match &mut calibration {
                Some(open) => {
                    if first {
                        open.next_source(model, rate)?;
                    }
                    open
                }
                None => calibration.insert(CalibrationBuilder::new(model.metadata(), rate)?),
            };
            first = false;
            builder.push(model, &downmix(chunk.samples, chunk.channels)?).with_context(context)?;
        }
        decoder.finish().with_context(context)?;
    }
    let Some(calibration) = calibration else { return Ok(None) };
    Ok(Some(calibration.finish(model).context("calibration")?))
}

/// Decodes packet by packet into the classifier, so memory does not grow with the length
/// of the recording; keeps what a truncated or damaged file holds, with warnings.
pub fn classify_path(model: &mut EmotionModel, path: &Path, options: &ClipOptions) -> Result<FileOutcome> {
    // The caller names the path; the messages here say what is wrong with it.
    if path.is_dir() {
        bail!("is a folder, not an audio file");
    }
    let mut decoder = DecodeStream::open(path)?;
    let mut clip: Option<ClipClassifier> = None;
    while let Some(chunk) = decoder.next_chunk()? {
        let classifier = match &mut clip {
            Some(open) => open,
            None => clip.insert(ClipClassifier::new(model.metadata(), f64::from(chunk.sample_rate), options)?),
        };
        classifier.push(model, &downmix(chunk.samples, chunk.channels)?)?;
    }
    let warnings = decoder.finish()?;
    let classifier = clip.context("no audio decoded")?;
    let result = classifier.finish(model)?;
    Ok(FileOutcome { result, warnings: warnings.iter().map(ToString::to_string).collect() })
}
