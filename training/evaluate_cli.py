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

Light dependencies (numpy, soundfile, scipy): the degradations are unit-tested in CI.
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
from scipy.signal import fftconvolve, resample_poly

from scoring import scores

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "training" / "cache"

# Degradations of the robustness table: name → what it does.
CONDITIONS: dict[str, str] = {
    "clean": "the original 16 kHz FLAC",
    "white20": "white noise at 20 dB SNR",
    "white10": "white noise at 10 dB SNR",
    "white5": "white noise at 5 dB SNR",
    "pink20": "pink (1/f) noise at 20 dB SNR",
    "pink10": "pink (1/f) noise at 10 dB SNR",
    "pink5": "pink (1/f) noise at 5 dB SNR",
    "tel8k": "resampled to 8 kHz (telephone band, < 4 kHz); the engine resamples it back",
    "gain-30": "30 dB quieter",
    "gain-20": "20 dB quieter",
    "gain-10": "10 dB quieter",
    "gain+10": "10 dB louder (clipped to full scale where it exceeds it)",
    "gain+20": "20 dB louder (clipped to full scale where it exceeds it)",
}
GAIN_SWEEP = ["gain-30", "gain-20", "gain-10", "clean", "gain+10", "gain+20"]


def active_power(y: np.ndarray, rate: int) -> float:
    """Mean power of the 20 ms frames within 40 dB of the loudest one, so that the
    silence before and after the sentence does not inflate the SNR."""
    n = max(1, int(0.02 * rate))
    frames = y[: len(y) // n * n].reshape(-1, n) if len(y) >= n else y.reshape(1, -1)
    power = (frames.astype(np.float64) ** 2).mean(axis=1)
    active = power[power >= power.max() * 1e-4]
    return float(active.mean()) if active.size else 0.0


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise shaped to a 1/f power spectrum (amplitude 1/sqrt(f))."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spectrum.size, dtype=np.float64)
    f[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(f), n)
    return noise / noise.std()


def add_noise(y: np.ndarray, rate: int, snr_db: float, colour: str, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(len(y)) if colour == "white" else pink_noise(len(y), rng)
    scale = np.sqrt(active_power(y, rate) / 10 ** (snr_db / 10) / (noise ** 2).mean())
    return y + scale * noise


def degrade(y: np.ndarray, rate: int, condition: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    if condition == "clean":
        return y, rate
    if condition.startswith(("white", "pink")):
        colour = "white" if condition.startswith("white") else "pink"
        return add_noise(y, rate, float(condition[len(colour):]), colour, rng), rate
    if condition == "tel8k":
        return resample_poly(y, 8000, rate), 8000
    if condition.startswith("gain"):
        return np.clip(y * 10 ** (float(condition[4:]) / 20), -1.0, 1.0), rate
    raise ValueError(f"unknown condition {condition}")


def add_reverb(y: np.ndarray, rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Light synthetic room: the direct sound plus an exponentially decaying noise tail whose
    level falls 60 dB in `rt60` seconds, at a direct-to-reverberant ratio of 0-10 dB."""
    n = int(rt60 * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60)
    tail[: int(0.005 * rate)] = 0.0  # first reflections after 5 ms
    tail *= np.sqrt(10 ** (-rng.uniform(0, 10) / 10) / (tail ** 2).sum())
    ir = np.concatenate([[1.0], tail[1:]])
    wet = fftconvolve(y, ir)[: len(y)]
    return wet * np.sqrt((y ** 2).sum() / max((wet ** 2).sum(), 1e-20))


def training_degradation(y: np.ndarray, rate: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A random degradation for training (train.py): white or pink noise at an SNR drawn
    uniformly from 5–30 dB, the telephone band (to 8 kHz and back), or a light synthetic
    room (RT60 0.15–0.8 s). Same length as the input; returns the kind too. The test
    conditions above use fixed SNRs and their own seeds."""
    kind = str(rng.choice(["white", "pink", "tel", "reverb"], p=[0.3, 0.3, 0.15, 0.25]))
    if kind == "tel":
        band, band_rate = degrade(y, rate, "tel8k", rng)
        out = resample_poly(band, rate, band_rate)[: len(y)]
        return np.pad(out, (0, len(y) - len(out))), kind
    if kind == "reverb":
        return add_reverb(y, rate, float(rng.uniform(0.15, 0.8)), rng), kind
    return add_noise(y, rate, float(rng.uniform(5, 30)), kind, rng), kind


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
        for speaker in sorted({r["speaker"] for r in rows}):
            mine = [r for r in rows if r["speaker"] == speaker]
            sample, scored = calibration_split(mine)
            if len(sample) < CALIBRATION_CLIPS:
                continue
            name = f"{args.model}-{model.stem}-{speaker}"
            listing = subset_csv(scored, name, "clean")
            corpus = mine[0]["corpus"]
            calibration[corpus]["uncalibrated"] += cli_confusion(args.cli, model, listing)
            calibration[corpus]["calibrated"] += cli_confusion(args.cli, model, listing, sample)
    calibration = {c: {k: scores(v, labels) for k, v in d.items()} for c, d in calibration.items()}
    print("calibration: " + "  ".join(f"{c} UA {100 * d['uncalibrated']['unweighted_accuracy']:.1f} → "
                                      f"{100 * d['calibrated']['unweighted_accuracy']:.1f} %" for c, d in calibration.items()), flush=True)

    loco = {}
    for source in corpora:
        model = folds / f"loco-{source}.onnx"
        if model.exists():
            rows = list(csv.DictReader(open(folds / f"loco-{source}-test.csv")))
            target = rows[0]["corpus"]
            loco[f"{source}->{target}"] = scores(cli_confusion(args.cli, model, subset_csv(rows, f"{args.model}-loco-{source}", "clean")), labels)
            print(f"leave-one-corpus-out {source} -> {target}: UA {100 * loco[f'{source}->{target}']['unweighted_accuracy']:.1f} %", flush=True)

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
