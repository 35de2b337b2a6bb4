"""How much of the emotion is in MFCC statistics, and what speaker normalisation buys.

    .venv-train/bin/python training/stats_probe.py        # about 2 minutes after train.py cached the features

A diagnostic, not a model: each clip becomes one vector of MFCC statistics over its active
frames (mean and spread of every coefficient, spread of its frame-to-frame change, level
percentiles), an RBF SVM is scored with the same speaker-grouped folds as train.py and
leave-one-corpus-out, and the input is varied:

- `absolute`: the raw MFCCs;
- `engine`: the model's input (the engine's causal speaker-relative normalisation, no history);
- `engine+calibration`: the same with four neutral clips of the speaker as history
  (what `--calibration` gives the model);
- `engine+calibration+spread`: the same, each coefficient then divided by its spread over
  the calibration clips' active frames (what a causal running variance in the engine
  would give);
- `engine+own spread`: no calibration; each frame divided by the causal running spread of
  the clip's own active frames so far (shrunk towards 1 with 100 pseudo-frames), as a stream
  without calibration would have it;
- `speaker mean (statistics)`: every statistic minus its mean over four neutral clips of the
  speaker, spreads included: what a normalisation of spread, not only of level and
  colour, could reach.

Writes models/probe-<model>.json; the model card's *Limitations* renders it.
"""
from __future__ import annotations

import csv
import json
import sys

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from data import DATA, attach_features, dct_matrix, load_clips
from features import REPO, load_metadata
from normalize import active_frames, frame_levels, history_of, normalize
from scoring import confusion_of, ua
from train import alias_map, speaker_folds

CALIBRATION_CLIPS = 4


def statistics(m: np.ndarray) -> np.ndarray:
    d = np.diff(m, axis=0)
    return np.concatenate([m.mean(0), m.std(0), d.std(0), np.percentile(m[:, 0], [10, 50, 90])])


def calibration_clips(items, i, neutral_of):
    """The speaker's first neutral clips, clip i left out: its calibration sample."""
    return tuple(j for j in neutral_of[items[i]["speaker"]] if j != i)[:CALIBRATION_CLIPS]


def running_spread(x, active, prior_frames=100.0):
    """Causal spread per frame: the running mean square of the active frames so far, shrunk towards 1."""
    sq = np.cumsum(np.where(active[:, None], x.astype(np.float64) ** 2, 0.0), axis=0)
    n = np.cumsum(active.astype(np.float64))[:, None]
    return np.sqrt((prior_frames + sq) / (prior_frames + n))


def calibration(clips, mfccs, actives, meta):
    """A calibration sample's history (sum and count of its active frames) and the spread
    of its normalised active frames per coefficient."""
    total, count = np.zeros(mfccs[0].shape[1]), 0.0
    for j in clips:
        s, c = history_of(mfccs[j], meta)
        total, count = total + s, count + c
    history = (total, count)
    frames = [normalize(mfccs[j], meta, history)[actives[j]] for j in clips]
    frames = np.concatenate(frames) if frames else np.zeros((0, len(total)))
    spread = frames.std(axis=0) + 0.1 if len(frames) > 10 else np.ones(len(total))
    return history, spread


def score(X, y, speakers, corpora, n_labels, n_folds):
    def model():
        return make_pipeline(StandardScaler(), SVC(C=3, class_weight="balanced"))
    pooled = {c: [] for c in sorted(set(corpora))}
    for fold in speaker_folds(n_folds):
        test = np.isin(speakers, list(fold))
        predicted = model().fit(X[~test], y[~test]).predict(X[test])
        for c in pooled:
            pooled[c] += list(zip(y[test & (corpora == c)], predicted[corpora[test] == c]))
    out = {f"cv {c}": ua(confusion_of(r, n_labels)) for c, r in pooled.items()}
    for a, b in (("ravdess", "nemo"), ("nemo", "ravdess")):
        predicted = model().fit(X[corpora == a], y[corpora == a]).predict(X[corpora == b])
        out[f"{a} -> {b}"] = ua(confusion_of(list(zip(y[corpora == b], predicted)), n_labels))
    return out


def main() -> None:
    meta = load_metadata(sys.argv[1] if len(sys.argv) > 1 else REPO / "models" / "emotion4.json")
    emotions = {r["emotion"] for c in ("ravdess", "nemo") for r in csv.DictReader(open(DATA / c / "manifest.csv"))}
    items = load_clips(["ravdess", "nemo"], alias_map(meta, emotions), meta["labels"])
    attach_features(items, meta, 0)
    f, spec = meta["features"], meta["normalization"]
    D, hop = dct_matrix(f), f["hop_length"] / f["sample_rate"]

    mfccs = [it["logmel"] @ D for it in items]
    actives = [active_frames(frame_levels(m, f["n_mels"]), spec, hop) for m in mfccs]
    neutral_of = {}
    for j, it in enumerate(items):
        if it["label"] == meta["labels"].index("neutral"):
            neutral_of.setdefault(it["speaker"], []).append(j)
    samples = {}  # calibration clips -> (history, spread): the same few per speaker

    rows = {"absolute": [], "engine": [], "engine+own spread": [], "engine+calibration": [], "engine+calibration+spread": []}
    calibration_of = []
    for i, (m, active) in enumerate(zip(mfccs, actives)):
        keep = active if active.sum() > 10 else np.ones(len(m), dtype=bool)
        clips = calibration_clips(items, i, neutral_of)
        if clips not in samples:
            samples[clips] = calibration(clips, mfccs, actives, meta)
        history, spread = samples[clips]
        calibration_of.append(list(clips))
        rows["absolute"].append(statistics(m[keep]))
        x = normalize(m, meta, None)
        rows["engine"].append(statistics(x[keep]))
        rows["engine+own spread"].append(statistics((x / running_spread(x, active))[keep]))
        x = normalize(m, meta, history)
        rows["engine+calibration"].append(statistics(x[keep]))
        rows["engine+calibration+spread"].append(statistics(x[keep] / spread))
    X = {k: np.array(v) for k, v in rows.items()}
    X["speaker mean (statistics)"] = np.array([X["absolute"][i] - X["absolute"][c].mean(0) for i, c in enumerate(calibration_of)])

    y = np.array([it["label"] for it in items])
    speakers = np.array([it["speaker"] for it in items])
    corpora = np.array([it["corpus"] for it in items])
    results = {name: score(x, y, speakers, corpora, len(meta["labels"]), 3) for name, x in X.items()}
    out = {"command": "python training/stats_probe.py" + "".join(f" {a}" for a in sys.argv[1:]),
           "classifier": "RBF SVM (C 3, balanced classes) on standardised clip statistics",
           "protocol": "3 speaker-grouped folds as train.py (pooled per corpus); leave-one-corpus-out",
           "calibration_clips": CALIBRATION_CLIPS,
           "ua": {k: {c: round(v, 4) for c, v in r.items()} for k, r in results.items()}}
    path = REPO / "models" / f"probe-{meta['name']}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    for name, r in out["ua"].items():
        print(f"{name:28s} " + "  ".join(f"{c} {100 * v:.1f} %" for c, v in r.items()))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
