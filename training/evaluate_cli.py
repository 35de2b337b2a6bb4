"""Score the cross-validation fold models with the Rust CLI, on clean and degraded audio.

    python training/evaluate_cli.py [--model emotion4] [--cli target/release/speech-emotion]

train.py leaves each fold's ONNX model, metadata and held-out test list in
training/cache/folds/<model>/. This script writes degraded copies of the test clips
(training/cache/degraded/<condition>/, 16-bit WAV), runs
`speech-emotion --model foldK.onnx --metadata foldK.json evaluate ... --json` for every
fold and condition, and writes models/cli-eval-<model>.json, from which the model card's
per-fold, per-class and robustness tables are generated. So every number in the card is
what the shipped engine computes, not what PyTorch computed.

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
from scipy.signal import resample_poly

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
    "gain-20": "attenuated by 20 dB",
}


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
    if condition == "gain-20":
        return y * 10 ** (-20 / 20), rate
    raise ValueError(f"unknown condition {condition}")


def training_degradation(y: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A random degradation for training (train.py --noise-aug): white or pink noise at an
    SNR drawn uniformly from 5–30 dB, or the telephone band (to 8 kHz and back). Same
    length as the input. The test conditions above use fixed SNRs and their own seeds."""
    kind = rng.choice(["white", "pink", "tel"], p=[0.4, 0.4, 0.2])
    if kind == "tel":
        band, band_rate = degrade(y, rate, "tel8k", rng)
        out = resample_poly(band, rate, band_rate)[: len(y)]
        return np.pad(out, (0, len(y) - len(out)))
    return add_noise(y, rate, float(rng.uniform(5, 30)), str(kind), rng)


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


def test_list(folds: Path, fold: int, condition: str) -> Path:
    """The fold's test CSV, pointing at the degraded copies."""
    source = folds / f"fold{fold}-test.csv"
    if condition == "clean":
        return source
    rows = list(csv.DictReader(open(source)))
    target = CACHE / "degraded" / condition / f"{folds.name}-fold{fold}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        for r in rows:
            w.writerow([str(degraded_copy(Path(r["path"]), condition)), r["label"]])
    return target


def summarise(reports: list[dict], labels: list[str]) -> dict:
    n = len(labels)
    pooled = np.zeros((n, n), dtype=int)
    for r in reports:
        pooled += np.array(r["confusion_matrix"]["counts"])
    support = pooled.sum(axis=1)
    recall = np.diag(pooled) / np.maximum(support, 1)
    return {
        "folds": [{"fold": k + 1, "clips": r["evaluated"], "unweighted_accuracy": r["unweighted_accuracy"],
                   "weighted_accuracy": r["weighted_accuracy"]} for k, r in enumerate(reports)],
        "mean_unweighted_accuracy": float(np.mean([r["unweighted_accuracy"] for r in reports])),
        "mean_weighted_accuracy": float(np.mean([r["weighted_accuracy"] for r in reports])),
        "pooled": {"recall": dict(zip(labels, map(float, recall))), "support": dict(zip(labels, map(int, support))),
                   "confusion": pooled.tolist()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="emotion4")
    parser.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "speech-emotion")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    args = parser.parse_args()

    folds = CACHE / "folds" / args.model
    n_folds = len(list(folds.glob("fold*.onnx")))
    if n_folds == 0:
        sys.exit(f"no fold models in {folds}: run training/train.py --metadata models/{args.model}.json first")
    labels = json.loads((folds / "fold1.json").read_text())["labels"]
    started = time.time()
    results = {}
    for condition in args.conditions.split(","):
        reports = []
        for k in range(1, n_folds + 1):
            command = [str(args.cli), "--model", str(folds / f"fold{k}.onnx"), "--metadata", str(folds / f"fold{k}.json"),
                       "evaluate", str(test_list(folds, k, condition)), "--json"]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            report = json.loads(out)
            assert report["confusion_matrix"]["labels"] == labels and not report["failed"], report["failed"]
            reports.append(report)
        results[condition] = {"description": CONDITIONS[condition], **summarise(reports, labels)}
        print(f"{condition:>8}: mean UA {100 * results[condition]['mean_unweighted_accuracy']:.1f} %  "
              f"WA {100 * results[condition]['mean_weighted_accuracy']:.1f} %  ({time.time() - started:.0f} s)", flush=True)

    version = subprocess.run([str(args.cli), "--version"], capture_output=True, text=True).stdout.strip()
    out = REPO / "models" / f"cli-eval-{args.model}.json"
    out.write_text(json.dumps({
        "model": args.model,
        "labels": labels,
        "protocol": "each fold model, exported to ONNX by train.py, scores its held-out actors with "
                    "`speech-emotion evaluate` (mean softmax over 3 s windows, 1 s hop)",
        "cli": version,
        "command": "python training/evaluate_cli.py --model " + args.model,
        "snr": "relative to the mean power of the active 20 ms frames (within 40 dB of the loudest)",
        "conditions": results,
        "wall_time_s": round(time.time() - started, 1),
    }, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")
    from plots import plot_confusion
    png = REPO / "models" / f"confusion-{args.model}.png"
    try:
        plot_confusion(np.array(results["clean"]["pooled"]["confusion"]), labels,
                       f"{args.model}: Rust CLI on held-out actors, 5 actor-grouped folds (pooled)", png)
        print(f"wrote {png.relative_to(REPO)}")
    except ImportError as e:  # matplotlib is in requirements-train.txt, not in the CI test venv
        print(f"confusion matrix not drawn ({e})")


if __name__ == "__main__":
    main()
