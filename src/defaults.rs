//! The engine's default timings, in one place: the stream, clips, calibration and the model's
//! incremental plan read them here; the page's copies are tested against them
//! (`tests/shared_facts.rs`).

/// Seconds between live predictions ([`crate::StreamConfig`]'s default hop); the
/// incremental plan runs one trunk chunk per such hop.
pub const STREAM_HOP_SECONDS: f64 = 0.25;

/// Seconds between the starts of a clip's windows ([`crate::ClipOptions`]'s default, the
/// CLI's `--segment-hop` unless the model's window is shorter); calibration cuts its sample
/// the same way.
pub const SEGMENT_HOP_SECONDS: f64 = 1.0;

/// Seconds of live speech the page and the npm package listen to when calibrating
/// (`calibrateLive()`'s default; 10–20 s is plenty, at least
/// [`crate::calibration::MIN_CALIBRATION_SECONDS`] of it speech).
pub const CALIBRATION_SECONDS: f64 = 15.0;
