"""The engine's clip verdict, numpy only: the mean probabilities over the windows whose
speech probability reaches the threshold, the top label (first on ties), "uncertain" below
the uncertain threshold; no label when no window holds speech (then the mean over all
windows, for display). `Decider::clip_verdict` in src/decision.rs is its Rust twin; both
give the cases of tests/golden/verdict_golden.json (written by make_verdict_golden.py).
"""
from __future__ import annotations

import numpy as np


def clip_verdict(probabilities, speech_probability, speech_threshold: float, uncertain_threshold: float) -> dict:
    """`probabilities` [windows, labels], `speech_probability` [windows] →
    {state, top (index or None), confidence, probabilities}."""
    p = np.asarray(probabilities, dtype=np.float64).reshape(len(speech_probability), -1)
    speech = np.asarray(speech_probability, dtype=np.float64) >= speech_threshold
    if not speech.any():
        mean = p.mean(axis=0) if len(p) else np.zeros(0)
        return {"state": "no_speech", "top": None, "confidence": float(mean.max()) if mean.size else float("-inf"),
                "probabilities": mean.tolist()}
    mean = p[speech].mean(axis=0)
    top = int(np.argmax(mean))
    confidence = float(mean[top])
    state = "uncertain" if confidence < uncertain_threshold else "emotion"
    return {"state": state, "top": top, "confidence": confidence, "probabilities": mean.tolist()}
