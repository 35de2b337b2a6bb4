//! MFCC features, compatible with `librosa.feature.mfcc` under fixed, explicit parameters.
//!
//! Pipeline per frame: Hann window (centred in `n_fft`) → FFT → power spectrum →
//! Slaney mel filterbank → `10·log10(max(amin, S)) − 10·log10(max(amin, ref))` (no `top_db`)
//! → orthonormal DCT-II. See `docs/CONTRACT.md` for the equivalent librosa call.

mod dct;
mod dot;
mod frames;
mod mel;
mod mfcc;
mod normalize;
mod params;
mod window;

pub use dct::dct2_ortho_matrix;
pub use frames::{frame_features, FrameFeatures, FEATURE_KINDS};
pub use mel::{hz_to_mel_slaney, mel_filterbank, mel_to_hz_slaney, MelFilterbank};
pub use mfcc::{MfccExtractor, StreamingMfcc};
pub use normalize::{NormalizationSpec, SpeakerNormalizer, SpeakerProfile};
pub use params::FeatureParams;
pub use window::hann_window_centered;
