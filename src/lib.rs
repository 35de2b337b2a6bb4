//! Audio in → MFCC → embedded ONNX model → emotion probabilities.
pub mod audio;
pub mod error;
pub mod features;
pub mod model;
pub mod stream;
pub mod classify;
pub mod metrics;
pub mod fingerprint;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
