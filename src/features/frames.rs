//! The one seam between audio and feature frames: [`FrameFeatures`]. The model's metadata
//! names its kind (`features.kind`) and [`frame_features`] builds it, so a new kind of
//! feature is one more implementation and one more arm here; the stream, clip and
//! calibration paths (`crate::front_end`) only see the trait.

use super::{FeatureParams, StreamingMfcc};
use crate::{Error, Result};

/// The feature kinds this engine computes (`features.kind` in a model's metadata).
pub const FEATURE_KINDS: &[&str] = &["mfcc"];

/// Feature frames from model-rate samples as they arrive.
pub trait FrameFeatures: Send {
    /// Values per frame.
    fn frame_len(&self) -> usize;
    /// Appends samples and calls `on_frame` with every frame that became complete.
    fn push(&mut self, samples: &[f32], on_frame: &mut dyn FnMut(&[f32]));
    /// Back to the state before any audio.
    fn reset(&mut self);
    /// The frame of digital silence: what a stream holds before any audio.
    fn silence_frame(&mut self) -> Vec<f32>;
}

impl FrameFeatures for StreamingMfcc {
    fn frame_len(&self) -> usize {
        self.n_mfcc()
    }

    fn push(&mut self, samples: &[f32], on_frame: &mut dyn FnMut(&[f32])) {
        StreamingMfcc::push(self, samples, on_frame);
    }

    fn reset(&mut self) {
        StreamingMfcc::reset(self);
    }

    fn silence_frame(&mut self) -> Vec<f32> {
        StreamingMfcc::silence_frame(self)
    }
}

/// The extractor `params.kind` names.
pub fn frame_features(params: &FeatureParams) -> Result<Box<dyn FrameFeatures>> {
    match params.kind.as_str() {
        "mfcc" => Ok(Box::new(StreamingMfcc::new(params)?)),
        other => Err(Error::Metadata(format!(
            "features: kind \"{other}\" is not one this engine computes ({})",
            FEATURE_KINDS.join(", ")
        ))),
    }
}
