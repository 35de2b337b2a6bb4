//! `speech_emotion._native`: the engine for Python. The package around it
//! (python/speech_emotion/) re-exports everything here and adds `speech_emotion.ray`.

mod audio;
mod calibration;
mod classifier;
mod errors;
mod model;
mod results;
mod samples;
mod stream;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("AUDIO_EXTENSIONS", speech_emotion::audio::AUDIO_EXTENSIONS.to_vec())?;
    m.add("SUPPORTED_FORMATS", speech_emotion::audio::SUPPORTED)?;
    errors::register(m)?;
    m.add_class::<classifier::Classifier>()?;
    m.add_class::<stream::Stream>()?;
    m.add_class::<calibration::Calibration>()?;
    m.add_class::<results::ClipResult>()?;
    m.add_class::<results::Segment>()?;
    m.add_class::<results::Prediction>()?;
    m.add_class::<results::ModelId>()?;
    m.add_function(wrap_pyfunction!(classifier::classify_file, m)?)?;
    m.add_function(wrap_pyfunction!(model::model_info, m)?)?;
    m.add_function(wrap_pyfunction!(audio::read_audio, m)?)?;
    Ok(())
}
