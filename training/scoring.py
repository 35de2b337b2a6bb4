"""The one scoring rule of the Python side: UA (mean recall over the classes present), WA and
recall per class from a confusion matrix whose last column counts clips without speech (a
miss). `src/metrics.rs` is its Rust twin; both are checked against
tests/golden/scoring_golden.json, so the card, the training log and the CLI cannot drift.
"""
from __future__ import annotations

import numpy as np


def confusion_of(results, n: int) -> np.ndarray:
    """[n, n + 1] counts from (true index, predicted index or None) pairs."""
    c = np.zeros((n, n + 1), dtype=int)
    for label, pred in results:
        c[label, n if pred is None else pred] += 1
    return c


def scores(confusion: np.ndarray, labels: list[str]) -> dict:
    """UA, WA, recall and support per class, from an [n, n + 1] confusion matrix."""
    confusion = np.asarray(confusion)
    n = len(labels)
    support = confusion.sum(axis=1)
    recall = np.diag(confusion[:, :n]) / np.maximum(support, 1)
    present = support > 0
    return {
        "unweighted_accuracy": float(recall[present].mean()) if present.any() else None,
        "weighted_accuracy": float(np.trace(confusion[:, :n]) / max(confusion.sum(), 1)),
        "recall": {l: (float(r) if s else None) for l, r, s in zip(labels, recall, support)},
        "support": dict(zip(labels, map(int, support))),
        "no_speech": int(confusion[:, -1].sum()),
        "clips": int(confusion.sum()),
        "confusion": confusion.astype(int).tolist(),
    }


def ua(confusion: np.ndarray) -> float:
    """Unweighted accuracy of an [n, n + 1] confusion matrix."""
    n = np.asarray(confusion).shape[0]
    return scores(confusion, [str(i) for i in range(n)])["unweighted_accuracy"]
