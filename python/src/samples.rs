//! numpy arrays into the engine's mono float samples. A C-contiguous 1-D float32 array is
//! read in place (no copy); any other accepted array is converted once. Integer PCM is
//! scaled exactly as the CLI's WAV reader scales it, and channels are averaged as the
//! engine's `downmix` averages them.

use numpy::{Element, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::{to_py, InvalidChannelsError, InvalidInputError};

/// More channels than any recording has: the decoder's own limit. A wider array is most
/// likely (channels, frames), the layout librosa returns.
const MAX_CHANNELS: usize = 64;

/// Mono samples, borrowed from the caller's array or converted.
pub enum Mono<'py> {
    Borrowed(PyReadonlyArrayDyn<'py, f32>),
    Owned(Vec<f32>),
}

impl Mono<'_> {
    pub fn as_slice(&self) -> &[f32] {
        match self {
            // Only C-contiguous arrays are borrowed, so the slice exists.
            Mono::Borrowed(array) => array.as_slice().expect("a contiguous array"),
            Mono::Owned(samples) => samples,
        }
    }
}

/// The accepted dtypes and how each becomes a float in -1..1.
const ACCEPTED: &str = "float32 or float64 (nominally -1..1), or int16, int32, int8 or uint8 PCM";

/// `samples` (a numpy array, or anything `numpy.asarray` takes) as mono float samples:
/// shape `(frames,)` or `(frames, channels)`.
pub fn mono<'py>(samples: &Bound<'py, PyAny>) -> PyResult<Mono<'py>> {
    let py = samples.py();
    let array = match samples.cast::<PyUntypedArray>() {
        Ok(array) => array.clone(),
        Err(_) => py.import("numpy")?.call_method1("asarray", (samples,))?.cast_into::<PyUntypedArray>()?,
    };
    let shape = array.shape().to_vec();
    let channels = match shape.as_slice() {
        [_] => 1,
        [_, channels] => *channels,
        _ => {
            return Err(InvalidChannelsError::new_err(format!(
                "expected a 1-D array (mono) or a 2-D array (frames, channels); got a {}-D array of shape {shape:?}",
                shape.len()
            )));
        }
    };
    if channels > MAX_CHANNELS {
        return Err(InvalidChannelsError::new_err(format!(
            "a 2-D array is (frames, channels): shape {shape:?} would have {channels} channels (at most {MAX_CHANNELS}); \
             for (channels, frames), as librosa returns, pass array.T"
        )));
    }
    let dtype = array.dtype();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        let typed = array.cast::<PyArrayDyn<f32>>()?;
        if channels == 1 && array.is_c_contiguous() {
            return Ok(Mono::Borrowed(typed.try_readonly().map_err(|e| InvalidInputError::new_err(e.to_string()))?));
        }
        return downmix(converted(typed, |s| s)?, channels);
    }
    let interleaved = if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        converted(array.cast::<PyArrayDyn<f64>>()?, |s| s as f32)?
    } else if dtype.is_equiv_to(&numpy::dtype::<i16>(py)) {
        converted(array.cast::<PyArrayDyn<i16>>()?, |s| f32::from(s) / 32_768.0)?
    } else if dtype.is_equiv_to(&numpy::dtype::<i32>(py)) {
        converted(array.cast::<PyArrayDyn<i32>>()?, |s| (f64::from(s) / 2_147_483_648.0) as f32)?
    } else if dtype.is_equiv_to(&numpy::dtype::<u8>(py)) {
        converted(array.cast::<PyArrayDyn<u8>>()?, |s| f32::from(s) / 128.0 - 1.0)?
    } else if dtype.is_equiv_to(&numpy::dtype::<i8>(py)) {
        converted(array.cast::<PyArrayDyn<i8>>()?, |s| f32::from(s) / 128.0)?
    } else {
        return Err(InvalidInputError::new_err(format!("unsupported dtype {dtype}: expected {ACCEPTED}")));
    };
    downmix(interleaved, channels)
}

/// The array's samples in row-major order (frame by frame, channels interleaved) as floats.
fn converted<T: Element + Copy>(array: &Bound<'_, PyArrayDyn<T>>, to_float: impl Fn(T) -> f32) -> PyResult<Vec<f32>> {
    let readonly = array.try_readonly().map_err(|e| InvalidInputError::new_err(e.to_string()))?;
    Ok(readonly.as_array().iter().map(|&s| to_float(s)).collect())
}

fn downmix<'py>(interleaved: Vec<f32>, channels: usize) -> PyResult<Mono<'py>> {
    if channels == 1 {
        return Ok(Mono::Owned(interleaved));
    }
    speech_emotion::audio::downmix(&interleaved, channels).map(Mono::Owned).map_err(to_py)
}
