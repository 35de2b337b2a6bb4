"""training/scoring.py gives the numbers of the shared golden file, as src/metrics.rs does."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
from scoring import confusion_of, scores, ua  # noqa: E402

GOLDEN = json.loads((ROOT / "tests/golden/scoring_golden.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: ",".join(c["labels"]))
def test_scores_equal_the_golden_numbers(case):
    s = scores(case["confusion"], case["labels"])
    assert s["unweighted_accuracy"] == pytest.approx(case["unweighted_accuracy"], abs=1e-12)
    assert s["weighted_accuracy"] == pytest.approx(case["weighted_accuracy"], abs=1e-12)
    for label, want in zip(case["labels"], case["recall"]):
        got = s["recall"][label]
        assert (got is None and want is None) or got == pytest.approx(want, abs=1e-12), label
    assert ua(case["confusion"]) == pytest.approx(case["unweighted_accuracy"], abs=1e-12)


def test_confusion_of_counts_a_missing_label_as_no_speech():
    c = confusion_of([(0, 0), (0, None), (1, 0)], 2)
    assert c.tolist() == [[1, 0, 1], [1, 0, 0]]
