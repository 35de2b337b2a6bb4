"""Speaker-relative input normalisation, exactly as the Rust engine applies it
(src/features/normalize.rs; docs/CONTRACT.md §2). Light dependencies: numpy only.

Why: microphone gain and colour add a constant to every log-mel band of every frame, which
the model must not read as emotion. Each frame is therefore normalised against a running
estimate of the speaker's own mean MFCC (a baseline), causally: frame t sees only frames
<= t, so a stream and a whole clip give the same numbers and past frames never change.

    level_t  = mean log-mel dB of frame t  (= c0 / sqrt(n_mels))
    peak_t   = max(level_t, peak_{t-1} - decay)             (decay per frame)
    noise_t  = min(level_t, noise_{t-1} + rise)             (a slowly rising noise floor)
    active_t = level_t >= floor_db and level_t >= peak_t - below_peak_db
               and level_t >= noise_t + above_noise_db
    baseline_t = (prior_frames * prior_mean + history_sum + sum_{u<=t, active} mfcc_u)
                 / (prior_frames + history_count + #{u<=t, active})      (per coefficient)
    input_t  = (mfcc_t - baseline_t) / scale

`prior_frames` is small for c0 (the level: mostly the speaker's own) and large for the other
coefficients (spectral shape adapts slowly). A calibration sample, or earlier speech of the
same stream, enters as `history_sum`/`history_count`: the same rule, started earlier.
All parameters live in the model metadata's `normalization` block.
"""
from __future__ import annotations

import numpy as np


def frame_levels(mfcc: np.ndarray, n_mels: int) -> np.ndarray:
    """Mean log-mel power of each frame in dB: with the orthonormal DCT, c0 / sqrt(n_mels)."""
    return mfcc[:, 0] / np.sqrt(n_mels)


def active_frames(levels: np.ndarray, spec: dict, hop_seconds: float) -> np.ndarray:
    """Frames that count towards the baseline: above an absolute floor (digital silence and
    padding are not speech), within `active_below_peak_db` of a slowly decaying peak, and
    `active_above_noise_db` above a slowly rising noise floor (so the room before the first
    word, or a steady hum, does not become the speaker's baseline)."""
    decay = spec["peak_decay_db_per_s"] * hop_seconds
    rise = spec["noise_rise_db_per_s"] * hop_seconds
    idx = np.arange(len(levels), dtype=np.float64)
    x = levels.astype(np.float64)
    # peak_t = max_{u<=t} (level_u - decay * (t - u)); noise_t = min_{u<=t} (level_u + rise * (t - u)).
    peaks = np.maximum.accumulate(x + decay * idx) - decay * idx
    noise = np.minimum.accumulate(x - rise * idx) + rise * idx
    return ((levels >= spec["active_floor_db"]) & (levels >= peaks - spec["active_below_peak_db"])
            & (levels >= noise + spec["active_above_noise_db"]))


def prior_frames(spec: dict, n_mfcc: int) -> np.ndarray:
    n0 = np.full(n_mfcc, float(spec["prior_frames_shape"]))
    n0[0] = float(spec["prior_frames_level"])
    return n0


def history_of(mfcc: np.ndarray, meta: dict) -> tuple[np.ndarray, float]:
    """Sum and count of the active frames of some audio (a calibration sample)."""
    spec, f = meta["normalization"], meta["features"]
    active = active_frames(frame_levels(mfcc, f["n_mels"]), spec, f["hop_length"] / f["sample_rate"])
    return mfcc[active].astype(np.float64).sum(axis=0), float(active.sum())


def baselines(mfcc: np.ndarray, meta: dict, history: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """The baseline of every frame, (frames, n_mfcc)."""
    spec, f = meta["normalization"], meta["features"]
    n_mfcc = mfcc.shape[1]
    active = active_frames(frame_levels(mfcc, f["n_mels"]), spec, f["hop_length"] / f["sample_rate"])
    h_sum, h_count = history if history is not None else (np.zeros(n_mfcc), 0.0)
    n0 = prior_frames(spec, n_mfcc)
    sums = np.cumsum(np.where(active[:, None], mfcc, 0.0).astype(np.float64), axis=0)
    counts = np.cumsum(active.astype(np.float64))[:, None]
    num = n0 * np.asarray(spec["prior_mean"], dtype=np.float64) + h_sum + sums
    return num / (n0 + h_count + counts)


def normalize(mfcc: np.ndarray, meta: dict, history: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """The model input for a clip's frames, processed causally from the clip's first frame."""
    scale = np.asarray(meta["normalization"]["scale"], dtype=np.float64)
    return ((mfcc - baselines(mfcc, meta, history)) / scale).astype(np.float32)
