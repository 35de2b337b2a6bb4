"""Scores and calibration of held-out predictions: UA/WA, temperature, ECE, the
"uncertain" threshold and the speech threshold (numpy only)."""
from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of held-out windows
    (golden-section search over log T; NLL is unimodal in T)."""
    def nll(log_t: float) -> float:
        p = softmax(logits, float(np.exp(log_t)))
        return float(-np.log(p[np.arange(len(labels)), labels] + 1e-12).mean())
    lo, hi, g = np.log(0.05), np.log(20.0), (np.sqrt(5) - 1) / 2
    for _ in range(80):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        lo, hi = (lo, b) if nll(a) < nll(b) else (a, hi)
    return float(np.exp((lo + hi) / 2))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE: |accuracy − confidence| averaged over equal-width confidence bins, weighted by size."""
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            ece += inside.mean() * abs((pred[inside] == labels[inside]).mean() - conf[inside].mean())
    return float(ece)


def uncertain_threshold(probs: np.ndarray, labels: np.ndarray, target: float) -> dict:
    """Lowest top-probability threshold above which held-out predictions are right at least
    `target` of the time: below it the page says "uncertain" instead of naming an emotion."""
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
    candidates = [t for t in np.arange(0.0, 1.0, 0.01) if (conf >= t).mean() >= 0.05]
    met = [t for t in candidates if correct[conf >= t].mean() >= target]
    # If no threshold reaches the target, take the most accurate one that still names an
    # emotion for at least 5 % of windows, and say so.
    t = met[0] if met else max(candidates, key=lambda c: correct[conf >= c].mean())
    above = conf >= t
    return {"threshold": round(float(t), 2), "target_accuracy": target, "target_met": bool(met),
            "coverage": float(above.mean()), "accuracy_above": float(correct[above].mean()),
            "accuracy_below": float(correct[~above].mean()) if (~above).any() else None}
