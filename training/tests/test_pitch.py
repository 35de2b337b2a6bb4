"""The experimental pitch track (training/pitch.py): right period, no octave errors on
harmonic tones, low periodicity for noise and none for silence."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pitch import normalize_pitch, pitch_track  # noqa: E402

F = {"n_fft": 512, "hop_length": 160, "sample_rate": 16000}


@pytest.mark.parametrize("f0", [70.0, 110.0, 180.0, 260.0, 330.0, 470.0])
def test_harmonic_tones_give_their_fundamental(f0):
    t = np.arange(16000) / 16000
    y = np.sin(2 * np.pi * f0 * t) + 0.6 * np.sin(2 * np.pi * 2 * f0 * t) + 0.3 * np.sin(2 * np.pi * 3 * f0 * t)
    track = pitch_track(y, F)[5:-5]
    assert np.median(track[:, 0]) > 0.9
    assert abs(np.median(track[:, 1]) - np.log2(f0)) < 0.01  # within 0.7 %


def test_noise_is_not_periodic_and_silence_is_zero():
    noise = pitch_track(np.random.default_rng(1).standard_normal(16000), F)
    assert np.median(noise[:, 0]) < 0.4
    assert (pitch_track(np.zeros(8000), F)[:, 0] == 0).all()


def test_pitch_input_is_relative_to_the_voiced_frames_so_far():
    t = np.arange(32000) / 16000
    f0 = np.where(t < 1, 150.0, 300.0)  # an octave up after one second
    track = pitch_track(np.sin(2 * np.pi * np.cumsum(f0) / 16000), F)
    x = normalize_pitch(track, np.ones(len(track), dtype=bool))
    assert abs(x[90, 1]) < 0.1  # a second of 150 Hz is the baseline
    assert x[110, 1] > 0.5 / 0.3 * 0.9  # half the octave above the running mean, in 0.3-octave units
