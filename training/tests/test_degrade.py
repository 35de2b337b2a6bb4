"""The robustness table's degradations do what their names say (light dependencies)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from degrade import CONDITIONS, active_power, add_reverb, degrade, pink_noise, training_degradation  # noqa: E402

RATE = 16000


def speech_like(seconds=3.0, silence=1.0):
    """A tone burst between stretches of silence, like a RAVDESS clip."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    pad = np.zeros(int(silence * RATE))
    return np.concatenate([pad, tone, pad])


@pytest.mark.parametrize("condition", [c for c in CONDITIONS if c.startswith(("white", "pink"))])
def test_noise_is_added_at_the_stated_snr_of_the_active_speech(condition):
    y = speech_like()
    out, rate = degrade(y, RATE, condition, np.random.default_rng(0))
    snr = float(condition.lstrip("whitepnk"))
    noise = out - y
    measured = 10 * np.log10(active_power(y, RATE) / (noise ** 2).mean())
    assert rate == RATE and len(out) == len(y)
    assert abs(measured - snr) < 0.01


def test_active_power_ignores_the_silence_around_the_sentence():
    y = speech_like()
    assert active_power(y, RATE) == pytest.approx(active_power(speech_like(silence=0.0), RATE), rel=0.02)


def test_pink_noise_loses_3_db_per_octave():
    n = 1 << 18
    power = np.abs(np.fft.rfft(pink_noise(n, np.random.default_rng(1)))) ** 2
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    band = lambda lo: power[(freqs >= lo) & (freqs < 2 * lo)].mean()  # noqa: E731
    for lo in (250, 500, 1000, 2000):
        assert 10 * np.log10(band(lo) / band(2 * lo)) == pytest.approx(3.0, abs=0.3)


def test_telephone_band_halves_the_rate_and_keeps_speech_frequencies():
    t = np.arange(RATE) / RATE
    y = 0.5 * np.sin(2 * np.pi * 1000 * t)
    out, rate = degrade(y, RATE, "tel8k", np.random.default_rng(0))
    assert rate == 8000 and len(out) == RATE // 2
    middle = out[1000:-1000]  # away from the filter's edge effects
    assert np.sqrt(2 * (middle ** 2).mean()) == pytest.approx(0.5, rel=0.01)


def test_gain_is_exactly_minus_20_db():
    y = speech_like()
    out, _ = degrade(y, RATE, "gain-20", np.random.default_rng(0))
    assert np.allclose(out, y / 10)


def test_clean_is_untouched_and_unknown_conditions_fail():
    y = speech_like()
    assert degrade(y, RATE, "clean", np.random.default_rng(0))[0] is y
    with pytest.raises(ValueError):
        degrade(y, RATE, "underwater", np.random.default_rng(0))


def test_training_degradations_keep_the_length_and_stay_within_their_snr_range():
    y = speech_like()
    kinds = {"white": 0, "pink": 0, "tel": 0, "reverb": 0}
    for seed in range(60):
        out, kind = training_degradation(y, RATE, np.random.default_rng(seed))
        assert len(out) == len(y) and np.isfinite(out).all()
        kinds[kind] += 1
        spectrum = np.abs(np.fft.rfft(out)) ** 2
        above_4k = spectrum[np.fft.rfftfreq(len(out), 1 / RATE) > 4200].sum() / spectrum.sum()
        if kind == "tel":  # (almost) nothing left above 4 kHz
            assert above_4k < 1e-4
        elif kind == "reverb":  # same energy, spread in time
            assert np.isclose((out ** 2).sum(), (y ** 2).sum(), rtol=1e-6)
        else:
            snr = 10 * np.log10(active_power(y, RATE) / ((out - y) ** 2).mean())
            assert 5 - 0.01 <= snr <= 30 + 0.01
    assert all(n > 0 for n in kinds.values()), kinds


def test_reverb_tail_decays_by_60_db_in_rt60():
    rng = np.random.default_rng(3)
    impulse = np.zeros(RATE)
    impulse[0] = 1.0
    out = add_reverb(impulse, RATE, 0.4, rng)
    early = (out[int(0.01 * RATE):int(0.05 * RATE)] ** 2).mean()
    late = (out[int(0.37 * RATE):int(0.39 * RATE)] ** 2).mean()
    assert 45 < 10 * np.log10(early / late) < 70
    assert np.abs(out[int(0.41 * RATE):]).max() < 1e-9  # nothing after the tail (FFT rounding aside)
