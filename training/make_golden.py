"""Writes tests/golden/mfcc_golden.json: librosa MFCCs of real clips and a synthetic signal.

The Rust tests (native and wasm) recompute them and must agree within 1e-4 of each
matrix's value range. Run: .venv-test/bin/python training/make_golden.py
"""
from __future__ import annotations

import hashlib
import json

import librosa
import numpy as np

from features import REPO, load_audio, load_metadata, mfcc

RAVDESS = REPO.parent / "shared" / "data" / "ravdess"
CLIPS = [
    "Actor_01/03-01-01-01-01-01-01.flac",
    "Actor_12/03-01-05-02-02-01-12.flac",
    "Actor_22/03-01-03-01-01-02-22.flac",
]
OUT = REPO / "tests" / "golden" / "mfcc_golden.json"


def synthetic(rate: int) -> np.ndarray:
    """0.5 s: a 200→3000 Hz chirp with a little deterministic noise."""
    n = rate // 2
    t = np.arange(n) / rate
    chirp = 0.4 * np.sin(2 * np.pi * (200 * t + (3000 - 200) / (2 * 0.5) * t * t))
    noise = 0.01 * np.random.default_rng(7).standard_normal(n)
    return np.round(chirp + noise, 6).astype(np.float32)


def rounded(matrix: np.ndarray) -> list:
    return [[float(f"{v:.6g}") for v in row] for row in matrix]


def main() -> None:
    meta = load_metadata()
    features = meta["features"]
    cases = []
    for rel in CLIPS:
        path = RAVDESS / rel
        y, rate = load_audio(path)
        assert rate == features["sample_rate"], f"{rel} is {rate} Hz"
        cases.append({
            "name": rel,
            "clip": rel,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "mfcc": rounded(mfcc(y, features)),
        })
    y = synthetic(features["sample_rate"])
    cases.append({"name": "synthetic chirp", "samples": [float(v) for v in y], "mfcc": rounded(mfcc(y, features))})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "generator": "training/make_golden.py",
        "librosa_version": librosa.__version__,
        "features": features,
        "layout": "mfcc[frame][coefficient]",
        "cases": cases,
    }, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
