"""Writes tests/golden/normalize_golden.json: the speaker-relative normalisation of real
clips (normalize.py), with and without a calibration and at -30 dB, under a fixed spec
stored in the file itself (so retraining never invalidates it).

The Rust test tests/normalize_parity.rs recomputes every case from the FLAC files and must
agree. Run: .venv-test/bin/python training/make_normalize_golden.py
"""
from __future__ import annotations

import json

import numpy as np

from features import REPO, load_audio, load_metadata, mfcc
from normalize import history_of, normalize

RAVDESS = REPO.parent / "shared" / "data" / "ravdess"
OUT = REPO / "tests" / "golden" / "normalize_golden.json"
EVERY = 7  # keep every 7th frame: enough to catch drift, small enough to commit

SPEC = {
    "kind": "speaker_relative", "prior_frames_level": 2.0, "prior_frames_shape": 300.0,
    "active_floor_db": -95.0, "active_below_peak_db": 30.0, "peak_decay_db_per_s": 1.0,
    "active_above_noise_db": 6.0, "noise_rise_db_per_s": 0.5,
}
# (name, clip, gain, calibration clip or None)
CASES = [
    ("actor12_angry", "Actor_12/03-01-05-02-02-01-12.flac", 1.0, None),
    ("actor12_angry_minus30db", "Actor_12/03-01-05-02-02-01-12.flac", 10 ** (-30 / 20), None),
    ("actor22_calibrated_by_actor01", "Actor_22/03-01-03-01-01-02-22.flac", 1.0, "Actor_01/03-01-01-01-01-01-01.flac"),
]


def main() -> None:
    meta = load_metadata()
    n_mfcc = meta["features"]["n_mfcc"]
    rng = np.random.default_rng(11)
    # Scales of the size training produces (c0 spans the most), so differences read as in the model.
    spec = dict(SPEC, prior_mean=[round(float(v), 3) for v in rng.normal(0, 20, n_mfcc) + np.array([-480] + [0] * (n_mfcc - 1))],
                scale=[140.0] + [round(float(v), 3) for v in np.linspace(50, 5, n_mfcc - 1)])
    golden_meta = {"features": meta["features"], "normalization": spec}
    cases = []
    for name, clip, gain, calibration in CASES:
        y, _ = load_audio(RAVDESS / clip)
        history = None
        if calibration:
            c, _ = load_audio(RAVDESS / calibration)
            history = history_of(mfcc(c, meta["features"]), golden_meta)
        x = normalize(mfcc((y * gain).astype(np.float32), meta["features"]), golden_meta, history)
        cases.append({"name": name, "clip": clip, "gain": gain, "calibration": calibration,
                      "frames": len(x), "every": EVERY,
                      "normalized": [[round(float(v), 5) for v in row] for row in x[::EVERY]]})
    OUT.write_text(json.dumps({"features": meta["features"], "normalization": spec, "cases": cases}) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
