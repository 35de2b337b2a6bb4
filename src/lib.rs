//! Speech emotion recognition that runs entirely on the device: audio in → MFCC →
//! speaker-relative normalisation → a small embedded ONNX model (tract) → emotion
//! probabilities, live or for whole clips. The same engine runs natively (the
//! `speech-emotion` CLI) and in the browser (the `speech-emotion-wasm` shell).
//!
//! ```no_run
//! use speech_emotion::{classify_clip, decode_file, ClipOptions, EmotionModel};
//!
//! let mut model = EmotionModel::embedded()?;
//! let clip = decode_file("speech.wav".as_ref())?;
//! let result = classify_clip(&mut model, &clip.to_mono()?, clip.sample_rate as f64, &ClipOptions::default())?;
//! match result.label {
//!     Some(label) => println!("{label} ({:.0} %)", 100.0 * result.confidence),
//!     None => println!("no speech"),
//! }
//! # Ok::<(), speech_emotion::Error>(())
//! ```
//!
//! Live audio: [`EmotionStream`]; a long file in constant memory: [`classify_file`]
//! ([`DecodeStream`] into a [`ClipClassifier`]); a speaker's baseline: [`speaker_profile`].
//! The modules hold the parts for those who build their own pipeline.
pub mod audio;
pub mod calibration;
pub mod classify;
pub mod decision;
pub mod error;
pub mod features;
pub mod fingerprint;
mod frame_window;
pub mod incremental;
pub mod metrics;
pub mod model;
mod rewrites;
pub mod stream;

// The front door: what a caller needs for the common tasks.
#[cfg(feature = "decode")]
pub use audio::{decode_file, decode_file_with_warnings, DecodeStream, DecodeWarning, Decoded};
pub use audio::{resample, DecodedAudio, StreamResampler};
pub use calibration::{speaker_profile, CalibrationBuilder};
pub use classify::{classify_clip, ClipClassifier, ClipOptions, ClipResult, Segment};
#[cfg(feature = "decode")]
pub use classify::{classify_file, ClassifiedFile};
pub use decision::State;
pub use error::{Error, Result};
pub use features::SpeakerProfile;
pub use fingerprint::model_fingerprint;
pub use incremental::StreamingMode;
pub use model::{EmotionModel, ModelMetadata};
pub use stream::{EmotionStream, Prediction, StreamConfig};
