"""The synthetic non-speech generator (nonspeech.py) makes what its kinds say (numpy only)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nonspeech import HARMONIC_KINDS, KINDS, synthesize  # noqa: E402

RATE = 16000


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_finite_bounded_and_reproducible(kind):
    for seed in range(2):
        y = synthesize(kind, 3.5, RATE, np.random.default_rng([seed, 1]))
        assert y.dtype == np.float32 and y.shape == (int(3.5 * RATE),)
        assert np.isfinite(y).all() and np.abs(y).max() <= 1.0
        assert np.array_equal(y, synthesize(kind, 3.5, RATE, np.random.default_rng([seed, 1])))
        if kind != "near_silence":
            level = 10 * np.log10(np.mean(y.astype(np.float64) ** 2))
            assert -62 < level < 0, level


def test_the_harmonic_kinds_of_issue_26_are_trained_on():
    assert set(HARMONIC_KINDS) <= set(KINDS)
    assert {"square", "sawtooth", "triangle", "pulse_train", "buzzer", "siren_two_tone", "siren_wail", "siren_yelp",
            "formant_buzz"} == set(HARMONIC_KINDS)


def peak_track(y: np.ndarray, frame: int = 1024, hop: int = 160) -> np.ndarray:
    """The strongest frequency of each frame above 300 Hz (below it: the noise some clips have)."""
    frames = np.lib.stride_tricks.sliding_window_view(y, frame)[::hop] * np.hanning(frame)
    spectrum = np.abs(np.fft.rfft(frames, axis=1))
    lo = 300 * frame // RATE
    return (lo + np.argmax(spectrum[:, lo:], axis=1)) * RATE / frame


def fundamental(y: np.ndarray) -> float:
    """F0 from the autocorrelation's highest peak between 50 and 1500 Hz."""
    y = y[: RATE].astype(np.float64)
    a = np.fft.irfft(np.abs(np.fft.rfft(y, 2 * len(y))) ** 2)[: len(y)]
    lo, hi = RATE // 1500, RATE // 50
    return RATE / (lo + int(np.argmax(a[lo:hi])))


@pytest.mark.parametrize("kind", ["square", "sawtooth", "triangle", "pulse_train"])
def test_waves_and_pulse_trains_have_a_voice_like_or_higher_pitch(kind):
    f0s = []
    for seed in range(12):
        y = synthesize(kind, 2.0, RATE, np.random.default_rng([seed, 2]))
        f0s.append(fundamental(y))
    # 80-400 Hz mostly (60-400 for pulse trains; waves sometimes up to 1.2 kHz), octave errors aside.
    assert sum(40 <= f <= 1300 for f in f0s) >= 10, f0s
    assert sum(f <= 450 for f in f0s) >= 6, f0s


def test_a_wail_sweeps_slowly_and_a_yelp_fast():
    for kind, (low, high) in (("siren_wail", (0.1, 0.6)), ("siren_yelp", (2.5, 9.0))):
        for seed in range(6):
            y = synthesize(kind, 6.0, RATE, np.random.default_rng([seed, 3]))
            track = peak_track(y)
            # Band-limited harmonics: the strongest one is the fundamental, 450-1800 Hz.
            assert np.percentile(track, 90) / np.percentile(track, 10) > 1.3, kind
            # Sweeps per second: zero crossings of the track around its median, halved.
            centred = np.convolve(track - np.median(track), np.ones(5) / 5, mode="valid")
            crossings = np.count_nonzero(np.diff(np.sign(centred)) != 0) / 2 / (len(track) * 160 / RATE)
            assert low <= crossings <= high, (kind, seed, crossings)


def test_a_two_tone_siren_alternates_between_two_pitches():
    y = synthesize("siren_two_tone", 6.0, RATE, np.random.default_rng(4))
    track = peak_track(y)
    values, counts = np.unique(np.round(track / 20), return_counts=True)
    assert counts[np.argsort(counts)[-2:]].sum() >= 0.6 * len(track)


def test_a_formant_buzz_moves_its_formants_without_pauses():
    for seed in range(3):
        y = synthesize("formant_buzz", 6.0, RATE, np.random.default_rng([seed, 5])).astype(np.float64)
        frames = np.lib.stride_tricks.sliding_window_view(y, 400)[::160]
        level = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-20)
        assert level.max() - level.min() < 15, "no pauses, no syllables"
        spectrum = np.abs(np.fft.rfft(frames * np.hanning(400), axis=1)) ** 2
        freqs = np.fft.rfftfreq(400, 1 / RATE)
        centroid = (spectrum * freqs).sum(axis=1) / spectrum.sum(axis=1)
        assert centroid.max() - centroid.min() > 50, "the vowel changes"
