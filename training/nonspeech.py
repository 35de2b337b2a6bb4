"""Synthetic non-speech for training the model's speech output (numpy only).

Tones, hum, chirps, noise of several colours, clicks, melodies and chords, drum-like bursts
and near-silence, at random levels. The tests use other generators (sox's `synth`, see
tests/nonspeech.rs and tests/e2e), so passing them is not a replay of these signals.
"""
from __future__ import annotations

import numpy as np

KINDS = ["sine", "vibrato", "chirp", "hum", "buzz", "white", "pink", "brown", "band_noise",
         "clicks", "melody", "chords", "drums", "near_silence", "tone_in_noise", "am_noise"]


def _noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spectrum.size, dtype=np.float64)
    f[0] = 1.0
    power = {"white": 0.0, "pink": 1.0, "brown": 2.0}[colour]
    y = np.fft.irfft(spectrum / f ** (power / 2), n)
    return y / (y.std() + 1e-12)


def _harmonic(freq: np.ndarray, rate: int, n_harmonics: int, tilt: float, rng) -> np.ndarray:
    """A tone following the instantaneous frequency `freq` (per sample) with harmonics."""
    phase = 2 * np.pi * np.cumsum(freq) / rate
    y = np.zeros_like(phase)
    for h in range(1, n_harmonics + 1):
        alias = freq * h < rate / 2
        y += alias * np.sin(h * phase + rng.uniform(0, 2 * np.pi)) / h ** tilt
    return y


def _envelope(n: int, rate: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / rate
    return np.minimum(t / max(attack, 1e-4), 1.0) * np.exp(-t / max(decay, 1e-3))


def _notes(n: int, rate: int, rng, chords: bool) -> np.ndarray:
    y = np.zeros(n)
    pos = 0
    tilt = rng.uniform(0.7, 2.0)
    while pos < n:
        length = int(rate * rng.uniform(0.12, 0.8))
        voices = rng.integers(2, 5) if chords else 1
        root = 110 * 2 ** (rng.integers(0, 36) / 12)
        seg = np.zeros(min(length, n - pos))
        for v in range(voices):
            f = root * 2 ** ([0, 4, 7, 12][v] / 12)
            seg += _harmonic(np.full(seg.size, f), rate, 8, tilt, rng)
        seg *= _envelope(seg.size, rate, rng.uniform(0.002, 0.05), rng.uniform(0.1, 1.5))
        y[pos:pos + seg.size] += seg
        pos += length
    return y


def synthesize(kind: str, seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * rate)
    t = np.arange(n) / rate
    if kind == "sine":
        y = np.sin(2 * np.pi * rng.uniform(60, 4000) * t)
    elif kind == "vibrato":
        f0 = rng.uniform(100, 1500)
        y = _harmonic(f0 * (1 + 0.03 * np.sin(2 * np.pi * rng.uniform(3, 7) * t)), rate, rng.integers(1, 6), 1.0, rng)
    elif kind == "chirp":
        f0, f1 = np.exp(rng.uniform(np.log(50), np.log(6000), 2))
        y = _harmonic(np.geomspace(f0, f1, n), rate, rng.integers(1, 4), 1.0, rng)
    elif kind == "hum":
        y = _harmonic(np.full(n, rng.choice([50.0, 60.0])), rate, rng.integers(1, 12), rng.uniform(0.5, 2), rng)
    elif kind == "buzz":
        y = _harmonic(np.full(n, rng.uniform(80, 400)), rate, 30, rng.uniform(0.3, 1.2), rng)
    elif kind in ("white", "pink", "brown"):
        y = _noise(n, kind, rng)
    elif kind == "band_noise":
        spectrum = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / rate)
        lo = rng.uniform(50, 3000)
        spectrum[(f < lo) | (f > lo * rng.uniform(1.5, 4))] = 0
        y = np.fft.irfft(spectrum, n)
    elif kind == "clicks":
        y = np.zeros(n)
        period = rng.uniform(0.03, 1.0)
        for start in np.arange(rng.uniform(0, period), seconds, period):
            i = int(start * rate)
            click = rng.standard_normal(int(0.004 * rate)) * _envelope(int(0.004 * rate), rate, 1e-4, 0.001)
            y[i:i + click.size] += click[: max(0, n - i)]
    elif kind in ("melody", "chords"):
        y = _notes(n, rate, rng, chords=kind == "chords")
    elif kind == "drums":
        y = np.zeros(n)
        period = rng.uniform(0.15, 0.6)
        for start in np.arange(0, seconds, period):
            i = int(start * rate)
            hit = _noise(int(0.25 * rate), "white", rng) * _envelope(int(0.25 * rate), rate, 1e-3, rng.uniform(0.02, 0.1))
            y[i:i + hit.size] += hit[: max(0, n - i)]
    elif kind == "near_silence":
        y = _noise(n, str(rng.choice(["white", "pink"])), rng) * 10 ** (rng.uniform(-100, -60) / 20)
        return y.astype(np.float32)
    elif kind == "tone_in_noise":
        y = np.sin(2 * np.pi * rng.uniform(100, 3000) * t) + 10 ** (rng.uniform(-20, 0) / 20) * _noise(n, "pink", rng)
    elif kind == "am_noise":  # noise whose loudness swings at a syllable-like rate
        y = _noise(n, "pink", rng) * (1.2 + np.sin(2 * np.pi * rng.uniform(2, 8) * t))
    else:
        raise ValueError(kind)
    y = y / (np.sqrt(np.mean(y ** 2)) + 1e-12) * 10 ** (rng.uniform(-60, -6) / 20)
    return np.clip(y, -1, 1).astype(np.float32)
