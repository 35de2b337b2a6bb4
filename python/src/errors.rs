//! The engine's errors as Python exceptions: one base class, `SpeechEmotionError`, and one
//! subclass per kind of `speech_emotion::Error`, each carrying the engine's message.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use speech_emotion::Error;

create_exception!(speech_emotion, SpeechEmotionError, PyException, "Every error the speech-emotion engine reports.");
create_exception!(speech_emotion, InvalidSampleRateError, SpeechEmotionError, "A sample rate that is not a whole number of Hz within 8–192 kHz.");
create_exception!(speech_emotion, InvalidChannelsError, SpeechEmotionError, "A channel layout the engine cannot use (zero channels, samples not dividing into channels, an array of the wrong shape).");
create_exception!(speech_emotion, EmptyAudioError, SpeechEmotionError, "No samples at all where audio was required.");
create_exception!(speech_emotion, SilenceError, SpeechEmotionError, "Every sample is exactly zero: nothing to classify.");
create_exception!(speech_emotion, NonFiniteSampleError, SpeechEmotionError, "A NaN or infinite sample.");
create_exception!(speech_emotion, SampleOutOfRangeError, SpeechEmotionError, "A float sample far outside ±1 (unscaled integer PCM, usually).");
create_exception!(speech_emotion, DecodeError, SpeechEmotionError, "Bytes or a file that are not decodable audio (corrupt, truncated to nothing, unsupported codec).");
create_exception!(speech_emotion, ReadError, SpeechEmotionError, "A file that cannot be read (missing, a folder, a device).");
create_exception!(speech_emotion, MetadataError, SpeechEmotionError, "Model metadata that is malformed or does not fit the model.");
create_exception!(speech_emotion, ModelError, SpeechEmotionError, "An ONNX model that cannot be loaded or run.");
create_exception!(speech_emotion, ResamplerError, SpeechEmotionError, "The resampler refused its own configuration: a bug in the engine.");
create_exception!(speech_emotion, InvalidInputError, SpeechEmotionError, "Any other argument the caller got wrong (a dtype, a dimension count, an option).");

/// The Python exception for an engine error: its kind picks the class (the kind of the
/// error inside a `Noted` one, whose message keeps the file's warnings).
pub fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error.without_notes() {
        Error::InvalidSampleRate(_) => InvalidSampleRateError::new_err(message),
        Error::InvalidChannels(_) => InvalidChannelsError::new_err(message),
        Error::EmptyAudio => EmptyAudioError::new_err(message),
        Error::Silence => SilenceError::new_err(message),
        Error::NonFiniteSample { .. } => NonFiniteSampleError::new_err(message),
        Error::SampleOutOfRange { .. } => SampleOutOfRangeError::new_err(message),
        Error::Decode(_) => DecodeError::new_err(message),
        Error::Io { .. } => ReadError::new_err(message),
        Error::Metadata(_) => MetadataError::new_err(message),
        Error::Model(_) => ModelError::new_err(message),
        Error::Resampler(_) => ResamplerError::new_err(message),
        Error::InvalidInput(_) => InvalidInputError::new_err(message),
        Error::Noted { .. } => unreachable!("without_notes removes every note"),
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SpeechEmotionError", py.get_type::<SpeechEmotionError>())?;
    m.add("InvalidSampleRateError", py.get_type::<InvalidSampleRateError>())?;
    m.add("InvalidChannelsError", py.get_type::<InvalidChannelsError>())?;
    m.add("EmptyAudioError", py.get_type::<EmptyAudioError>())?;
    m.add("SilenceError", py.get_type::<SilenceError>())?;
    m.add("NonFiniteSampleError", py.get_type::<NonFiniteSampleError>())?;
    m.add("SampleOutOfRangeError", py.get_type::<SampleOutOfRangeError>())?;
    m.add("DecodeError", py.get_type::<DecodeError>())?;
    m.add("ReadError", py.get_type::<ReadError>())?;
    m.add("MetadataError", py.get_type::<MetadataError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("ResamplerError", py.get_type::<ResamplerError>())?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    Ok(())
}
