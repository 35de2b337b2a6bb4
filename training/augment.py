"""Spectral augmentations of log-mel frames, shared by train.py's Pool and refit_speech.py.

numpy only (no torch), so the light refit script reads the same code training ran. Each
function draws from `rng` in a fixed order: training runs stay reproducible from their seed.
"""
from __future__ import annotations

import numpy as np


def colour(mel_freqs: np.ndarray, rng) -> np.ndarray:
    """A random microphone/room colour in dB per mel band: smooth ripple, tilt, band limits."""
    x = np.linspace(0, 1, len(mel_freqs))
    curve = rng.uniform(-6, 6) * (x - 0.5)
    for k in range(1, 4):
        curve += rng.uniform(-2, 2) * np.cos(np.pi * k * x + rng.uniform(0, np.pi))
    if rng.random() < 0.3:  # small microphones lose the bass
        curve -= np.clip((rng.uniform(100, 400) - mel_freqs) / 50, 0, 1) * rng.uniform(10, 30)
    if rng.random() < 0.3:  # and cheap ones the treble
        curve -= np.clip((mel_freqs - rng.uniform(3000, 7000)) / 500, 0, 1) * rng.uniform(10, 40)
    return curve


def warp(lm: np.ndarray, mel_freqs: np.ndarray, rng) -> np.ndarray:
    """Vocal tract length perturbation: the spectrum stretched by a factor of 0.88-1.12
    along frequency (S'(f) = S(f / a)), read off the mel bands: a new voice of the same
    speech."""
    n_mels = len(mel_freqs)
    a = rng.uniform(0.88, 1.12)
    pos = np.interp(mel_freqs / a, mel_freqs, np.arange(n_mels))
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_mels - 1)
    w = (pos - lo)[None, :]
    return (1 - w) * lm[:, lo] + w * lm[:, hi]


def tempo(lm: np.ndarray, rng) -> np.ndarray:
    """Speaking rate 0.85-1.15 times the original: frames resampled along time."""
    pos = np.arange(0, len(lm) - 1, rng.uniform(0.85, 1.15))
    lo = np.floor(pos).astype(int)
    w = (pos - lo)[:, None]
    return ((1 - w) * lm[lo] + w * lm[lo + 1]).astype(np.float32)
