"""The speaker-relative normalisation (normalize.py) against its golden file, which the Rust
engine also reproduces (tests/normalize_parity.rs), and its properties. Light dependencies."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from features import REPO, load_audio, load_metadata, mfcc  # noqa: E402
from normalize import active_frames, frame_levels, history_of, normalize  # noqa: E402

GOLDEN = json.loads((REPO / "tests" / "golden" / "normalize_golden.json").read_text())
RAVDESS = REPO.parent / "shared" / "data" / "ravdess"
META = {"features": GOLDEN["features"], "normalization": GOLDEN["normalization"]}


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["name"])
def test_normalisation_reproduces_the_golden_frames(case):
    y, _ = load_audio(RAVDESS / case["clip"])
    history = None
    if case["calibration"]:
        c, _ = load_audio(RAVDESS / case["calibration"])
        history = history_of(mfcc(c, META["features"]), META)
    x = normalize(mfcc((y * case["gain"]).astype(np.float32), META["features"]), META, history)
    assert len(x) == case["frames"]
    assert np.abs(x[:: case["every"]] - np.asarray(case["normalized"])).max() < 1e-3


def test_the_running_peak_and_noise_floor_equal_the_recursive_rules_the_engine_uses():
    rng = np.random.default_rng(1)
    levels = np.cumsum(rng.normal(0, 3, 2000)) - 60
    spec, hop = META["normalization"], 0.01
    fast = active_frames(levels, spec, hop)
    peak, noise, slow = -np.inf, np.inf, []
    for level in levels:
        peak = max(level, peak - spec["peak_decay_db_per_s"] * hop)
        noise = min(level, noise + spec["noise_rise_db_per_s"] * hop)
        slow.append(level >= spec["active_floor_db"] and level >= peak - spec["active_below_peak_db"]
                    and level >= noise + spec["active_above_noise_db"])
    assert (fast == np.array(slow)).all()


@pytest.mark.parametrize("gain_db", [-30, -10, 10])
def test_a_gain_change_cancels_out_after_a_second_of_speech(gain_db):
    """Without normalisation -30 dB moves c0 by 1.7 scale units in every frame. With it, what
    remains after 1.5 s comes from quiet frames that sink under the noise floor (measured:
    median 0.04-0.10, 95th percentile 0.31-0.43 at -30 dB on three clips)."""
    y, _ = load_audio(RAVDESS / "Actor_22/03-01-03-01-01-02-22.flac")
    loud = normalize(mfcc(y, META["features"]), META)
    other = normalize(mfcc(np.clip(y * 10 ** (gain_db / 20), -1, 1).astype(np.float32), META["features"]), META)
    d = np.abs(loud[150:] - other[150:])
    assert np.median(d) < 0.15 and np.percentile(d, 95) < 0.5


def test_frames_never_depend_on_later_audio():
    y, _ = load_audio(RAVDESS / "Actor_01/03-01-01-01-01-01-01.flac")
    m = mfcc(y, META["features"])
    whole = normalize(m, META)
    prefix = normalize(m[:120], META)
    assert np.array_equal(whole[:120], prefix)


def test_the_shipped_metadata_has_a_complete_normalisation_block():
    spec = load_metadata()["normalization"]
    assert set(GOLDEN["normalization"]) == set(spec)
    assert spec["kind"] == "speaker_relative"
    assert frame_levels(np.zeros((1, 40)), 64).shape == (1,)
