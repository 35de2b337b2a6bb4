"""Speech emotion recognition on the device: the speech-emotion engine (MFCC features and a
small ONNX model run by tract, compiled from Rust) for Python.

Nothing here touches the network, and importing it loads no model: the embedded model is
built on first use. Results are the CLI's (``speech-emotion classify``) to the
last digit: ``ClipResult.to_dict()`` is its JSON object.

    >>> import speech_emotion
    >>> speech_emotion.classify_file("clip.wav").label          # doctest: +SKIP
    'happy'

``speech_emotion.ray`` classifies archives with Ray Data (``pip install speech-emotion[ray]``).
"""

from ._native import (
    AUDIO_EXTENSIONS,
    SUPPORTED_FORMATS,
    Calibration,
    Classifier,
    ClipResult,
    DecodeError,
    EmptyAudioError,
    InvalidChannelsError,
    InvalidInputError,
    InvalidSampleRateError,
    MetadataError,
    ModelError,
    ModelId,
    NonFiniteSampleError,
    Prediction,
    ReadError,
    ResamplerError,
    SampleOutOfRangeError,
    Segment,
    SilenceError,
    SpeechEmotionError,
    Stream,
    __version__,
    classify_file,
    model_info,
    read_audio,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "SUPPORTED_FORMATS",
    "Calibration",
    "Classifier",
    "ClipResult",
    "DecodeError",
    "EmptyAudioError",
    "InvalidChannelsError",
    "InvalidInputError",
    "InvalidSampleRateError",
    "MetadataError",
    "ModelError",
    "ModelId",
    "NonFiniteSampleError",
    "Prediction",
    "ReadError",
    "ResamplerError",
    "SampleOutOfRangeError",
    "Segment",
    "SilenceError",
    "SpeechEmotionError",
    "Stream",
    "__version__",
    "classify_file",
    "model_info",
    "read_audio",
]
