//! What was wrong with a file whose audio could still be used, in the words every front end
//! shows (the CLI's `warnings`, the page's file results): one home for the wording, also
//! in builds without the decoders (the page reads WAVs itself and asks the engine for it).

/// Part of a file could not be used; the audio that could is still returned.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeWarning {
    /// The file ends before the length its header gives.
    Truncated { expected_s: f64, found_s: f64 },
    /// Less audio than the header gives although the file did not end early: the reader
    /// skipped damaged data on its own (FLAC resynchronises on the next frame).
    Incomplete { expected_s: f64, found_s: f64 },
    /// Damaged packets were skipped (players do the same); the first was at `first_at_s`.
    SkippedPackets { count: usize, first_at_s: f64 },
    /// Damaged data after good audio ended decoding; the audio before `at_s` is kept.
    StoppedAtDamage { at_s: f64, reason: String },
}

impl std::fmt::Display for DecodeWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated { expected_s, found_s } => {
                write!(f, "truncated: header says {expected_s:.3} s, found {found_s:.3} s")
            }
            Self::Incomplete { expected_s, found_s } => {
                write!(f, "incomplete: header says {expected_s:.3} s, decoded {found_s:.3} s (damaged data skipped)")
            }
            Self::SkippedPackets { count, first_at_s } => {
                write!(f, "damaged: {count} undecodable packet(s) skipped, the first at {first_at_s:.3} s")
            }
            Self::StoppedAtDamage { at_s, reason } => {
                write!(f, "damaged: decoding stopped at {at_s:.3} s ({reason}); the audio before it is kept")
            }
        }
    }
}
