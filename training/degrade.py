"""Degradations of audio: the robustness table's fixed conditions (evaluate_cli.py) and the
random ones of training (data.py). numpy and scipy only; unit-tested in CI
(tests/test_degrade.py).
"""
from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve, resample_poly

# Degradations of the robustness table: name → what it does.
CONDITIONS: dict[str, str] = {
    "clean": "the original 16 kHz FLAC",
    "white20": "white noise at 20 dB SNR",
    "white10": "white noise at 10 dB SNR",
    "white5": "white noise at 5 dB SNR",
    "pink20": "pink (1/f) noise at 20 dB SNR",
    "pink10": "pink (1/f) noise at 10 dB SNR",
    "pink5": "pink (1/f) noise at 5 dB SNR",
    "tel8k": "resampled to 8 kHz (telephone band, < 4 kHz); the engine resamples it back",
    "gain-30": "30 dB quieter",
    "gain-20": "20 dB quieter",
    "gain-10": "10 dB quieter",
    "gain+10": "10 dB louder (clipped to full scale where it exceeds it)",
    "gain+20": "20 dB louder (clipped to full scale where it exceeds it)",
}
GAIN_SWEEP = ["gain-30", "gain-20", "gain-10", "clean", "gain+10", "gain+20"]


def active_power(y: np.ndarray, rate: int) -> float:
    """Mean power of the 20 ms frames within 40 dB of the loudest one, so that the
    silence before and after the sentence does not inflate the SNR."""
    n = max(1, int(0.02 * rate))
    frames = y[: len(y) // n * n].reshape(-1, n) if len(y) >= n else y.reshape(1, -1)
    power = (frames.astype(np.float64) ** 2).mean(axis=1)
    active = power[power >= power.max() * 1e-4]
    return float(active.mean()) if active.size else 0.0


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise shaped to a 1/f power spectrum (amplitude 1/sqrt(f))."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spectrum.size, dtype=np.float64)
    f[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(f), n)
    return noise / noise.std()


def add_noise(y: np.ndarray, rate: int, snr_db: float, colour: str, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(len(y)) if colour == "white" else pink_noise(len(y), rng)
    scale = np.sqrt(active_power(y, rate) / 10 ** (snr_db / 10) / (noise ** 2).mean())
    return y + scale * noise


def degrade(y: np.ndarray, rate: int, condition: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    if condition == "clean":
        return y, rate
    if condition.startswith(("white", "pink")):
        colour = "white" if condition.startswith("white") else "pink"
        return add_noise(y, rate, float(condition[len(colour):]), colour, rng), rate
    if condition == "tel8k":
        return resample_poly(y, 8000, rate), 8000
    if condition.startswith("gain"):
        return np.clip(y * 10 ** (float(condition[4:]) / 20), -1.0, 1.0), rate
    raise ValueError(f"unknown condition {condition}")


def add_reverb(y: np.ndarray, rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Light synthetic room: the direct sound plus an exponentially decaying noise tail whose
    level falls 60 dB in `rt60` seconds, at a direct-to-reverberant ratio of 0-10 dB."""
    n = int(rt60 * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60)
    tail[: int(0.005 * rate)] = 0.0  # first reflections after 5 ms
    tail *= np.sqrt(10 ** (-rng.uniform(0, 10) / 10) / (tail ** 2).sum())
    ir = np.concatenate([[1.0], tail[1:]])
    wet = fftconvolve(y, ir)[: len(y)]
    return wet * np.sqrt((y ** 2).sum() / max((wet ** 2).sum(), 1e-20))


def training_degradation(y: np.ndarray, rate: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A random degradation for training (train.py): white or pink noise at an SNR drawn
    uniformly from 5–30 dB, the telephone band (to 8 kHz and back), or a light synthetic
    room (RT60 0.15–0.8 s). Same length as the input; returns the kind too. The test
    conditions above use fixed SNRs and their own seeds."""
    kind = str(rng.choice(["white", "pink", "tel", "reverb"], p=[0.3, 0.3, 0.15, 0.25]))
    if kind == "tel":
        band, band_rate = degrade(y, rate, "tel8k", rng)
        out = resample_poly(band, rate, band_rate)[: len(y)]
        return np.pad(out, (0, len(y) - len(out))), kind
    if kind == "reverb":
        return add_reverb(y, rate, float(rng.uniform(0.15, 0.8)), rng), kind
    return add_noise(y, rate, float(rng.uniform(5, 30)), kind, rng), kind
