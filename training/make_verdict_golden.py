"""Writes tests/golden/verdict_golden.json: clip verdicts (training/verdict.py) for window
outputs that cover the rule's cases. tests/verdict.rs and training/tests/test_verdict.py
check both implementations against it. Run: .venv-test/bin/python training/make_verdict_golden.py
"""
from __future__ import annotations

import json

import numpy as np

from features import REPO
from verdict import clip_verdict

OUT = REPO / "tests" / "golden" / "verdict_golden.json"


def cases() -> list[dict]:
    rng = np.random.default_rng(11)

    def windows(n: int, labels: int) -> list[list[float]]:
        p = rng.dirichlet(np.ones(labels), size=n)
        return [[float(f"{v:.6f}") for v in row] for row in p]

    out = [
        # Speech in some windows: only those count.
        {"name": "speech windows only", "probabilities": [[0.7, 0.1, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1], [0.05, 0.05, 0.05, 0.85]],
         "speech_probability": [0.9, 0.2, 0.8], "speech_threshold": 0.5, "uncertain_threshold": 0.3},
        # No window holds speech: no label, the mean of all for display.
        {"name": "no speech", "probabilities": [[0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]],
         "speech_probability": [0.1, 0.49], "speech_threshold": 0.5, "uncertain_threshold": 0.3},
        # Exactly at the speech threshold is speech; exactly at the uncertain threshold names it.
        {"name": "thresholds are inclusive", "probabilities": [[0.5, 0.25, 0.125, 0.125]],
         "speech_probability": [0.5], "speech_threshold": 0.5, "uncertain_threshold": 0.5},
        # Below the uncertain threshold: uncertain, with the top label still given.
        {"name": "uncertain", "probabilities": [[0.3, 0.3, 0.2, 0.2], [0.2, 0.35, 0.25, 0.2]],
         "speech_probability": [0.95, 0.9], "speech_threshold": 0.5, "uncertain_threshold": 0.4},
        # A tie: the first label.
        {"name": "a tie goes to the first label", "probabilities": [[0.4, 0.4, 0.1, 0.1]],
         "speech_probability": [1.0], "speech_threshold": 0.5, "uncertain_threshold": 0.3},
    ]
    for i, (n, labels) in enumerate([(7, 4), (30, 8), (120, 4)]):
        out.append({"name": f"random {i}: {n} windows, {labels} labels", "probabilities": windows(n, labels),
                    "speech_probability": [float(f"{v:.6f}") for v in rng.uniform(0, 1, n)],
                    "speech_threshold": 0.35, "uncertain_threshold": 0.45})
    for case in out:
        case["expected"] = clip_verdict(case["probabilities"], case["speech_probability"],
                                        case["speech_threshold"], case["uncertain_threshold"])
        # Float32 (the engine) and float64 (here) must not fall on opposite sides of a threshold.
        gap = abs(case["expected"]["confidence"] - case["uncertain_threshold"])
        assert gap == 0 or gap > 1e-4, case["name"]
        assert all(s == case["speech_threshold"] or abs(s - case["speech_threshold"]) > 1e-4 for s in case["speech_probability"])
    return out


def main() -> None:
    OUT.write_text(json.dumps({"source": "training/make_verdict_golden.py (training/verdict.py)", "cases": cases()}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
