"""Train the emotion model on RAVDESS + nEMO, speaker-independently, and export it.

    .venv-train/bin/python training/train.py [--metadata models/emotion4.json] [--steps N]

1. Reads labels, aliases, feature and normalisation parameters from the metadata file.
2. Cross-validates with 3 speaker-grouped folds over the corpora (no speaker on both
   sides), and leave-one-corpus-out (train on the other corpora, score the one left out).
3. Fits the temperature, the "uncertain" threshold and the speech threshold on the held-out
   windows; trains the final model on every speaker; exports ONNX + metadata, and each
   fold's model with its test list for the Rust CLI evaluation (evaluate_cli.py).
Every crop: corpus-balanced, class-balanced; gain -35..+25 dB; with the probabilities of
Pool.aug (--aug-*) a new voice (vocal tract length 0.88-1.12: the log-mel stretched along
frequency) and speaking rate (0.85-1.15: frames resampled), a random microphone colour (smooth EQ, tilt, band limits), a noisy,
telephone-band or reverberant copy, a non-speech background, a 16-bit noise floor; then
normalised causally against a baseline whose history is 0-8 other clips of the same speaker
(as a calibration sample or earlier speech would give). 12 % of crops are synthetic
non-speech (nonspeech.py), which trains the speech output.
"""
from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from calibration import expected_calibration_error, fit_temperature, softmax, uncertain_threshold
from data import CACHE, DATA, attach_features, attach_pitch, dct_matrix, load_clips, nonspeech_clips, nonspeech_pitch, speaker_folds
from export import export
from features import REPO, load_metadata, window_starts
from networks import count_mflops, receptive_field
from normalize import active_frames, frame_levels, normalize
from pitch import normalize_pitch
from pool import Pool
from scoring import confusion_of, scores, ua
from training_loop import train_model

MODELS = REPO / "models"
FOLDS = CACHE / "folds"
EXPERIMENTS = REPO / "training" / "experiments.jsonl"


def alias_map(meta: dict, emotions: set[str]) -> dict[str, str]:
    mapping = {e: e for e in meta["labels"]}
    mapping.update(meta.get("label_aliases", {}))
    return {e: mapping[e] for e in emotions if e in mapping}


@torch.no_grad()
def clip_windows(model, it, meta, history=None) -> np.ndarray:
    """[windows, n_labels + 1] logits of a clip's 3 s windows (1 s hop + one at the end),
    normalised causally from the clip's start, as the Rust CLI cuts them."""
    f = meta["features"]
    m = it["logmel"] @ dct_matrix(f)
    x = normalize(m, meta, history)
    if "pitch" in it and meta.get("pitch_channels"):
        active = active_frames(frame_levels(m, f["n_mels"]), meta["normalization"], f["hop_length"] / f["sample_rate"])
        x = np.concatenate([x, normalize_pitch(it["pitch"], active)], axis=1)
    w = meta["window_frames"]
    starts = window_starts(len(x), w, 100)
    return model(torch.from_numpy(np.stack([x[s:s + w] for s in starts]))).numpy()


def clip_decision(logits: np.ndarray, meta: dict, temperature: float, speech_threshold: float):
    """The engine's clip rule: mean probabilities over the windows the speech output
    accepts; no label when none does. Returns (label index or None, probabilities)."""
    n = len(meta["labels"])
    speech = 1 / (1 + np.exp(-logits[:, n])) >= speech_threshold
    if not speech.any():
        return None, softmax(logits[:, :n], temperature).mean(axis=0)
    p = softmax(logits[speech, :n], temperature).mean(axis=0)
    return int(np.argmax(p)), p


def write_test_list(path: Path, items: list[dict], meta: dict) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "emotion", "corpus", "speaker", "sex"])
        for it in items:
            w.writerow([str(DATA / it["path"]), meta["labels"][it["label"]], it["emotion"], it["corpus"], it["speaker"], it["sex"]])


@dataclass
class Clips:
    """What every model of the run trains and is checked on."""
    items: list[dict]  # the corpora's clips with their log-mel features (and pitch tracks)
    nonspeech: list[np.ndarray]  # synthetic non-speech trained on
    held_nonspeech: list[np.ndarray]  # never trained on: the speech threshold's check
    ns_pitch: list[np.ndarray] | None  # pitch tracks of `nonspeech` (--pitch), else None
    held_ns_pitch: list  # pitch tracks of `held_nonspeech`, else a None for each


@dataclass
class Calibration:
    """Fitted on the cross-validation folds' held-out windows."""
    speech_threshold: float
    p_speech: np.ndarray  # speech probability of every held-out speech window
    ns_rejected: float  # share of held-out non-speech windows below the speech threshold
    temperature: float
    uncertain: dict
    emo_logits: np.ndarray  # emotion logits of every held-out speech window
    emo_y: np.ndarray  # and its label
    window_probs: np.ndarray  # softmax(emo_logits, temperature)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadata", type=Path, default=MODELS / "emotion4.json")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--only-folds", default="", help="comma-separated fold numbers to run (exploration)")
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--loco-steps", type=int, default=2000, help="steps of each single-corpus model")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--crop-frames", type=int, default=160,
                        help="training crop length (statistics pooling lets the 3 s windows use longer ones)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--noisy-copies", type=int, default=2)
    parser.add_argument("--nonspeech", type=int, default=800)
    parser.add_argument("--corpora", default="ravdess,nemo")
    parser.add_argument("--no-loco", action="store_true", help="skip leave-one-corpus-out")
    parser.add_argument("--with-loco", action="store_true", help="leave-one-corpus-out even with --only-folds (exploration)")
    parser.add_argument("--cv-only", action="store_true", help="cross-validate and log, export nothing final")
    parser.add_argument("--note", default="")
    for k, v in Pool.aug.items():
        parser.add_argument(f"--aug-{k}", type=float, default=v, help=f"probability of the {k} augmentation")
    parser.add_argument("--no-history", type=float, default=Pool.no_history, help="share of crops without a speaker history")
    parser.add_argument("--mask", action="store_true", help="SpecAugment-style masks on the normalised input")
    parser.add_argument("--pitch", action="store_true", help="two pitch channels beside the MFCCs (experiment, pitch.py)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prior-frames-level", type=float, help="override the metadata's (experiments)")
    parser.add_argument("--prior-frames-shape", type=float, help="override the metadata's (experiments)")
    parser.add_argument("--n-mfcc", type=int, help="override the metadata's coefficients (experiments)")
    parser.add_argument("--confident-accuracy", type=float, default=0.75)
    parser.add_argument("--speech-pass", type=float, default=0.98, help="held-out speech windows the speech threshold keeps")
    return parser


def run_metadata(args) -> dict:
    """The metadata file with the run's overrides (experiments)."""
    meta = load_metadata(args.metadata)
    meta["streaming"] = {"receptive_field": receptive_field()}
    if args.n_mfcc is not None:
        meta["features"]["n_mfcc"] = args.n_mfcc
        meta["input"]["shape"][2] = args.n_mfcc
    if args.prior_frames_level is not None:
        meta["normalization"]["prior_frames_level"] = args.prior_frames_level
    if args.prior_frames_shape is not None:
        meta["normalization"]["prior_frames_shape"] = args.prior_frames_shape
    return meta


def load_data(args, meta: dict, error, started: float) -> Clips:
    """The clips whose emotion maps onto a label, their (cached) features, and the synthetic
    non-speech; with --pitch, pitch tracks and two more input channels in `meta`."""
    labels = meta["labels"]
    corpora = args.corpora.split(",")
    emotions = {r for c in corpora for r in
                (row["emotion"] for row in csv.DictReader(open(DATA / c / "manifest.csv")))}
    items = load_clips(corpora, alias_map(meta, emotions), labels)
    attach_features(items, meta, args.noisy_copies)
    nonspeech = nonspeech_clips(meta, args.nonspeech)
    held_nonspeech = nonspeech_clips(meta, 160, seed=8)  # never trained on: the speech threshold's check
    ns_pitch, held_ns_pitch = None, [None] * len(held_nonspeech)
    if args.pitch:
        if args.aug_tempo > 0 or args.aug_warp > 0:
            error("--pitch tracks come from the clean audio: they cannot follow --aug-tempo or --aug-warp")
        attach_pitch(items, meta)
        ns_pitch = nonspeech_pitch(meta, args.nonspeech)
        held_ns_pitch = nonspeech_pitch(meta, 160, seed=8)
        meta["pitch_channels"] = 2
        meta["input"]["shape"][2] += 2
    print(f"{len(items)} clips, {len(set(it['speaker'] for it in items))} speakers, labels {labels}, "
          f"{len(nonspeech)} non-speech clips ({time.time() - started:.0f} s)", flush=True)
    return Clips(items, nonspeech, held_nonspeech, ns_pitch, held_ns_pitch)


def fold_models_dir(meta: dict, args) -> Path:
    """Only a full run replaces the fold models that evaluate_cli.py scores for the card; an
    exploration run (--only-folds, --cv-only) keeps its own beside them."""
    out_dir = FOLDS / (meta["name"] + ("-exploration" if args.only_folds or args.cv_only else ""))
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def cross_validate(clips: Clips, meta: dict, args, out_dir: Path, run_folds: list[int], started: float):
    """Trains, exports and scores a model per fold. Returns the held-out clips with their
    window logits, and the window logits of the held-out non-speech (a share per fold)."""
    n = len(meta["labels"])
    folds = speaker_folds(args.folds)
    held = []  # (item, window logits)
    ns_logits = []
    for k in run_folds:
        test_speakers = folds[k - 1]
        train = [it for it in clips.items if it["speaker"] not in test_speakers]
        test = [it for it in clips.items if it["speaker"] in test_speakers]
        assert not {it["speaker"] for it in train} & {it["speaker"] for it in test}
        model, fold_meta = train_model(train, clips.nonspeech, meta, args, args.seed + k, ns_pitch=clips.ns_pitch)
        for it in test:
            held.append((it, clip_windows(model, it, fold_meta)))
        ns_logits += [clip_windows(model, {"logmel": lm, "pitch": pt}, fold_meta)
                      for lm, pt in zip(clips.held_nonspeech[k - 1::len(run_folds)], clips.held_ns_pitch[k - 1::len(run_folds)])]
        export(model, fold_meta, out_dir / f"fold{k}.onnx")
        write_test_list(out_dir / f"fold{k}-test.csv", test, meta)
        fold_res = [(it["label"], clip_decision(lg, meta, 1.0, 0.5)[0]) for it, lg in held if it["speaker"] in test_speakers]
        print(f"fold {k}: UA {100 * ua(confusion_of(fold_res, n)):.1f} % on {len(test)} clips "
              f"({time.time() - started:.0f} s)", flush=True)
    return held, ns_logits


def calibrate(held: list, ns_logits: list, meta: dict, args) -> Calibration:
    """Speech threshold, temperature and uncertain threshold from the held-out windows."""
    n = len(meta["labels"])
    speech_win = np.concatenate([lg[:, n] for _, lg in held])
    ns_win = np.concatenate([lg[:, n] for lg in ns_logits])
    p_speech = 1 / (1 + np.exp(-speech_win))
    speech_threshold = float(min(0.5, np.floor(100 * np.quantile(p_speech, 1 - args.speech_pass)) / 100))
    speech_threshold = max(speech_threshold, 0.01)
    ns_rejected = float((1 / (1 + np.exp(-ns_win)) < speech_threshold).mean())
    emo_logits = np.concatenate([lg[:, :n] for _, lg in held])
    emo_y = np.concatenate([np.full(len(lg), it["label"]) for it, lg in held])
    temperature = fit_temperature(emo_logits, emo_y)
    window_probs = softmax(emo_logits, temperature)
    uncertain = uncertain_threshold(window_probs, emo_y, args.confident_accuracy)
    return Calibration(speech_threshold, p_speech, ns_rejected, temperature, uncertain, emo_logits, emo_y, window_probs)


def recall_text(c: np.ndarray, labels: list[str]) -> str:
    s = scores(c, labels)
    return f"WA {100 * s['weighted_accuracy']:.1f} %  recall " + " ".join(
        f"{l} {100 * r:.1f}" for l, r in s["recall"].items() if r is not None)


def cv_scores(held: list, meta: dict, cal: Calibration) -> dict:
    """UA and confusion per corpus with the fitted calibration, printed with the calibration."""
    n = len(meta["labels"])
    per_corpus = {}
    for corpus in sorted({it["corpus"] for it, _ in held}):
        res = [(it["label"], clip_decision(lg, meta, cal.temperature, cal.speech_threshold)[0]) for it, lg in held if it["corpus"] == corpus]
        c = confusion_of(res, n)
        per_corpus[corpus] = {"ua": ua(c), "confusion": c.tolist()}
        print(f"{corpus}: CV UA {100 * ua(c):.1f} %  {recall_text(c, meta['labels'])}  confusion {c.tolist()}")
    print(f"speech threshold {cal.speech_threshold:.2f}: speech windows kept {100 * (cal.p_speech >= cal.speech_threshold).mean():.1f} %, "
          f"held-out synthetic non-speech windows rejected {100 * cal.ns_rejected:.1f} %; temperature {cal.temperature:.3f}; "
          f"uncertain below {cal.uncertain['threshold']}")
    return per_corpus


def loco_splits(corpora: list[str]) -> list[tuple[str, str]]:
    """(source, target) of each leave-one-corpus-out model: every corpus held out in turn,
    the model trained on all the others; source names them joined by "+" (with two corpora,
    ravdess -> nemo and nemo -> ravdess, as before)."""
    return [("+".join(c for c in corpora if c != target), target) for target in reversed(corpora)]


def leave_one_corpus_out(clips: Clips, meta: dict, args, out_dir: Path, started: float) -> tuple[dict[str, float], dict]:
    """A model trained on all corpora but one, exported and scored on the one left out.
    Returns UA and the confusion matrix per direction."""
    n = len(meta["labels"])
    loco, confusions = {}, {}
    for source, target in loco_splits(args.corpora.split(",")):
        sources = source.split("+")
        model, fold_meta = train_model([it for it in clips.items if it["corpus"] in sources], clips.nonspeech, meta, args,
                                       args.seed + 50, args.loco_steps, ns_pitch=clips.ns_pitch)
        test = [it for it in clips.items if it["corpus"] == target]
        export(model, fold_meta, out_dir / f"loco-{source}.onnx")
        write_test_list(out_dir / f"loco-{source}-test.csv", test, meta)
        res = [(it["label"], clip_decision(clip_windows(model, it, fold_meta), meta, 1.0, 0.5)[0]) for it in test]
        c = confusion_of(res, n)
        loco[f"{source}->{target}"], confusions[f"{source}->{target}"] = ua(c), c.tolist()
        print(f"leave-one-corpus-out {source} -> {target}: UA {100 * loco[f'{source}->{target}']:.1f} %  "
              f"{recall_text(c, meta['labels'])}  confusion {c.tolist()} ({time.time() - started:.0f} s)", flush=True)
    return loco, confusions


def log_experiment(meta: dict, args, per_corpus: dict, loco: dict, loco_confusion: dict, cal: Calibration, started: float) -> None:
    """One line per run in experiments.jsonl (the card's table of what was tried)."""
    summary = {"model": meta["name"], "note": args.note, "args": {k: str(v) for k, v in vars(args).items()},
               "cv_ua": {c: round(v["ua"], 4) for c, v in per_corpus.items()},
               "loco_ua": {k: round(v, 4) for k, v in loco.items()},
               "cv_confusion": {c: v["confusion"] for c, v in per_corpus.items()},
               "loco_confusion": loco_confusion,
               "speech_threshold": cal.speech_threshold, "nonspeech_rejected": round(cal.ns_rejected, 4),
               "minutes": round((time.time() - started) / 60, 1)}
    with EXPERIMENTS.open("a") as log:
        log.write(json.dumps(summary) + "\n")


def apply_calibration(meta: dict, cal: Calibration, out_dir: Path, run_folds: list[int], corpora: list[str]) -> None:
    """The calibration into `meta`, and into the exported fold and leave-one-corpus-out
    models' metadata: they carry the same calibration as the final one."""
    meta["output"]["temperature"] = round(cal.temperature, 4)
    meta["uncertain_threshold"] = cal.uncertain["threshold"]
    meta["speech"] = {"output_index": len(meta["labels"]), "threshold": cal.speech_threshold}
    exported = [out_dir / f"fold{k}.json" for k in run_folds] + [out_dir / f"loco-{s}.json" for s, _ in loco_splits(corpora)]
    for p in (p for p in exported if p.exists()):
        fm = json.loads(p.read_text())
        fm["output"]["temperature"], fm["uncertain_threshold"], fm["speech"] = meta["output"]["temperature"], meta["uncertain_threshold"], meta["speech"]
        p.write_text(json.dumps(fm, indent=2) + "\n")


def train_final(clips: Clips, meta: dict, args):
    """The final model on every speaker, exported to models/<name>.onnx with `meta` (which
    takes its normalisation and the training block). Returns the model."""
    final, final_meta = train_model(clips.items, clips.nonspeech, meta, args, args.seed + 100, ns_pitch=clips.ns_pitch)
    meta["normalization"] = final_meta["normalization"]
    n_params = sum(p.numel() for p in final.parameters())
    meta["training"] = {
        "data": "RAVDESS speech actors 01-22 and nEMO (Polish), 9 speakers (both CC BY-NC-SA 4.0)",
        "protocol": f"{args.folds}-fold cross-validation grouped by speaker over both corpora; leave-one-corpus-out",
        "parameters": int(n_params), "seed": args.seed, "metrics_file": f"models/metrics-{meta['name']}.json",
    }
    export(final, meta, MODELS / f"{meta['name']}.onnx")
    return final


def write_metrics(final, meta: dict, args, per_corpus: dict, loco: dict, cal: Calibration, started: float) -> None:
    """models/metrics-<name>.json: PyTorch scores, calibration, size, environment."""
    n_params = meta["training"]["parameters"]
    metrics = {
        "protocol": meta["training"]["protocol"] + "; PyTorch scores (the card's tables come from the Rust CLI)",
        "labels": meta["labels"], "label_aliases": meta.get("label_aliases", {}),
        "cv": per_corpus, "loco_ua": loco,
        "calibration": {"temperature": round(cal.temperature, 4), "uncertain": cal.uncertain,
                        "ece_window_before": expected_calibration_error(softmax(cal.emo_logits), cal.emo_y),
                        "ece_window_after": expected_calibration_error(cal.window_probs, cal.emo_y),
                        "speech_threshold": cal.speech_threshold,
                        "speech_windows_kept": float((cal.p_speech >= cal.speech_threshold).mean()),
                        "heldout_nonspeech_windows_rejected": cal.ns_rejected},
        "parameters": int(n_params),
        "mflops": round(count_mflops(final, meta["input"]["shape"]), 2),
        "onnx_bytes": (MODELS / f"{meta['name']}.onnx").stat().st_size,
        "hyperparameters": vars(args) | {"metadata": str(args.metadata.resolve().relative_to(REPO))},
        "environment": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                        "platform": platform.platform(), "threads": torch.get_num_threads()},
        "wall_time_s": round(time.time() - started, 1),
        "command": "python training/train.py " + " ".join(sys.argv[1:]),
    }
    (MODELS / f"metrics-{meta['name']}.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    print(f"exported {meta['name']} ({metrics['onnx_bytes']} bytes, {n_params} parameters) in {metrics['wall_time_s']} s")


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    started = time.time()
    torch.set_num_threads(args.threads)
    meta = run_metadata(args)
    clips = load_data(args, meta, parser.error, started)
    out_dir = fold_models_dir(meta, args)
    run_folds = [int(k) for k in args.only_folds.split(",")] if args.only_folds else list(range(1, args.folds + 1))
    held, ns_logits = cross_validate(clips, meta, args, out_dir, run_folds, started)
    cal = calibrate(held, ns_logits, meta, args)
    per_corpus = cv_scores(held, meta, cal)
    loco, loco_confusion = {}, {}
    if not args.no_loco and (args.with_loco or not args.only_folds):
        loco, loco_confusion = leave_one_corpus_out(clips, meta, args, out_dir, started)
    log_experiment(meta, args, per_corpus, loco, loco_confusion, cal, started)
    if args.cv_only or args.only_folds:
        return
    apply_calibration(meta, cal, out_dir, run_folds, args.corpora.split(","))
    final = train_final(clips, meta, args)
    write_metrics(final, meta, args, per_corpus, loco, cal, started)


if __name__ == "__main__":
    main()
