//! `Stream`: the live view (the engine's `EmotionStream`) for audio that arrives in pieces,
//! one prediction per hop, in samples at any rate the engine accepts.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;

use speech_emotion::{EmotionStream, StreamConfig};

use crate::calibration::{profile_path, read_profile, Calibration, CalibrationArg};
use crate::errors::to_py;
use crate::model::{model_id, ModelChoice};
use crate::results::{ModelId, Prediction};
use crate::samples;

/// A live classifier: push samples as they arrive, get a prediction every hop.
#[pyclass(module = "speech_emotion", frozen)]
pub struct Stream {
    inner: Mutex<EmotionStream>,
    id: ModelId,
    labels: Vec<String>,
}

impl Stream {
    fn run<T: Send>(&self, py: Python<'_>, work: impl FnOnce(&mut EmotionStream) -> speech_emotion::Result<T> + Send) -> PyResult<T> {
        py.detach(|| work(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))).map_err(to_py)
    }
}

#[pymethods]
impl Stream {
    /// `sample_rate`: Hz of the samples to come (8–192 kHz). `hop_seconds` (between
    /// predictions), `smoothing` (weight of the newest window, 0–1] and
    /// `uncertain_threshold` default to the engine's live view. `profile`: a personal
    /// profile file made by `speech-emotion enrol` (its neutral clips calibrate, unless
    /// `calibration` is given too).
    #[new]
    #[pyo3(signature = (sample_rate, *, model=None, metadata=None, calibration=None, profile=None, hop_seconds=None, smoothing=None, uncertain_threshold=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        sample_rate: f64,
        model: Option<PathBuf>,
        metadata: Option<PathBuf>,
        calibration: Option<&Bound<'_, PyAny>>,
        profile: Option<&Bound<'_, PyAny>>,
        hop_seconds: Option<f64>,
        smoothing: Option<f32>,
        uncertain_threshold: Option<f32>,
    ) -> PyResult<Self> {
        let profile = profile_path(profile)?;
        let choice = ModelChoice::new(model, metadata)?;
        let calibration = CalibrationArg::extract(calibration)?;
        let defaults = StreamConfig::default();
        let config = StreamConfig {
            hop_seconds: hop_seconds.unwrap_or(defaults.hop_seconds),
            smoothing: smoothing.unwrap_or(defaults.smoothing),
            uncertain_threshold,
            ..defaults
        };
        let stream = py
            .detach(|| {
                let mut model = choice.load()?;
                let personal = profile.map(|path| read_profile(&model, &path)).transpose()?;
                let calibration = calibration.map(|c| c.profile(&mut model)).transpose()?;
                let mut stream = EmotionStream::new(model, sample_rate, config)?;
                if personal.is_some() {
                    stream.set_profile(personal)?;
                }
                if calibration.is_some() {
                    stream.set_calibration(calibration)?; // as on clips: a given calibration wins
                }
                Ok(stream)
            })
            .map_err(to_py)?;
        let (id, labels) = (model_id(stream.model()), stream.model().labels().to_vec());
        Ok(Self { inner: Mutex::new(stream), id, labels })
    }

    /// Feeds the next samples (`(frames,)` or `(frames, channels)`); returns a prediction
    /// for every hop they complete (often none for a short piece).
    fn push(&self, py: Python<'_>, samples: &Bound<'_, PyAny>) -> PyResult<Vec<Prediction>> {
        let mono = samples::mono(samples)?;
        let slice = mono.as_slice();
        let predictions = self.run(py, |s| s.push(slice))?;
        Ok(predictions.iter().map(|p| Prediction::new(p, &self.labels)).collect())
    }

    /// Forgets all audio (a calibration stays).
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        self.run(py, |s| {
            s.reset();
            Ok(())
        })
    }

    /// Calibrates to the speaker of these samples and starts again; returns the calibration.
    fn calibrate(&self, py: Python<'_>, samples: &Bound<'_, PyAny>, sample_rate: f64) -> PyResult<Calibration> {
        let mono = samples::mono(samples)?;
        let slice = mono.as_slice();
        let profile = self.run(py, |s| s.calibrate(slice, sample_rate))?;
        Ok(Calibration { profile })
    }

    /// The calibration in use, if any; set a Calibration, recordings or None (starts again).
    #[getter]
    fn get_calibration(&self) -> Option<Calibration> {
        let stream = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        stream.calibration().cloned().map(|profile| Calibration { profile })
    }

    #[setter]
    fn set_calibration(&self, py: Python<'_>, calibration: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let calibration = CalibrationArg::extract(calibration)?;
        self.run(py, |s| {
            let profile = calibration.map(|c| c.profile(s.model_mut())).transpose()?;
            s.set_calibration(profile)
        })
    }

    /// Hz of the samples `push` takes.
    #[getter]
    fn sample_rate(&self) -> u32 {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).input_rate()
    }

    #[getter]
    fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }

    #[getter]
    fn model(&self) -> ModelId {
        self.id.clone()
    }
}
