//! Whole clips and files: `Classifier` (one model, reused) and `classify_file` (the
//! embedded model from a pool, or a model file). The GIL is released while audio is decoded
//! and classified, so threads classify in parallel.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;

use speech_emotion::classify::ClassifiedFile;
use speech_emotion::{speaker_profile, ClipOptions, EmotionModel};

use crate::calibration::{profile_path, read_profile, Calibration, CalibrationArg};
use crate::errors::{to_py, InvalidInputError};
use crate::model::{model_id, shown, with_model, ModelChoice};
use crate::results::{ClipResult, ModelId};
use crate::samples;

/// The model with the options every clip of a `Classifier` uses.
struct Engine {
    model: EmotionModel,
    options: ClipOptions,
}

/// The CLI's default hop between windows (one second, or the model's window if shorter),
/// or the one asked for, which must not exceed the window (audio would go unheard).
fn segment_hop(asked: Option<f64>, window_s: f64) -> PyResult<f64> {
    match asked {
        None => Ok(window_s.min(speech_emotion::defaults::SEGMENT_HOP_SECONDS)),
        Some(hop) if hop <= window_s + 1e-9 => Ok(hop),
        Some(hop) => Err(InvalidInputError::new_err(format!(
            "segment_hop={hop} is longer than the model's {window_s} s window, so the audio between windows would never be heard"
        ))),
    }
}

fn options(model: &mut EmotionModel, calibration: Option<&CalibrationArg>, profile: Option<&PathBuf>, hop: Option<f64>) -> PyResult<ClipOptions> {
    let segment_hop_seconds = segment_hop(hop, model.metadata().window_seconds())?;
    let calibration = calibration.map(|c| c.profile(model)).transpose().map_err(to_py)?;
    let profile = profile.map(|path| read_profile(model, path)).transpose().map_err(to_py)?;
    Ok(ClipOptions { segment_hop_seconds, calibration, profile })
}

fn file_result(file: &ClassifiedFile, path: String, id: &ModelId, segments: bool) -> ClipResult {
    let warnings = file.warnings.iter().map(ToString::to_string).collect();
    ClipResult::new(&file.result, Some(path), warnings, id, segments)
}

/// Classifies whole clips and files with one model, loaded once.
#[pyclass(module = "speech_emotion", frozen)]
pub struct Classifier {
    engine: Mutex<Engine>,
    id: ModelId,
    labels: Vec<String>,
}

impl Classifier {
    fn run<T: Send>(&self, py: Python<'_>, work: impl FnOnce(&mut Engine) -> speech_emotion::Result<T> + Send) -> PyResult<T> {
        py.detach(|| {
            let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
            work(&mut engine)
        })
        .map_err(to_py)
    }
}

#[pymethods]
impl Classifier {
    /// `model`: an ONNX file (its metadata: `metadata`, or the same path with `.json`);
    /// None for the embedded model. `calibration`: a Calibration, or recordings of the
    /// speaker (a path or a list of paths). `profile`: a personal profile file made by
    /// `speech-emotion enrol` for this model. `segment_hop`: seconds between
    /// windows (default: the CLI's, 1 s).
    #[new]
    #[pyo3(signature = (model=None, *, metadata=None, calibration=None, profile=None, segment_hop=None))]
    fn new(
        py: Python<'_>,
        model: Option<PathBuf>,
        metadata: Option<PathBuf>,
        calibration: Option<&Bound<'_, PyAny>>,
        profile: Option<&Bound<'_, PyAny>>,
        segment_hop: Option<f64>,
    ) -> PyResult<Self> {
        let profile = profile_path(profile)?;
        let choice = ModelChoice::new(model, metadata)?;
        let calibration = CalibrationArg::extract(calibration)?;
        let mut model = py.detach(|| choice.load()).map_err(to_py)?;
        let options = py.detach(|| options(&mut model, calibration.as_ref(), profile.as_ref(), segment_hop))?;
        let (id, labels) = (model_id(&model), model.labels().to_vec());
        Ok(Self { engine: Mutex::new(Engine { model, options }), id, labels })
    }

    /// Classifies mono `(frames,)` or `(frames, channels)` samples at `sample_rate` Hz.
    #[pyo3(signature = (samples, sample_rate, *, segments=false))]
    fn classify(&self, py: Python<'_>, samples: &Bound<'_, PyAny>, sample_rate: f64, segments: bool) -> PyResult<ClipResult> {
        let mono = samples::mono(samples)?;
        let slice = mono.as_slice();
        let result = self.run(py, |e| speech_emotion::classify_clip(&mut e.model, slice, sample_rate, &e.options))?;
        Ok(ClipResult::new(&result, None, Vec::new(), &self.id, segments))
    }

    /// Classifies an audio file (WAV, FLAC, MP3, AAC in M4A/MP4, Ogg Vorbis, AIFF, CAF/ALAC),
    /// decoded packet by packet.
    #[pyo3(signature = (path, *, segments=false))]
    fn classify_file(&self, py: Python<'_>, path: PathBuf, segments: bool) -> PyResult<ClipResult> {
        let file = self.run(py, |e| speech_emotion::classify_file(&mut e.model, &path, &e.options))?;
        Ok(file_result(&file, shown(&path), &self.id, segments))
    }

    /// Classifies an audio file's bytes; `path` names it in the result (and its extension
    /// helps to detect the format).
    #[pyo3(signature = (data, *, path=None, segments=false))]
    fn classify_bytes(&self, py: Python<'_>, data: &[u8], path: Option<PathBuf>, segments: bool) -> PyResult<ClipResult> {
        let hint = path.as_ref().and_then(|p| p.extension()).and_then(|e| e.to_str()).map(str::to_string);
        // One copy, without the GIL: the decoder owns its source.
        let file = self.run(py, |e| speech_emotion::classify_bytes(&mut e.model, data.to_vec(), hint.as_deref(), &e.options))?;
        let shown = path.as_deref().map(shown).unwrap_or_default();
        Ok(file_result(&file, shown, &self.id, segments))
    }

    /// Calibrates to the speaker of these samples (at least 3 s of their voice) and uses the
    /// calibration from now on; returns it, to reuse elsewhere.
    fn calibrate(&self, py: Python<'_>, samples: &Bound<'_, PyAny>, sample_rate: f64) -> PyResult<Calibration> {
        let mono = samples::mono(samples)?;
        let slice = mono.as_slice();
        let profile = self.run(py, |e| {
            let profile = speaker_profile(&mut e.model, slice, sample_rate)?;
            e.options.calibration = Some(profile.clone());
            Ok(profile)
        })?;
        Ok(Calibration { profile })
    }

    /// The calibration in use, if any. Set it to a Calibration, recordings (a path or a
    /// list of paths) or None.
    #[getter]
    fn get_calibration(&self) -> Option<Calibration> {
        let engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        engine.options.calibration.clone().map(|profile| Calibration { profile })
    }

    #[setter]
    fn set_calibration(&self, py: Python<'_>, calibration: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let calibration = CalibrationArg::extract(calibration)?;
        self.run(py, |e| {
            e.options.calibration = calibration.map(|c| c.profile(&mut e.model)).transpose()?;
            Ok(())
        })
    }

    /// The model's labels, the keys of every `probabilities`.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }

    /// The model's name and fingerprint.
    #[getter]
    fn model(&self) -> ModelId {
        self.id.clone()
    }

    fn __repr__(&self) -> String {
        format!("Classifier(model={:?}, fingerprint={:?})", self.id.0.name, self.id.0.fingerprint)
    }
}

/// Classifies one audio file: the CLI's `classify` for one path. `model`/`metadata`: an
/// ONNX file and its metadata (None: the embedded model, kept loaded between calls).
/// `calibration`: a Calibration or recordings of the speaker. `profile`: a personal profile
/// file made by `speech-emotion enrol` for this model.
#[pyfunction]
#[pyo3(signature = (path, *, model=None, metadata=None, calibration=None, profile=None, segments=false, segment_hop=None))]
#[allow(clippy::too_many_arguments)]
pub fn classify_file(
    py: Python<'_>,
    path: PathBuf,
    model: Option<PathBuf>,
    metadata: Option<PathBuf>,
    calibration: Option<&Bound<'_, PyAny>>,
    profile: Option<&Bound<'_, PyAny>>,
    segments: bool,
    segment_hop: Option<f64>,
) -> PyResult<ClipResult> {
    let profile = profile_path(profile)?;
    let choice = ModelChoice::new(model, metadata)?;
    let calibration = CalibrationArg::extract(calibration)?;
    let outcome = py.detach(|| {
        with_model(&choice, |model| -> PyResult<(ClassifiedFile, ModelId)> {
            let options = options(model, calibration.as_ref(), profile.as_ref(), segment_hop)?;
            let file = speech_emotion::classify_file(model, &path, &options).map_err(to_py)?;
            Ok((file, model_id(model)))
        })
    });
    let (file, id) = outcome.map_err(to_py)??;
    Ok(file_result(&file, shown(&path), &id, segments))
}
