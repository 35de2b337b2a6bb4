#![doc = include_str!("../CRATE.md")]
pub mod audio;
pub mod calibration;
pub mod classify;
pub mod decision;
pub mod defaults;
pub mod error;
pub mod features;
pub mod fingerprint;
mod frame_window;
mod front_end;
pub mod incremental;
pub mod metrics;
pub mod model;
pub mod profile;
pub mod report;
mod rewrites;
pub mod stream;

// The front door: what a caller needs for the common tasks.
#[cfg(feature = "decode")]
pub use audio::{decode_file, decode_file_with_warnings, DecodeStream, Decoded};
pub use audio::{resample, DecodeWarning, DecodedAudio, StreamResampler};
pub use calibration::{speaker_profile, CalibrationBuilder};
pub use classify::{classify_clip, ClipClassifier, ClipOptions, ClipResult, Segment};
#[cfg(feature = "decode")]
pub use classify::{classify_bytes, classify_file, ClassifiedFile};
pub use decision::State;
pub use error::{Error, Result};
pub use features::SpeakerProfile;
pub use fingerprint::model_fingerprint;
pub use incremental::StreamingMode;
pub use model::{EmotionModel, ModelMetadata};
pub use profile::{PersonalProfile, ProfileBuilder};
pub use report::{ClipReport, ModelId, SegmentReport};
pub use stream::{EmotionStream, Prediction, StreamConfig};
