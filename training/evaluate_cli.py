"""Score the cross-validation fold models with the Rust CLI: per corpus, per sex, clean and
degraded, a gain sweep, leave-one-corpus-out, and speaker calibration.

    python training/evaluate_cli.py [--model emotion4] [--cli target/release/speech-emotion]

train.py leaves each fold's ONNX model, metadata and held-out test list (with corpus,
speaker and sex columns) in training/cache/folds/<model>/, and the leave-one-corpus-out
models beside them. This script writes degraded copies of the test clips
(training/cache/degraded/<condition>/, 16-bit WAV), runs `speech-emotion evaluate --json`
on each (fold, corpus[, sex]) subset, pools the CLI's confusion matrices and writes
models/cli-eval-<model>.json, from which the model card's tables are generated. Every number
in the card is what the shipped engine computes, not what PyTorch computed.

Light dependencies (numpy, soundfile, scipy); the degradations are in degrade.py.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from degrade import CONDITIONS, GAIN_SWEEP, degrade
from scoring import scores

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "training" / "cache"

def degraded_copy(source: Path, condition: str) -> Path:
    """Write (once) the degraded WAV for a clip; the noise seed comes from the path."""
    target = CACHE / "degraded" / condition / source.parent.name / (source.stem + ".wav")
    if not target.exists():
        y, rate = sf.read(str(source), dtype="float64")
        seed = int.from_bytes(hashlib.sha256(f"{source.name}/{condition}".encode()).digest()[:8], "little")
        out, out_rate = degrade(y, rate, condition, np.random.default_rng(seed))
        target.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(target), np.clip(out, -1.0, 1.0), out_rate, subtype="PCM_16")
    return target


def subset_csv(rows: list[dict], name: str, condition: str) -> Path:
    """A `path,label` CSV of these rows (their degraded copies for a condition)."""
    target = CACHE / "degraded" / condition / f"{name}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        for r in rows:
            path = Path(r["path"]) if condition == "clean" else degraded_copy(Path(r["path"]), condition)
            w.writerow([str(path), r["label"]])
    return target


def cli_confusion(cli: Path, model: Path, csv_path: Path, calibration: list[str] = ()) -> np.ndarray:
    """[n, n + 1] counts (last column: no speech found) from `speech-emotion evaluate --json`."""
    command = [str(cli), "--model", str(model), "--metadata", str(model.with_suffix(".json"))]
    for c in calibration:
        command += ["--calibration", c]
    out = subprocess.run(command + ["evaluate", str(csv_path), "--json"], check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    assert not report["failed"], report["failed"]
    cm = report["confusion_matrix"]
    return np.column_stack([np.array(cm["counts"]), np.array(cm["no_speech"])])


CALIBRATION_CLIPS = 4


def calibration_split(rows: list[dict]) -> tuple[list[str], list[dict]]:
    """Four of the speaker's neutral clips (about 10 s of audio, the engine wants at least
    3 s of speech) as the calibration sample; the rest to score."""
    neutral = sorted(r["path"] for r in rows if r["emotion"] == "neutral")[:CALIBRATION_CLIPS]
    return neutral, [r for r in rows if r["path"] not in neutral]


def calibrated_confusions(cli: Path, model: Path, rows: list[dict], name: str) -> dict[str, np.ndarray]:
    """Each speaker of `rows` with enough neutral clips scored by `model` without and with
    a calibration sample of their own (calibration_split), pooled over the speakers."""
    n = len(json.loads(model.with_suffix(".json").read_text())["labels"])
    pooled = {"uncalibrated": np.zeros((n, n + 1), dtype=int), "calibrated": np.zeros((n, n + 1), dtype=int)}
    for speaker in sorted({r["speaker"] for r in rows}):
        sample, scored = calibration_split([r for r in rows if r["speaker"] == speaker])
        if len(sample) < CALIBRATION_CLIPS:
            continue
        listing = subset_csv(scored, f"{name}-{speaker}", "clean")
        pooled["uncalibrated"] += cli_confusion(cli, model, listing)
        pooled["calibrated"] += cli_confusion(cli, model, listing, sample)
    return pooled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="emotion4")
    parser.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "speech-emotion")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    args = parser.parse_args()

    folds = CACHE / "folds" / args.model
    fold_models = sorted(folds.glob("fold*.onnx"))
    if not fold_models:
        sys.exit(f"no fold models in {folds}: run training/train.py --metadata models/{args.model}.json first")
    labels = json.loads(fold_models[0].with_suffix(".json").read_text())["labels"]
    n = len(labels)
    started = time.time()
    tests = {m: list(csv.DictReader(open(folds / f"{m.stem}-test.csv"))) for m in fold_models}
    corpora = sorted({r["corpus"] for rows in tests.values() for r in rows})

    conditions = {}
    for condition in args.conditions.split(","):
        pooled = {c: np.zeros((n, n + 1), dtype=int) for c in corpora}
        for model, rows in tests.items():
            for corpus in corpora:
                subset = [r for r in rows if r["corpus"] == corpus]
                if subset:
                    pooled[corpus] += cli_confusion(args.cli, model, subset_csv(subset, f"{args.model}-{model.stem}-{corpus}", condition))
        conditions[condition] = {"description": CONDITIONS[condition], **{c: scores(pooled[c], labels) for c in corpora}}
        print(f"{condition:>8}: " + "  ".join(f"{c} UA {100 * conditions[condition][c]['unweighted_accuracy']:.1f} %" for c in corpora)
              + f"  ({time.time() - started:.0f} s)", flush=True)

    by_sex = {}
    for corpus in corpora:
        for sex in ("female", "male"):
            pooled = np.zeros((n, n + 1), dtype=int)
            for model, rows in tests.items():
                subset = [r for r in rows if r["corpus"] == corpus and r["sex"] == sex]
                if subset:
                    pooled += cli_confusion(args.cli, model, subset_csv(subset, f"{args.model}-{model.stem}-{corpus}-{sex}", "clean"))
            by_sex[f"{corpus}/{sex}"] = scores(pooled, labels)

    calibration = {c: {"uncalibrated": np.zeros((n, n + 1), dtype=int), "calibrated": np.zeros((n, n + 1), dtype=int)} for c in corpora}
    for model, rows in tests.items():
        for corpus in corpora:
            for k, cm in calibrated_confusions(args.cli, model, [r for r in rows if r["corpus"] == corpus], f"{args.model}-{model.stem}").items():
                calibration[corpus][k] += cm
    calibration = {c: {k: scores(v, labels) for k, v in d.items()} for c, d in calibration.items()}
    print("calibration: " + "  ".join(f"{c} UA {100 * d['uncalibrated']['unweighted_accuracy']:.1f} → "
                                      f"{100 * d['calibrated']['unweighted_accuracy']:.1f} %" for c, d in calibration.items()), flush=True)

    loco, loco_calibration = {}, {}
    for source in corpora:
        model = folds / f"loco-{source}.onnx"
        if model.exists():
            rows = list(csv.DictReader(open(folds / f"loco-{source}-test.csv")))
            key = f"{source}->{rows[0]['corpus']}"
            loco[key] = scores(cli_confusion(args.cli, model, subset_csv(rows, f"{args.model}-loco-{source}", "clean")), labels)
            # Is the other corpus out of reach only through its level and channel? A speaker's
            # own calm speech as the baseline answers that.
            loco_calibration[key] = {k: scores(cm, labels) for k, cm in
                                     calibrated_confusions(args.cli, model, rows, f"{args.model}-loco-{source}").items()}
            print(f"leave-one-corpus-out {key}: UA {100 * loco[key]['unweighted_accuracy']:.1f} %; with calibration "
                  f"{100 * loco_calibration[key]['uncalibrated']['unweighted_accuracy']:.1f} → "
                  f"{100 * loco_calibration[key]['calibrated']['unweighted_accuracy']:.1f} %", flush=True)

    version = subprocess.run([str(args.cli), "--version"], capture_output=True, text=True).stdout.strip()
    out = REPO / "models" / f"cli-eval-{args.model}.json"
    out.write_text(json.dumps({
        "model": args.model,
        "labels": labels,
        "protocol": f"{len(fold_models)} speaker-grouped folds over both corpora: each fold model, exported to ONNX by "
                    "train.py, scores its held-out speakers with `speech-emotion evaluate` (mean probabilities over the "
                    "3 s windows, 1 s hop, that the model hears as speech; a clip with none counts as a miss); "
                    "confusion matrices pooled over folds",
        "cli": version,
        "command": "python training/evaluate_cli.py --model " + args.model,
        "snr": "relative to the mean power of the active 20 ms frames (within 40 dB of the loudest)",
        "conditions": conditions,
        "gain_sweep": [c for c in GAIN_SWEEP if c in conditions],
        "by_sex": by_sex,
        "calibration": {"protocol": f"per held-out speaker: {CALIBRATION_CLIPS} neutral clips are the calibration sample "
                                    "(`--calibration`) and are left out of scoring; the speaker's other clips are scored with and without it",
                        **calibration},
        "leave_one_corpus_out": loco,
        "leave_one_corpus_out_calibration": loco_calibration,
        "wall_time_s": round(time.time() - started, 1),
    }, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")
    from plots import plot_confusion
    try:
        for corpus in corpora:
            cm = np.array(conditions["clean"][corpus]["confusion"])[:, :n]
            png = REPO / "models" / f"confusion-{args.model}-{corpus}.png"
            plot_confusion(cm, labels, f"{args.model}: Rust CLI on held-out {corpus} speakers (pooled folds)", png)
            print(f"wrote {png.relative_to(REPO)}")
    except ImportError as e:  # matplotlib is in requirements-train.txt, not in the CI test venv
        print(f"confusion matrix not drawn ({e})")


if __name__ == "__main__":
    main()
