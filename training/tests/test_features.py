"""Fast checks of the training-side features (light dependencies: numpy, librosa, soundfile).

The same golden file is checked by the Rust tests, so Python == golden == Rust.
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from features import REPO, clip_mfcc, load_audio, load_metadata, mfcc, window_samples, window_starts  # noqa: E402

GOLDEN = json.loads((REPO / "tests" / "golden" / "mfcc_golden.json").read_text())
RAVDESS = REPO.parent / "shared" / "data" / "ravdess"


def test_golden_was_made_with_the_shipped_feature_parameters():
    assert GOLDEN["features"] == load_metadata()["features"]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["name"])
def test_features_reproduce_the_golden_vectors(case):
    if "clip" in case:
        y, rate = load_audio(RAVDESS / case["clip"])
        assert rate == GOLDEN["features"]["sample_rate"]
    else:
        y = np.asarray(case["samples"], dtype=np.float32)
    ours = mfcc(y, GOLDEN["features"])
    theirs = np.asarray(case["mfcc"])
    assert ours.shape == theirs.shape
    span = theirs.max() - theirs.min()
    assert np.abs(ours - theirs).max() <= 1e-4 * span


def test_every_parameter_comes_from_the_metadata():
    meta = load_metadata()
    y = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    base = mfcc(y, meta["features"])
    assert base.shape == (1 + 8000 // meta["features"]["hop_length"], meta["features"]["n_mfcc"])
    changed = copy.deepcopy(meta["features"])
    changed["n_mfcc"] = 13
    changed["hop_length"] = 320
    assert mfcc(y, changed).shape == (1 + 8000 // 320, 13)
    louder_ref = copy.deepcopy(meta["features"])
    louder_ref["db_ref"] = 10.0  # a 10 dB lower floor shifts every mel band, so only c0 moves
    shifted = mfcc(y, louder_ref)
    assert np.allclose(shifted[:, 1:], base[:, 1:], atol=1e-3)
    assert np.allclose(shifted[:, 0], base[:, 0] - 10 * np.sqrt(meta["features"]["n_mels"]), atol=1e-2)


def test_short_clips_are_padded_to_one_window():
    meta = load_metadata()
    short = np.full(1000, 0.1, dtype=np.float32)
    assert clip_mfcc(short, meta).shape == (meta["window_frames"], meta["features"]["n_mfcc"])
    long = np.full(window_samples(meta) + 5 * meta["features"]["hop_length"], 0.1, dtype=np.float32)
    assert clip_mfcc(long, meta).shape[0] == meta["window_frames"] + 5


def test_windows_cover_the_clip_end():
    assert window_starts(300, 300, 100) == [0]
    assert window_starts(450, 300, 100) == [0, 100, 150]
    assert window_starts(500, 300, 100) == [0, 100, 200]
