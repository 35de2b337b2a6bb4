//! A speaker's calibration, from recordings of them (files, as the CLI's `--calibration`)
//! or from samples in memory.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use speech_emotion::audio::{downmix, DecodeStream};
use speech_emotion::{CalibrationBuilder, EmotionModel, PersonalProfile, SpeakerProfile};

use crate::errors::InvalidInputError;

/// A speaker's calibration: their baseline, to classify their voice relative to it. Made by
/// `Classifier.calibrate` / `Stream.calibrate`, or from files with `calibration=`.
#[pyclass(module = "speech_emotion", frozen)]
#[derive(Debug, Clone)]
pub struct Calibration {
    pub profile: SpeakerProfile,
}

#[pymethods]
impl Calibration {
    /// Seconds of voiced audio behind the calibration.
    #[getter]
    fn active_seconds(&self) -> f64 {
        self.profile.active_seconds
    }
    fn __repr__(&self) -> String {
        format!("Calibration(active_seconds={:.2})", self.profile.active_seconds)
    }
}

/// What `calibration=` was given: a `Calibration`, or recordings to make one from.
#[derive(Debug, Clone)]
pub enum CalibrationArg {
    Profile(SpeakerProfile),
    Files(Vec<PathBuf>),
}

impl CalibrationArg {
    /// `None`, a `Calibration`, a path, or a list or tuple of paths.
    pub fn extract(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Self>> {
        let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
        if let Ok(calibration) = value.cast::<Calibration>() {
            return Ok(Some(Self::Profile(calibration.get().profile.clone())));
        }
        if value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok() {
            let files: Vec<PathBuf> = value.extract()?;
            if files.is_empty() {
                return Err(InvalidInputError::new_err("calibration= is an empty list: give one or more recordings of the speaker"));
            }
            return Ok(Some(Self::Files(files)));
        }
        if value.cast::<PyString>().is_ok() || value.hasattr("__fspath__")? {
            return Ok(Some(Self::Files(vec![value.extract()?])));
        }
        Err(InvalidInputError::new_err(format!(
            "calibration= takes a Calibration, a path or a list of paths, not {}",
            value.get_type().name()?
        )))
    }

    /// The speaker profile (decoding and analysing the files: call without the GIL).
    pub fn profile(&self, model: &mut EmotionModel) -> speech_emotion::Result<SpeakerProfile> {
        match self {
            Self::Profile(profile) => Ok(profile.clone()),
            Self::Files(files) => from_files(model, files),
        }
    }
}

/// The CLI's `--calibration`: every file decoded packet by packet into one calibration, so
/// memory does not grow with the recordings (cli/src/audio_file.rs `calibration_profile`).
fn from_files(model: &mut EmotionModel, files: &[PathBuf]) -> speech_emotion::Result<SpeakerProfile> {
    let mut calibration: Option<CalibrationBuilder> = None;
    for path in files {
        let mut decoder = DecodeStream::open(path)?;
        let mut first = true;
        while let Some(chunk) = decoder.next_chunk()? {
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
            builder.push(model, &downmix(chunk.samples, chunk.channels)?)?;
        }
        decoder.finish()?;
    }
    match calibration {
        Some(calibration) => calibration.finish(model),
        None => Err(speech_emotion::Error::EmptyAudio),
    }
}

/// `profile=` of a clip or stream: the path of a profile written by `speech-emotion enrol`.
pub fn profile_path(profile: Option<&Bound<'_, PyAny>>) -> PyResult<Option<PathBuf>> {
    match profile {
        Some(p) if !p.is_none() => Ok(Some(p.extract::<PathBuf>()?)),
        _ => Ok(None),
    }
}

/// Reads a personal profile for `model` (size-capped, checked against the model).
pub fn read_profile(model: &EmotionModel, path: &Path) -> speech_emotion::Result<PersonalProfile> {
    let bytes = speech_emotion::model::read_file_limited(path, speech_emotion::profile::MAX_PROFILE_BYTES as u64, "personal profile")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| speech_emotion::Error::InvalidInput(format!("personal profile {} is not UTF-8 text", path.display())))?;
    PersonalProfile::from_json(&text, model)
}
