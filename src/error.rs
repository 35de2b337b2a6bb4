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
    /// A NaN or infinite sample; the audio source is broken. `index` counts mono samples
    /// (frames: one per sample of every channel of a file) from the start of the clip,
    /// file or stream, however the audio was split into chunks.
    #[error("the sample at frame {index} (counted from the start; a frame is one sample of every channel) is not a finite number ({value})")]
    NonFiniteSample { index: usize, value: f32 },
    /// A sample far outside float audio's ±1 (see `audio::MAX_SAMPLE_MAGNITUDE`); `index`
    /// as for [`Error::NonFiniteSample`].
    #[error("the sample at frame {index} (counted from the start) is {value}: float audio must lie within ±1000 (nominally ±1); scale integer PCM to -1..1 first")]
    SampleOutOfRange { index: usize, value: f32 },
    /// A file or byte buffer that is not decodable audio (truncated, corrupt, unsupported).
    #[error("cannot decode audio: {0}")]
    Decode(String),
    /// Reading a file failed (or it is not a regular file of a size the engine reads). The
    /// message holds the OS error's text, so `error` is not also reported as the source:
    /// printers of error chains (`anyhow`'s `{:#}`) wrote it twice.
    #[error("cannot read {path}: {error}")]
    Io { path: String, error: std::io::Error },
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
    /// An error about a file that was also truncated or damaged: the decoding warnings
    /// (e.g. `truncated: header says 2.000 s, found 0.050 s`) are kept in the message,
    /// since a silent or empty result may be the truncation's fault.
    #[error("{error}; {note}")]
    Noted { error: Box<Error>, note: String },
}

impl Error {
    /// This error with the warnings of the file it is about (unchanged without any).
    pub fn noting<W: std::fmt::Display>(self, warnings: &[W]) -> Self {
        if warnings.is_empty() {
            return self;
        }
        let note = warnings.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Self::Noted { error: Box::new(self), note }
    }

    /// The error itself, without the warnings [`Error::noting`] added.
    pub fn without_notes(&self) -> &Self {
        match self {
            Self::Noted { error, .. } => error.without_notes(),
            other => other,
        }
    }

    /// The same error with every sample index moved `offset` frames later: chunked input
    /// reports positions from the start, not from the start of the chunk.
    pub(crate) fn shifted(self, offset: u64) -> Self {
        let at = |index: usize| usize::try_from(offset).ok().and_then(|o| index.checked_add(o)).unwrap_or(usize::MAX);
        match self {
            Self::NonFiniteSample { index, value } => Self::NonFiniteSample { index: at(index), value },
            Self::SampleOutOfRange { index, value } => Self::SampleOutOfRange { index: at(index), value },
            other => other,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
