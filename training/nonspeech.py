"""Synthetic non-speech for training the model's speech output (numpy only).

Tones, hum, chirps, noise of several colours, clicks, melodies and chords, drum-like bursts
and near-silence, at random levels; and harmonic tones (issue 26: a 200 Hz square wave was
heard as angry speech): square, sawtooth and triangle waves and pulse trains at a
voice-like 80-400 Hz, buzzers, two-tone, wail and yelp sirens, and a buzz through slowly
moving vowel formants without articulation, with random vibrato, drift and noise. The
tests use other generators (sox's `synth`, see tests/speech_detection.rs and tests/e2e), so
passing them is not a replay of these signals.
"""
from __future__ import annotations

import numpy as np

# Harmonic tones with a voice-like pitch or a siren's sweep (issue 26).
HARMONIC_KINDS = ["square", "sawtooth", "triangle", "pulse_train", "buzzer", "siren_two_tone", "siren_wail",
                  "siren_yelp", "formant_buzz"]
KINDS = ["sine", "vibrato", "chirp", "hum", "buzz", "white", "pink", "brown", "band_noise",
         "clicks", "melody", "chords", "drums", "near_silence", "tone_in_noise", "am_noise"] + HARMONIC_KINDS

# (F1, F2, F3) in Hz of some vowels, the targets a formant buzz glides between.
VOWELS = [(730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (570, 840, 2410),
          (660, 1720, 2410), (440, 1020, 2240), (490, 1350, 1690), (390, 1990, 2550), (640, 1190, 2390)]


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


def _pitch(n: int, rate: int, f0: float, rng) -> np.ndarray:
    """A per-sample frequency around f0: sometimes vibrato, sometimes a slow drift or jitter."""
    t = np.arange(n) / rate
    f = np.full(n, f0)
    if rng.random() < 0.4:  # vibrato
        f *= 1 + rng.uniform(0.005, 0.04) * np.sin(2 * np.pi * rng.uniform(3, 8) * t + rng.uniform(0, 2 * np.pi))
    if rng.random() < 0.3:  # a slow glide over the clip
        f *= np.geomspace(1, 2 ** rng.uniform(-0.5, 0.5), n)
    if rng.random() < 0.2:  # jitter: a slowly wandering pitch
        steps = rng.standard_normal(max(2, int(n / rate * 20)))
        f *= 1 + 0.01 * np.interp(np.linspace(0, len(steps) - 1, n), np.arange(len(steps)), steps)
    return f


def _wave(shape: str, freq: np.ndarray, rate: int, rng, duty: float = 0.5) -> np.ndarray:
    """A periodic wave following `freq` (per sample): band-limited (a sum of harmonics below
    Nyquist) or naive (aliased, as simple synthesisers and buzzers make it)."""
    if rng.random() < 0.5:
        phase = (np.cumsum(freq) / rate + rng.uniform()) % 1.0
        if shape == "square":
            return np.where(phase < 0.5, 1.0, -1.0)
        if shape == "sawtooth":
            return 2 * phase - 1
        if shape == "triangle":
            return 1 - 4 * np.abs(phase - 0.5)
        if shape == "pulse":
            y = (phase < duty).astype(np.float64)
            return y - y.mean()
        raise ValueError(shape)
    phase = 2 * np.pi * (np.cumsum(freq) / rate + rng.uniform())
    y = np.zeros_like(phase)
    for h in range(1, int(rate / 2 / freq.min()) + 1):
        if shape == "square":
            a = (h % 2) / h
        elif shape == "sawtooth":
            a = 1 / h
        elif shape == "triangle":
            a = (h % 2) * (-1) ** ((h - 1) // 2) / h ** 2
        elif shape == "pulse":
            a = np.sin(np.pi * h * duty) / h
        else:
            raise ValueError(shape)
        if a:
            y += (freq * h < rate / 2) * a * np.sin(h * phase)
    return y


def _sweep(n: int, rate: int, lo: float, hi: float, period: float, rng) -> np.ndarray:
    """A siren's frequency: lo..hi and back every `period` seconds (sine, triangle or a
    rise-and-drop sawtooth), on a log scale."""
    t = np.arange(n) / rate
    u = (t / period + rng.uniform()) % 1.0
    shape = rng.choice(["sine", "triangle", "sawtooth"])
    if shape == "sine":
        s = 0.5 - 0.5 * np.cos(2 * np.pi * u)
    elif shape == "triangle":
        s = 1 - 2 * np.abs(u - 0.5)
    else:
        s = np.minimum(u / 0.8, (1 - u) / 0.2)
    return lo * (hi / lo) ** s


def _gate(n: int, rate: int, rng) -> np.ndarray:
    """A buzzer's on/off pattern: beeps of 0.15-1.5 s, pauses of 0.05-1 s, 5 ms ramps."""
    g = np.zeros(n)
    on, off = rng.uniform(0.15, 1.5), rng.uniform(0.05, 1.0)
    ramp = int(0.005 * rate)
    pos = int(rng.uniform(0, on + off) * rate) - int(on * rate)
    while pos < n:
        a, b = max(pos, 0), min(pos + int(on * rate), n)
        if b > a:
            g[a:b] = 1.0
            k = min(ramp, b - a)
            g[a:a + k] *= np.linspace(0, 1, k) if pos >= 0 else 1.0
            g[b - k:b] *= np.linspace(1, 0, k)
        pos += int((on + off) * rate)
    return g


def _formant_buzz(n: int, rate: int, rng) -> np.ndarray:
    """A glottal-like buzz (sawtooth or pulse spectrum) through three formant resonances that
    glide between vowel targets every 0.4-3 s: a vowel with no consonants, no syllables and no
    pauses. Additive synthesis: each harmonic weighted by the formant envelope at its
    frequency."""
    t = np.arange(n) / rate
    f0 = _pitch(n, rate, float(np.exp(rng.uniform(np.log(80), np.log(320)))), rng)
    # Formant tracks at a 10 ms control rate.
    m = max(2, n // (rate // 100) + 2)
    tracks = np.zeros((m, 3))
    pos, target = 0, np.array(VOWELS[rng.integers(len(VOWELS))], dtype=np.float64)
    scale = rng.uniform(0.85, 1.2)  # a shorter or longer "tract"
    while pos < m:
        nxt = np.array(VOWELS[rng.integers(len(VOWELS))], dtype=np.float64)
        hold, glide = int(rng.uniform(0.2, 2.0) * 100), int(rng.uniform(0.2, 1.0) * 100)
        seg = np.concatenate([np.repeat(target[None], hold, 0),
                              target + np.linspace(0, 1, glide)[:, None] * (nxt - target)])
        tracks[pos:pos + len(seg)] = seg[: m - pos]
        pos += len(seg)
        target = nxt
    tracks *= scale
    ctl = np.arange(m) * (rate // 100)
    formants = [np.interp(np.arange(n), ctl, tracks[:, k]) for k in range(3)]
    bandwidths = rng.uniform(50, 150, 3) * np.array([1.0, 1.3, 1.8])
    tilt = rng.uniform(0.8, 2.0)
    phase = 2 * np.pi * (np.cumsum(f0) / rate)
    y = np.zeros(n)
    for h in range(1, int(rate / 2 / f0.min()) + 1):
        fh = h * f0
        gain = (fh < rate / 2) / h ** tilt
        for fk, bk in zip(formants, bandwidths):
            gain = gain * fk ** 2 / np.sqrt((fk ** 2 - fh ** 2) ** 2 + (bk * fh) ** 2)
        y += gain * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    return y


def _harmonic_kind(kind: str, n: int, rate: int, rng) -> np.ndarray:
    t = np.arange(n) / rate
    if kind in ("square", "sawtooth", "triangle"):
        f0 = float(np.exp(rng.uniform(np.log(80), np.log(400)))) if rng.random() < 0.8 else float(
            np.exp(rng.uniform(np.log(400), np.log(1200))))
        return _wave(kind, _pitch(n, rate, f0, rng), rate, rng)
    if kind == "pulse_train":
        f0 = float(np.exp(rng.uniform(np.log(60), np.log(400))))
        return _wave("pulse", _pitch(n, rate, f0, rng), rate, rng, duty=float(rng.uniform(0.02, 0.3)))
    if kind == "buzzer":
        f0 = float(np.exp(rng.uniform(np.log(150), np.log(3000))))
        y = _wave(str(rng.choice(["square", "sawtooth", "pulse"])), _pitch(n, rate, f0, rng), rate, rng,
                  duty=float(rng.uniform(0.1, 0.5)))
        if rng.random() < 0.3:  # an electromechanical rasp: modulated by the mains
            y *= 1 + 0.8 * np.sign(np.sin(2 * np.pi * rng.choice([50.0, 60.0, 100.0, 120.0]) * t))
        return y * (_gate(n, rate, rng) if rng.random() < 0.6 else 1.0)
    if kind == "siren_two_tone":
        lo = float(np.exp(rng.uniform(np.log(300), np.log(1000))))
        hi = lo * rng.uniform(1.1, 1.6)
        half = rng.uniform(0.1, 1.0)
        high = ((t / half + rng.uniform(0, 2)) % 2.0) >= 1.0
        f = np.where(high, hi, lo)
        if rng.random() < 0.5:  # a short glide between the tones (else an abrupt switch)
            k = max(1, int(rng.uniform(0.005, 0.05) * rate))
            f = np.convolve(np.pad(f, (k, k), mode="edge"), np.ones(k) / k, mode="same")[k:-k]
        return _wave(str(rng.choice(["square", "sawtooth", "triangle"])), f, rate, rng)
    if kind in ("siren_wail", "siren_yelp"):
        lo, hi = rng.uniform(450, 800), rng.uniform(1100, 1800)
        period = rng.uniform(2, 8) if kind == "siren_wail" else 1 / rng.uniform(3, 8)
        shape = str(rng.choice(["square", "sawtooth", "triangle"])) if rng.random() < 0.7 else None
        f = _sweep(n, rate, lo, hi, period, rng)
        return _wave(shape, f, rate, rng) if shape else _harmonic(f, rate, int(rng.integers(1, 4)), 1.0, rng)
    if kind == "formant_buzz":
        return _formant_buzz(n, rate, rng)
    raise ValueError(kind)


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
    elif kind in HARMONIC_KINDS:
        y = _harmonic_kind(kind, n, rate, rng)
        y = y / (np.sqrt(np.mean(y ** 2)) + 1e-12)
        if rng.random() < 0.3:  # in a room: some noise beneath it, 10-40 dB down
            y = y + 10 ** (-rng.uniform(10, 40) / 20) * _noise(n, str(rng.choice(["white", "pink", "brown"])), rng)
        y = y / (np.sqrt(np.mean(y ** 2)) + 1e-12) * 10 ** (rng.uniform(-60, -3) / 20)
        return np.clip(y, -1, 1).astype(np.float32)
    else:
        raise ValueError(kind)
    y = y / (np.sqrt(np.mean(y ** 2)) + 1e-12) * 10 ** (rng.uniform(-60, -6) / 20)
    return np.clip(y, -1, 1).astype(np.float32)
