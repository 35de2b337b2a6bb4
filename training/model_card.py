"""Render the measured tables of the model card (models/README.md) from the files that the
training and evaluation commands wrote:

    models/metrics-<model>.json     train.py: Python CV, calibration, size, MFLOPs, environment
    models/cli-eval-<model>.json    evaluate_cli.py: the Rust CLI on every fold, clean and degraded
    training/experiments.jsonl      train.py: one line per run, the table of what was tried

    python3 training/model_card.py            # rewrites every generated block
    python3 training/model_card.py --check    # exits 1 if models/README.md is stale

Only the standard library: CI runs the check, so the card can never disagree with the
files that the commands produced.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
CARD = MODELS / "README.md"
EXPERIMENTS = REPO / "training" / "experiments.jsonl"
MODEL_NAMES = ["emotion4", "emotion8"]
TARGETS = {"emotion4": 0.82, "emotion8": 0.67}


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def load(name: str) -> tuple[dict, dict]:
    metrics = json.loads((MODELS / f"metrics-{name}.json").read_text())
    cli = json.loads((MODELS / f"cli-eval-{name}.json").read_text())
    return metrics, cli


def summary(models: dict) -> list[str]:
    out = ["| | " + " | ".join(f"`{n}`" for n in models) + " |", "|---" * (len(models) + 1) + "|"]
    rows = [
        ("classes", lambda m, c: ", ".join(m["labels"])),
        ("UA, mean over 5 actor-grouped folds (Rust CLI)", lambda m, c: f"**{pct(c['conditions']['clean']['mean_unweighted_accuracy'])}**"),
        ("target UA", lambda m, c: f"≥ {pct(TARGETS[c['model']])}: " + ("met" if c["conditions"]["clean"]["mean_unweighted_accuracy"] >= TARGETS[c["model"]] else
                                   f"**not met** ({100 * (TARGETS[c['model']] - c['conditions']['clean']['mean_unweighted_accuracy']):.1f} points short)")),
        ("WA, mean over folds (Rust CLI)", lambda m, c: pct(c["conditions"]["clean"]["mean_weighted_accuracy"])),
        ("UA / WA, same folds in PyTorch", lambda m, c: f"{pct(m['mean_unweighted_accuracy'])} / {pct(m['mean_weighted_accuracy'])}"),
        ("parameters", lambda m, c: f"{m['parameters']:,}"),
        ("ONNX file", lambda m, c: f"{m['onnx_bytes'] / 1000:.0f} KB"),
        ("compute per 3 s window", lambda m, c: f"{m['mflops']} MFLOPs"),
        ("temperature (fitted on held-out windows)", lambda m, c: f"{m['calibration']['temperature']}"),
        ("clip ECE before → after", lambda m, c: f"{pct(m['calibration']['ece_clip_before'])} → {pct(m['calibration']['ece_clip_after'])}"),
        ("window ECE before → after", lambda m, c: f"{pct(m['calibration']['ece_window_before'])} → {pct(m['calibration']['ece_window_after'])}"),
        ("`uncertain_threshold`", lambda m, c: uncertain(m["calibration"]["uncertain"])),
        ("training wall time (CV + final, 2 CPU threads)", lambda m, c: f"{m['wall_time_s'] / 60:.0f} min"),
    ]
    for title, cell in rows:
        out.append(f"| {title} | " + " | ".join(cell(m, c) for m, c in models.values()) + " |")
    return out


def uncertain(u: dict) -> str:
    met = "" if u["target_met"] else f" (the {pct(u['target_accuracy'])} target is not reachable: most accurate threshold)"
    return (f"{u['threshold']}: held-out windows above it are {pct(u['accuracy_above'])} correct and "
            f"{pct(u['coverage'])} of all{met}")


def per_model(name: str, metrics: dict, cli: dict) -> list[str]:
    clean = cli["conditions"]["clean"]
    labels = cli["labels"]
    out = ["| fold | test actors | clips | UA (CLI) | WA (CLI) | UA (PyTorch) |", "|---|---|---|---|---|---|"]
    for f, p in zip(clean["folds"], metrics["folds"]):
        actors = ", ".join(f"{a:02d}" for a in p["test_actors"])
        out.append(f"| {f['fold']} | {actors} | {f['clips']} | {pct(f['unweighted_accuracy'])} | "
                   f"{pct(f['weighted_accuracy'])} | {pct(p['unweighted_accuracy'])} |")
    out.append(f"| **mean** | | | **{pct(clean['mean_unweighted_accuracy'])}** | **{pct(clean['mean_weighted_accuracy'])}** | "
               f"{pct(metrics['mean_unweighted_accuracy'])} |")
    pooled = clean["pooled"]
    out += ["", "| class | recall (CLI, pooled test folds) | clips |", "|---|---|---|"]
    for label in labels:
        out.append(f"| {label} | {pct(pooled['recall'][label])} | {pooled['support'][label]} |")
    out += ["", "Confusion matrix (Rust CLI, pooled test folds; rows: true, columns: predicted):", "",
            "| true \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for label, row in zip(labels, pooled["confusion"]):
        out.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    out += ["", f"![confusion matrix of {name}](confusion-{name}.png)"]
    return out


def robustness(models: dict) -> list[str]:
    names = list(models)
    first = models[names[0]][1]
    out = ["| condition | " + " | ".join(f"`{n}` UA (change)" for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    for condition, result in first["conditions"].items():
        cells = []
        for n in names:
            conds = models[n][1]["conditions"]
            if condition not in conds:
                cells.append("–")
                continue
            ua = conds[condition]["mean_unweighted_accuracy"]
            delta = ua - conds["clean"]["mean_unweighted_accuracy"]
            cells.append(pct(ua) + ("" if condition == "clean" else f" ({100 * delta:+.1f})"))
        out.append(f"| {result['description']} | " + " | ".join(cells) + " |")
    out += ["", f"SNR is {first['snr']}. Command: `{first['command']}` (and `--model emotion8`)."]
    return out


def experiments() -> list[str]:
    if not EXPERIMENTS.exists():
        return ["(no runs logged yet)"]
    out = ["| model | what changed | options | UA per fold (PyTorch) | mean UA | mean WA | UA white 20 / white 10 / pink 10 / tel 8k dB (PyTorch) | minutes |",
           "|---|---|---|---|---|---|---|---|"]
    for line in EXPERIMENTS.read_text().splitlines():
        run = json.loads(line)
        a = run["args"]
        options = f"--arch {a['arch']} --epochs {a['epochs']} --mixup {a['mixup']}"
        if a.get("noise_aug", "0.0") != "0.0":
            options += f" --noise-aug {a['noise_aug']} --noisy-copies {a['noisy_copies']}"
        options += " --cv-only" if a.get("cv_only") == "True" else ""
        folds = " / ".join(f"{100 * x:.1f}" for x in run["fold_ua"])
        robust = run.get("robust_ua")
        noisy = " / ".join(pct(robust[c]) for c in ("white20", "white10", "pink10", "tel8k")) if robust else "–"
        out.append(f"| {run['model']} | {run['note']} | `{options}` | {folds} | {pct(run['mean_ua'])} | {pct(run['mean_wa'])} | {noisy} | {run['minutes']} |")
    return out


def examples() -> list[str]:
    """The clips whose CLI results tests/model.rs replays (scripts/update-expectations.sh)."""
    files = {"emotion4": "model_expectations.jsonl", "emotion8": "model8_expectations.jsonl"}
    rows = {name: [json.loads(l) for l in (REPO / "tests" / "golden" / f).read_text().splitlines() if l.strip()]
            for name, f in files.items() if (REPO / "tests" / "golden" / f).exists()}
    out = ["| clip (RAVDESS, seen in training) | " + " | ".join(f"`{n}` label (confidence)" for n in rows) + " |",
           "|---" * (len(rows) + 1) + "|"]
    for i, first in enumerate(next(iter(rows.values()))):
        clip = first["path"].split("ravdess/")[1]
        out.append(f"| {clip} | " + " | ".join(f"{r[i]['label']} ({100 * r[i]['confidence']:.0f} %)" for r in rows.values()) + " |")
    return out


def blocks() -> dict[str, list[str]]:
    models = {n: load(n) for n in MODEL_NAMES if (MODELS / f"cli-eval-{n}.json").exists()}
    out = {"summary": summary(models), "robustness": robustness(models), "experiments": experiments(),
           "examples": examples()}
    for name, (metrics, cli) in models.items():
        out[name] = per_model(name, metrics, cli)
    return out


def render(card: str) -> str:
    for name, lines in blocks().items():
        start, end = f"<!-- generated:{name} (training/model_card.py) -->", f"<!-- /generated:{name} -->"
        if start not in card:
            raise SystemExit(f"{CARD} has no block {start}")
        head, rest = card.split(start, 1)
        _, tail = rest.split(end, 1)
        card = head + start + "\n" + "\n".join(lines) + "\n" + end + tail
    return card


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    card = CARD.read_text()
    updated = render(card)
    if args.check:
        if updated != card:
            print(f"{CARD} is stale: run python3 training/model_card.py", file=sys.stderr)
            return 1
        return 0
    CARD.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
