//! One error type for the whole library: every failure a caller can act on has its own variant.

/// Everything that can go wrong while decoding, analysing or classifying audio.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The sample rate is zero, negative, not finite, or outside 8–192 kHz.
    #[error("unsupported sample rate {0} Hz: expected 8000 to 192000 Hz")]
    InvalidSampleRate(f64),
    /// A channel count of zero, or a buffer whose length is not a multiple of it.
    #[error("invalid channel layout: {0}")]
    InvalidChannels(String),
    /// No samples at all where audio was required.
    #[error("empty audio: no samples to analyse")]
    EmptyAudio,
    /// Every sample is exactly zero: there is nothing to classify.
    #[error("the audio is digital silence (every sample is zero)")]
    Silence,
    /// A NaN or infinite sample; the audio source is broken.
    #[error("sample {index} is not a finite number ({value})")]
    NonFiniteSample { index: usize, value: f32 },
    /// A sample far outside float audio's ±1 (see `audio::MAX_SAMPLE_MAGNITUDE`).
    #[error("sample {index} is {value}: float audio must lie within ±1000 (nominally ±1); scale integer PCM to -1..1 first")]
    SampleOutOfRange { index: usize, value: f32 },
    /// A file or byte buffer that is not decodable audio (truncated, corrupt, unsupported).
    #[error("cannot decode audio: {0}")]
    Decode(String),
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io { path: String, #[source] source: std::io::Error },
    /// The model metadata is malformed or inconsistent with the model.
    #[error("invalid model metadata: {0}")]
    Metadata(String),
    /// The ONNX model cannot be loaded or run.
    #[error("model error: {0}")]
    Model(String),
    /// The resampler (rubato) refused its own configuration or buffers: a bug here, not a
    /// caller's mistake, so it is not reported as one.
    #[error("internal resampler error: {0}")]
    Resampler(String),
    /// Any other argument a caller got wrong.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
