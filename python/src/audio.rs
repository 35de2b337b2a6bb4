//! `read_audio`: a file decoded as the CLI decodes it, for code that wants the samples
//! (plots, its own windows) and for `Classifier.classify` on them.

use std::path::PathBuf;

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;

use crate::errors::to_py;

/// The file's samples as float32 `(frames, channels)` in -1..1 and its sample rate (Hz).
#[pyfunction]
pub fn read_audio<'py>(py: Python<'py>, path: PathBuf) -> PyResult<(Bound<'py, PyAny>, u32)> {
    let audio = py.detach(|| speech_emotion::decode_file(&path)).map_err(to_py)?;
    let frames = audio.samples.len() / audio.channels.max(1);
    let array = PyArray1::from_vec(py, audio.samples).reshape([frames, audio.channels])?;
    Ok((array.into_any(), audio.sample_rate))
}
