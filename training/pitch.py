"""A pitch track per MFCC frame: periodicity and log2 F0 (`train.py --pitch`, an experiment;
the engine does not compute it, so no shipped model uses it; numpy only).

Why it was tried: eight pitch statistics per clip score nEMO at about 54 % UA in an SVM
(the `stats_probe.py` setup), against 42 % from all the MFCC statistics. MFCCs of 64 mel
bands smear the harmonics, so the network cannot see F0 directly. Result (fold 1 and
leave-one-corpus-out, *Experiments* in the model card): no gain over the MFCCs alone, so the
network already finds what it needs; kept so the experiment can be re-run.

Each frame is the MFCC's own frame (`n_fft` samples centred on the hop, zero padding at the
edges), so a stream needs no extra look-ahead:

    a(τ)  = autocorrelation of the Hann-windowed frame (FFT of twice the frame length)
    r(τ)  = (a(τ) / w(τ)) / (a(0) / w(0))      w: the window's own autocorrelation
    τ*    = the shortest lag in 62.5–500 Hz whose local peak of r is within 15 % of the
            highest (multiples of the period score as high: the usual octave error),
            refined by a parabola through its neighbours
    frame = [min(max(r(τ*), 0), 1), log2(sample_rate / τ*)]

The log F0 becomes speaker-relative the way the MFCCs do (`normalize.py`): minus a running
mean over the voiced active frames so far, seeded by a prior and by calibration history.
"""
from __future__ import annotations

import numpy as np

F0_MIN, F0_MAX = 62.5, 500.0
OCTAVE_SLACK = 0.85
VOICED = 0.5  # periodicity at or above which a frame is voiced
PRIOR_LOG2_F0 = np.log2(160.0)  # between the training voices' means; 2 pseudo-frames
PRIOR_FRAMES = 2.0
SCALE_OCTAVES = 0.3


def _frames(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    padded = np.pad(np.asarray(y, dtype=np.float64), n_fft // 2)
    n = 1 + len(y) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n)[:, None]
    return padded[idx]


def pitch_track(y: np.ndarray, f: dict) -> np.ndarray:
    """(frames, 2): periodicity in [0, 1] and log2 F0 per MFCC frame."""
    n_fft, hop, rate = f["n_fft"], f["hop_length"], f["sample_rate"]
    window = np.hanning(n_fft + 1)[:-1]  # periodic Hann
    spectrum = np.fft.rfft(_frames(y, n_fft, hop) * window, 2 * n_fft)
    ac = np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2)[:, :n_fft]
    wac = np.fft.irfft(np.abs(np.fft.rfft(window, 2 * n_fft)) ** 2)[:n_fft]
    lo, hi = int(np.ceil(rate / F0_MAX)), int(np.floor(rate / F0_MIN))
    r = (ac[:, : hi + 2] / wac[None, : hi + 2]) / np.maximum(ac[:, :1] / wac[0], 1e-20)
    silent = ac[:, 0] <= 1e-20
    rows = np.arange(len(r))
    band = r[:, lo:hi + 1]
    peak = (band >= r[:, lo - 1:hi]) & (band >= r[:, lo + 1:hi + 2])
    near = peak & (band >= OCTAVE_SLACK * band.max(axis=1, keepdims=True))
    best = lo + np.where(near.any(axis=1), np.argmax(near, axis=1), np.argmax(band, axis=1))
    left, mid, right = r[rows, best - 1], r[rows, best], r[rows, best + 1]
    curve = left - 2 * mid + right
    shift = np.where(curve < 0, 0.5 * (left - right) / np.where(curve < 0, curve, -1), 0.0)
    lag = best + np.clip(shift, -0.5, 0.5)
    periodicity = np.where(silent, 0.0, np.clip(mid, 0.0, 1.0))
    return np.stack([periodicity, np.log2(rate / lag)], axis=1).astype(np.float32)


def voiced_history(track: np.ndarray, active: np.ndarray) -> tuple[float, float]:
    """Sum and count of log2 F0 over the voiced active frames (a calibration sample's share)."""
    v = active & (track[:, 0] >= VOICED)
    return float(track[v, 1].astype(np.float64).sum()), float(v.sum())


def normalize_pitch(track: np.ndarray, active: np.ndarray, history: tuple[float, float] | None = None) -> np.ndarray:
    """The two input channels: 2·periodicity − 1, and log2 F0 minus the causal speaker
    baseline in units of SCALE_OCTAVES on voiced active frames (0 elsewhere)."""
    v = active & (track[:, 0] >= VOICED)
    h_sum, h_count = history if history is not None else (0.0, 0.0)
    sums = np.cumsum(np.where(v, track[:, 1].astype(np.float64), 0.0))
    counts = np.cumsum(v.astype(np.float64))
    baseline = (PRIOR_FRAMES * PRIOR_LOG2_F0 + h_sum + sums) / (PRIOR_FRAMES + h_count + counts)
    rel = np.where(v, (track[:, 1] - baseline) / SCALE_OCTAVES, 0.0)
    return np.stack([2 * track[:, 0] - 1, rel], axis=1).astype(np.float32)
