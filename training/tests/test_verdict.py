"""training/verdict.py gives the clip verdicts of the shared golden file, as src/decision.rs does."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
from verdict import clip_verdict  # noqa: E402

GOLDEN = json.loads((ROOT / "tests/golden/verdict_golden.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["name"])
def test_verdicts_equal_the_golden_ones(case):
    got = clip_verdict(case["probabilities"], case["speech_probability"], case["speech_threshold"], case["uncertain_threshold"])
    want = case["expected"]
    assert (got["state"], got["top"]) == (want["state"], want["top"])
    assert got["confidence"] == pytest.approx(want["confidence"], abs=1e-9)
    assert got["probabilities"] == pytest.approx(want["probabilities"], abs=1e-9)
