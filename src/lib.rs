//! Audio in → MFCC → embedded ONNX model → emotion probabilities.
pub mod audio;
pub mod calibration;
pub mod classify;
pub mod decision;
pub mod error;
pub mod features;
pub mod fingerprint;
pub mod metrics;
pub mod model;
pub mod stream;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
