"""Train the emotion model speaker-independently and export it for the Rust engine.

One command, fixed seeds:
    .venv-train/bin/python training/train.py
1. Builds the 4-class set from ../shared/data/ravdess (neutral = neutral + calm).
2. Cross-validates with actor-grouped folds (no actor on both sides of a split).
3. Trains the final model on all 22 actors, exports models/emotion4.onnx, rewrites the
   metadata (normalisation, provenance, metrics) and writes metrics JSON + confusion PNG.
Feature parameters are read from models/emotion4.json and never defined here.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.signal import resample_poly

from features import REPO, clip_mfcc, load_audio, load_metadata, window_starts
from plots import plot_confusion
from evaluate_cli import CONDITIONS, degraded_copy, training_degradation

RAVDESS = REPO.parent / "shared" / "data" / "ravdess"
MODELS = REPO / "models"
CACHE = REPO / "training" / "cache"
FOLDS = CACHE / "folds"
EXPERIMENTS = REPO / "training" / "experiments.jsonl"


def label_mapping(labels: list[str]) -> dict[str, str]:
    """RAVDESS emotion → model label. Without a `calm` class, calm counts as neutral;
    emotions the model does not have are left out."""
    mapping = {e: e for e in labels}
    if "calm" not in labels and "neutral" in labels:
        mapping["calm"] = "neutral"
    return mapping


def actor_folds(n_folds: int) -> list[list[int]]:
    """Actor-grouped folds, each with male (odd) and female (even) actors."""
    males, females = list(range(1, 23, 2)), list(range(2, 23, 2))
    return [sorted(males[i::n_folds] + females[i::n_folds]) for i in range(n_folds)]


def load_dataset(meta: dict) -> list[dict]:
    labels = meta["labels"]
    label_of = label_mapping(labels)
    key = hashlib.sha256(json.dumps([meta["features"], meta["window_frames"], sorted(label_of.items())], sort_keys=True).encode()).hexdigest()[:12]
    cache = CACHE / f"mfcc-{key}.npz"
    rows = [r for r in csv.DictReader(open(RAVDESS / "manifest.csv")) if r["emotion"] in label_of]
    if cache.exists():
        stored = np.load(cache, allow_pickle=True)
        feats = list(stored["feats"])
    else:
        feats = []
        for r in rows:
            y, rate = load_audio(RAVDESS / r["path"])
            assert rate == meta["features"]["sample_rate"], r["path"]
            feats.append(clip_mfcc(y, meta))
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(cache, feats=np.array(feats, dtype=object))
    return [
        {"path": r["path"], "actor": int(r["actor"]), "label": labels.index(label_of[r["emotion"]]), "mfcc": f}
        for r, f in zip(rows, feats)
    ]


def cached_mfccs(name: str, meta: dict, items: list[dict], audio_of) -> list[np.ndarray]:
    """MFCCs of `audio_of(item) -> (samples, rate)` for every item, cached under `name`."""
    key = hashlib.sha256(json.dumps([name, meta["features"], [it["path"] for it in items]]).encode()).hexdigest()[:12]
    cache = CACHE / f"mfcc-{name}-{key}.npz"
    if cache.exists():
        return list(np.load(cache, allow_pickle=True)["feats"])
    rate = meta["features"]["sample_rate"]
    feats = []
    for it in items:
        y, r = audio_of(it)
        if r != rate:
            y = resample_poly(y, rate, r)
        feats.append(clip_mfcc(y.astype(np.float32), meta))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cache, feats=np.array(feats, dtype=object))
    return feats


def add_noisy_variants(items: list[dict], meta: dict, n: int) -> None:
    """n randomly degraded copies of every clip (training_degradation), as MFCCs, for
    --noise-aug; seeded by the clip's path and the copy's number."""
    def degraded(it, k):
        y, rate = load_audio(RAVDESS / it["path"])
        seed = int.from_bytes(hashlib.sha256(f"train-noise/{it['path']}/{k}".encode()).digest()[:8], "little")
        return training_degradation(np.asarray(y, dtype=np.float64), rate, np.random.default_rng(seed)), rate
    variants = [cached_mfccs(f"noisy{k}", meta, items, lambda it, k=k: degraded(it, k)) for k in range(n)]
    for i, it in enumerate(items):
        it["noisy"] = [v[i] for v in variants]


def add_test_conditions(items: list[dict], meta: dict) -> list[str]:
    """MFCCs of the robustness table's degraded copies (evaluate_cli.degraded_copy), so a
    cross-validation run reports PyTorch UA under each condition; returns the conditions."""
    conditions = [c for c in CONDITIONS if c != "clean"]
    for condition in conditions:
        feats = cached_mfccs(condition, meta, items, lambda it: load_audio(degraded_copy(RAVDESS / it["path"], condition)))
        for it, f in zip(items, feats):
            it.setdefault("conditions", {})[condition] = f
    return conditions


class EmotionCnn(nn.Module):
    """Compact 2-D CNN over (coefficients × frames) with global average pooling."""

    def __init__(self, n_classes: int, widths=(16, 32, 48, 64), dropout=0.3):
        super().__init__()
        layers, c_in = [], 1
        pools = [(2, 4), (2, 2), (2, 2), None]
        for c_out, pool in zip(widths, pools):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            if pool:
                layers.append(nn.MaxPool2d(pool))
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [batch, frames, coefficients]
        x = x.transpose(1, 2).unsqueeze(1)  # → [batch, 1, coefficients, frames]
        x = self.body(x).mean(dim=(2, 3))
        return self.head(self.dropout(x))


class AttentivePooling(nn.Module):
    """Attention-weighted mean and standard deviation over time (x-vector style)."""

    def __init__(self, channels: int, hidden: int = 64):
        super().__init__()
        self.score = nn.Sequential(nn.Conv1d(channels, hidden, 1), nn.Tanh(), nn.Conv1d(hidden, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [batch, channels, frames]
        w = torch.softmax(self.score(x), dim=2)
        mean = (w * x).sum(dim=2)
        var = (w * x * x).sum(dim=2) - mean * mean
        return torch.cat([mean, torch.sqrt(var.clamp(min=1e-6))], dim=1)


class EmotionTdnn(nn.Module):
    """1-D dilated convolutions over time with the coefficients as channels (a small
    TDNN), then attentive statistics pooling: MFCC coefficients are not translation
    invariant, so they are channels rather than an image axis."""

    def __init__(self, n_in: int, n_classes: int, widths=(64, 64, 96, 128), dropout=0.3):
        super().__init__()
        specs = [(5, 1), (3, 2), (3, 3), (1, 1)]
        layers, c_in = [], n_in
        for c_out, (k, d) in zip(widths, specs):
            layers += [nn.Conv1d(c_in, c_out, k, dilation=d, padding=d * (k - 1) // 2, bias=False),
                       nn.BatchNorm1d(c_out), nn.ReLU()]
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.pool = AttentivePooling(c_in)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [batch, frames, coefficients]
        return self.head(self.dropout(self.pool(self.body(x.transpose(1, 2)))))


def build_model(arch: str, n_in: int, n_classes: int) -> nn.Module:
    return {"cnn2d": lambda: EmotionCnn(n_classes), "tdnn": lambda: EmotionTdnn(n_in, n_classes)}[arch]()


def count_mflops(model: nn.Module, shape: list[int]) -> float:
    """Multiply-adds ×2 of one forward pass over Conv and Linear layers (the rest is noise)."""
    total = 0

    def hook(layer, _inputs, output):
        nonlocal total
        if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
            per_output = layer.in_channels // layer.groups * int(np.prod(layer.kernel_size))
            total += 2 * output.numel() * per_output
        elif isinstance(layer, nn.Linear):
            total += 2 * output.numel() * layer.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(torch.zeros(*shape))
    for h in handles:
        h.remove()
    return total / 1e6


def normalization(items: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    frames = np.concatenate([it["mfcc"] for it in items])
    return frames.mean(axis=0), frames.std(axis=0) + 1e-6


def random_windows(items, window, rng, mean, std, n_mels, noise_p=0.0):
    """One random crop per clip, with random gain (an exact c0 shift) and SpecAugment masks;
    with probability noise_p the crop comes from one of the clip's noisy copies."""
    batch = np.empty((len(items), window, mean.shape[0]), dtype=np.float32)
    for i, it in enumerate(items):
        m = it["mfcc"]
        if noise_p > 0 and rng.random() < noise_p:
            m = it["noisy"][rng.integers(len(it["noisy"]))]
        start = rng.integers(0, m.shape[0] - window + 1)
        x = m[start:start + window].copy()
        x[:, 0] += rng.uniform(-6, 6) * np.sqrt(n_mels)  # ±6 dB gain moves every mel band equally
        x = (x - mean) / std
        for _ in range(2):
            w = rng.integers(0, 30)
            t0 = rng.integers(0, window - w + 1)
            x[t0:t0 + w] = 0.0
        w = rng.integers(0, 5)
        c0 = rng.integers(1, x.shape[1] - w + 1)
        x[:, c0:c0 + w] = 0.0
        batch[i] = x
    return torch.from_numpy(batch)


def train_model(items, meta, args, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    mean, std = normalization(items)
    n_classes = len(meta["labels"])
    model = build_model(args.arch, mean.shape[0], n_classes)
    counts = np.bincount([it["label"] for it in items], minlength=n_classes)
    class_weight = torch.tensor(counts.sum() / (n_classes * counts), dtype=torch.float32)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-3)
    steps_per_epoch = int(np.ceil(len(items) / args.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    labels = torch.tensor([it["label"] for it in items])
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(items))
        for b in range(steps_per_epoch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            x = random_windows([items[i] for i in idx], meta["window_frames"], rng, mean, std, meta["features"]["n_mels"],
                               args.noise_aug)
            if args.mixup > 0:
                y = F.one_hot(labels[idx], n_classes).float() * 0.9 + 0.1 / n_classes  # label smoothing
                lam = float(rng.beta(args.mixup, args.mixup))
                perm = torch.from_numpy(rng.permutation(len(idx)))
                x, y = lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]
                loss = -(y * class_weight * F.log_softmax(model(x), dim=1)).sum(dim=1).mean()
            else:
                loss = F.cross_entropy(model(x), labels[idx], weight=class_weight, label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model, mean, std


@torch.no_grad()
def window_logits(model, mfcc, meta, mean, std, hop_frames=100) -> np.ndarray:
    """Logits of the sliding 3 s windows over a clip (1 s hop), as the Rust engine cuts them."""
    window = meta["window_frames"]
    starts = window_starts(mfcc.shape[0], window, hop_frames)
    x = torch.from_numpy(np.stack([(mfcc[s:s + window] - mean) / std for s in starts]).astype(np.float32))
    return model(x).numpy()


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def clip_probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Mean softmax over a clip's windows: the clip score the Rust CLI reports."""
    return softmax(logits, temperature).mean(axis=0)


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


def scores(confusion: np.ndarray) -> dict:
    support = confusion.sum(axis=1)
    recall = np.diag(confusion) / np.maximum(support, 1)
    return {
        "unweighted_accuracy": float(recall[support > 0].mean()),
        "weighted_accuracy": float(np.trace(confusion) / confusion.sum()),
        "recall": [float(r) for r in recall],
        "support": [int(s) for s in support],
        "confusion": confusion.astype(int).tolist(),
    }


def export_onnx(model, meta, path: Path) -> None:
    import onnx
    import onnxruntime as ort
    x = torch.randn(*meta["input"]["shape"])
    torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False,
                      input_names=[meta["input"]["name"]], output_names=["logits"])
    onnx.checker.check_model(onnx.load(str(path)))
    session = ort.InferenceSession(str(path))
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        want = model(x).numpy()
    assert np.allclose(got, want, atol=1e-4), f"ONNX differs from PyTorch by {np.abs(got - want).max()}"
    meta["input"]["name"] = session.get_inputs()[0].name


def export_fold(model, meta, mean, std, fold: int, test: list[dict]) -> None:
    """Keep each fold's model and its test list so the Rust CLI can re-score the held-out
    actors (training/evaluate_cli.py): the card's numbers then describe what users run."""
    out = FOLDS / meta["name"]
    out.mkdir(parents=True, exist_ok=True)
    fold_meta = json.loads(json.dumps(meta))
    fold_meta["normalization"] = {"mean": [round(float(v), 6) for v in mean], "std": [round(float(v), 6) for v in std]}
    export_onnx(model, fold_meta, out / f"fold{fold}.onnx")
    (out / f"fold{fold}.json").write_text(json.dumps(fold_meta, indent=2) + "\n")
    with open(out / f"fold{fold}-test.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "actor"])
        for it in test:
            w.writerow([str(RAVDESS / it["path"]), meta["labels"][it["label"]], it["actor"]])


def set_fold_calibration(name: str, n_folds: int, temperature: float, threshold: float) -> None:
    for k in range(1, n_folds + 1):
        path = FOLDS / name / f"fold{k}.json"
        fold_meta = json.loads(path.read_text())
        fold_meta["output"]["temperature"] = temperature
        fold_meta["uncertain_threshold"] = threshold
        path.write_text(json.dumps(fold_meta, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--metadata", type=Path, default=MODELS / "emotion4.json")
    parser.add_argument("--arch", choices=["cnn2d", "tdnn"], default="cnn2d")
    parser.add_argument("--mixup", type=float, default=0.0, help="mixup Beta(a, a); 0 = off")
    parser.add_argument("--noise-aug", type=float, default=0.0,
                        help="probability that a training crop comes from a noisy or band-limited copy")
    parser.add_argument("--noisy-copies", type=int, default=3, help="noisy copies per clip for --noise-aug")
    parser.add_argument("--robustness", action="store_true",
                        help="also score each fold on the robustness table's degraded copies (PyTorch)")
    parser.add_argument("--cv-only", action="store_true", help="cross-validate and log, export nothing")
    parser.add_argument("--note", default="", help="what this run tries (logged to experiments.jsonl)")
    parser.add_argument("--confident-accuracy", type=float, default=0.75,
                        help="held-out accuracy required above the uncertain threshold")
    args = parser.parse_args()

    started = time.time()
    torch.set_num_threads(2)
    random.seed(args.seed)
    np.random.seed(args.seed)
    meta = load_metadata(args.metadata)
    labels = meta["labels"]
    items = load_dataset(meta)
    print(f"{len(items)} clips, {len(set(it['actor'] for it in items))} actors, labels {labels}")
    if args.noise_aug > 0:
        add_noisy_variants(items, meta, args.noisy_copies)
    robust = {c: [] for c in add_test_conditions(items, meta)} if args.robustness else {}

    folds = actor_folds(args.folds)
    total = np.zeros((len(labels), len(labels)), dtype=int)
    per_fold = []
    held_logits, held_labels = [], []  # per clip: window logits of the held-out actors
    for k, test_actors in enumerate(folds):
        train = [it for it in items if it["actor"] not in test_actors]
        test = [it for it in items if it["actor"] in test_actors]
        assert not {it["actor"] for it in train} & {it["actor"] for it in test}
        model, mean, std = train_model(train, meta, args, args.seed + k)
        confusion = np.zeros_like(total)
        for it in test:
            logits = window_logits(model, it["mfcc"], meta, mean, std)
            held_logits.append(logits)
            held_labels.append(it["label"])
            confusion[it["label"], int(np.argmax(clip_probabilities(logits)))] += 1
        for condition in robust:
            degraded = np.zeros_like(total)
            for it in test:
                p = clip_probabilities(window_logits(model, it["conditions"][condition], meta, mean, std))
                degraded[it["label"], int(np.argmax(p))] += 1
            robust[condition].append(scores(degraded)["unweighted_accuracy"])
        if not args.cv_only:
            export_fold(model, meta, mean, std, k + 1, test)
        total += confusion
        s = scores(confusion)
        per_fold.append({"fold": k + 1, "test_actors": test_actors, "clips": len(test), **s})
        print(f"fold {k + 1} actors {test_actors}: UA {100 * s['unweighted_accuracy']:.1f} %  "
              f"WA {100 * s['weighted_accuracy']:.1f} %  ({time.time() - started:.0f} s)", flush=True)

    pooled = scores(total)
    mean_ua = float(np.mean([f["unweighted_accuracy"] for f in per_fold]))
    mean_wa = float(np.mean([f["weighted_accuracy"] for f in per_fold]))
    print(f"mean over folds: UA {100 * mean_ua:.1f} %  WA {100 * mean_wa:.1f} %;"
          f" pooled UA {100 * pooled['unweighted_accuracy']:.1f} %")
    for condition, uas in robust.items():
        print(f"  {condition:>8}: mean UA {100 * np.mean(uas):.1f} %")

    window_y = np.concatenate([np.full(len(l), y) for l, y in zip(held_logits, held_labels)])
    all_windows = np.concatenate(held_logits)
    temperature = fit_temperature(all_windows, window_y)
    clip_y = np.array(held_labels)
    calibration = {
        "method": "temperature scaling fitted on the held-out windows of all folds (NLL)",
        "temperature": round(temperature, 4),
        "ece_clip_before": expected_calibration_error(np.stack([clip_probabilities(l) for l in held_logits]), clip_y),
        "ece_clip_after": expected_calibration_error(np.stack([clip_probabilities(l, temperature) for l in held_logits]), clip_y),
        "ece_window_before": expected_calibration_error(softmax(all_windows), window_y),
        "ece_window_after": expected_calibration_error(softmax(all_windows, temperature), window_y),
        "uncertain": uncertain_threshold(softmax(all_windows, temperature), window_y, args.confident_accuracy),
    }
    print(f"temperature {temperature:.3f}: clip ECE {100 * calibration['ece_clip_before']:.1f} → "
          f"{100 * calibration['ece_clip_after']:.1f} %; uncertain below {calibration['uncertain']['threshold']} "
          f"(coverage {100 * calibration['uncertain']['coverage']:.0f} %)")

    with EXPERIMENTS.open("a") as log:
        log.write(json.dumps({"model": meta["name"], "note": args.note, "args": {k: str(v) for k, v in vars(args).items()},
                              "fold_ua": [round(f["unweighted_accuracy"], 4) for f in per_fold],
                              "mean_ua": round(mean_ua, 4), "mean_wa": round(mean_wa, 4),
                              **({"robust_ua": {c: round(float(np.mean(v)), 4) for c, v in robust.items()}} if robust else {}),
                              "minutes": round((time.time() - started) / 60, 1)}) + "\n")
    if args.cv_only:
        return
    name = meta["name"]
    meta["output"]["temperature"] = round(temperature, 4)
    meta["uncertain_threshold"] = calibration["uncertain"]["threshold"]
    set_fold_calibration(name, args.folds, meta["output"]["temperature"], meta["uncertain_threshold"])
    final, mean, std = train_model(items, meta, args, args.seed + 100)
    meta["normalization"] = {"mean": [round(float(v), 6) for v in mean], "std": [round(float(v), 6) for v in std]}
    export_onnx(final, meta, MODELS / f"{name}.onnx")
    n_params = sum(p.numel() for p in final.parameters())
    metrics = {
        "protocol": f"{args.folds}-fold cross-validation grouped by actor (speaker-independent); "
                    "clip score = mean softmax over 3 s windows with a 1 s hop",
        "labels": labels,
        "label_mapping": label_mapping(labels),
        "folds": per_fold,
        "mean_unweighted_accuracy": mean_ua,
        "mean_weighted_accuracy": mean_wa,
        "pooled": pooled,
        "calibration": calibration,
        "parameters": int(n_params),
        "mflops": round(count_mflops(final, meta["input"]["shape"]), 2),
        "onnx_bytes": (MODELS / f"{name}.onnx").stat().st_size,
        "hyperparameters": vars(args) | {"metadata": str(args.metadata.resolve().relative_to(REPO))},
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "numpy": np.__version__, "librosa": __import__("librosa").__version__,
                        "platform": platform.platform(), "threads": torch.get_num_threads()},
        "wall_time_s": round(time.time() - started, 1),
        "command": "python training/train.py " + " ".join(sys.argv[1:]),
    }
    meta["training"] = {
        "data": "RAVDESS speech, actors 01-22 (CC BY-NC-SA 4.0)",
        "protocol": metrics["protocol"],
        "mean_unweighted_accuracy": round(mean_ua, 4),
        "mean_weighted_accuracy": round(mean_wa, 4),
        "parameters": int(n_params),
        "seed": args.seed,
        "metrics_file": f"models/metrics-{name}.json",
    }
    args.metadata.write_text(json.dumps(meta, indent=2) + "\n")
    (MODELS / f"metrics-{name}.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plot_confusion(total, labels, f"{name}, actor-grouped {args.folds}-fold CV (pooled test folds)",
                   MODELS / f"confusion-{name}.png")
    print(f"exported {MODELS / (name + '.onnx')} ({metrics['onnx_bytes']} bytes, {n_params} parameters) "
          f"in {metrics['wall_time_s']} s")


if __name__ == "__main__":
    main()
