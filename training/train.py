"""Train the emotion model on RAVDESS + nEMO, speaker-independently, and export it.

    .venv-train/bin/python training/train.py [--metadata models/emotion4.json] [--steps N]

1. Reads labels, aliases, feature and normalisation parameters from the metadata file.
2. Cross-validates with 3 speaker-grouped folds over both corpora (no speaker on both
   sides), and leave-one-corpus-out (train on one corpus, score the other).
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
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from calibration import expected_calibration_error, fit_temperature, softmax, uncertain_threshold
from data import CACHE, DATA, attach_features, attach_pitch, dct_matrix, load_clips, nonspeech_clips, nonspeech_pitch
from export import export
from features import REPO, load_metadata, window_starts
from networks import EmotionTdnn, count_mflops, receptive_field
from normalize import active_frames, frame_levels, normalize
from pitch import normalize_pitch, voiced_history
from scoring import confusion_of, ua

MODELS = REPO / "models"
FOLDS = CACHE / "folds"
EXPERIMENTS = REPO / "training" / "experiments.jsonl"
NEMO_FEMALE, NEMO_MALE = ["EB0", "IC0", "KD0", "MK0"], ["KS0", "MP0", "SM0", "TP0", "WR0"]


def speaker_folds(n_folds: int) -> list[set[str]]:
    """Held-out speakers per fold: RAVDESS actors and nEMO speakers, both sexes in each."""
    males, females = list(range(1, 23, 2)), list(range(2, 23, 2))
    folds = []
    for i in range(n_folds):
        rav = {f"ravdess-{a:02d}" for a in males[i::n_folds] + females[i::n_folds]}
        nemo = {f"nemo-{s}" for s in NEMO_FEMALE[i::n_folds] + NEMO_MALE[i::n_folds]}
        folds.append(rav | nemo)
    return folds


def alias_map(meta: dict, emotions: set[str]) -> dict[str, str]:
    mapping = {e: e for e in meta["labels"]}
    mapping.update(meta.get("label_aliases", {}))
    return {e: mapping[e] for e in emotions if e in mapping}


def power_sum(a_db, b_db):
    """dB of the summed powers (uncorrelated sources)."""
    k = np.log(10) / 10
    return np.logaddexp(k * a_db, k * np.asarray(b_db)) / k


class Pool:
    """Training clips with what batch sampling needs precomputed."""

    def __init__(self, items, nonspeech, meta, speakers_for_history=None):
        self.items, self.nonspeech, self.meta = items, nonspeech, meta
        f = meta["features"]
        self.D = dct_matrix(f)
        self.hop_s = f["hop_length"] / f["sample_rate"]
        self.n_mels = f["n_mels"]
        self.mel_freqs = __import__("librosa").mel_frequencies(f["n_mels"] + 2, fmin=f["fmin"], fmax=f["fmax"])[1:-1]
        spec = meta["normalization"]
        for it in items:
            m = it["logmel"] @ self.D
            active = active_frames(frame_levels(m, self.n_mels), spec, self.hop_s)
            it["hist"] = (m[active].astype(np.float64).sum(axis=0), float(active.sum()))
            if "pitch" in it:
                it["phist"] = voiced_history(it["pitch"], active)
        self.by_corpus_class = {}
        for i, it in enumerate(items):
            self.by_corpus_class.setdefault(it["corpus"], {}).setdefault(it["label"], []).append(i)
        self.by_speaker = {}
        for i, it in enumerate(items):
            self.by_speaker.setdefault(it["speaker"], []).append(i)
        self.neutral = meta["labels"].index("neutral")

    ns_pitch = None  # pitch tracks of self.nonspeech when the input has pitch channels (experiment)
    aug = {"colour": 0.5, "floor": 0.0, "noisy": 0.3, "background": 0.1, "warp": 0.5, "tempo": 0.5}
    no_history = 0.4  # share of crops normalised from their own start (no earlier speech)

    def colour(self, rng) -> np.ndarray:
        """A random microphone/room colour in dB per mel band: smooth ripple, tilt, band limits."""
        x = np.linspace(0, 1, self.n_mels)
        curve = rng.uniform(-6, 6) * (x - 0.5)
        for k in range(1, 4):
            curve += rng.uniform(-2, 2) * np.cos(np.pi * k * x + rng.uniform(0, np.pi))
        if rng.random() < 0.3:  # small microphones lose the bass
            curve -= np.clip((rng.uniform(100, 400) - self.mel_freqs) / 50, 0, 1) * rng.uniform(10, 30)
        if rng.random() < 0.3:  # and cheap ones the treble
            curve -= np.clip((self.mel_freqs - rng.uniform(3000, 7000)) / 500, 0, 1) * rng.uniform(10, 40)
        return curve

    def warp(self, lm: np.ndarray, rng) -> np.ndarray:
        """Vocal tract length perturbation: the spectrum stretched by a factor of 0.88-1.12
        along frequency (S'(f) = S(f / a)), read off the mel bands: a new voice of the same
        speech."""
        a = rng.uniform(0.88, 1.12)
        pos = np.interp(self.mel_freqs / a, self.mel_freqs, np.arange(self.n_mels))
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, self.n_mels - 1)
        w = (pos - lo)[None, :]
        return (1 - w) * lm[:, lo] + w * lm[:, hi]

    @staticmethod
    def tempo(lm: np.ndarray, rng) -> np.ndarray:
        """Speaking rate 0.85-1.15 times the original: frames resampled along time."""
        pos = np.arange(0, len(lm) - 1, rng.uniform(0.85, 1.15))
        lo = np.floor(pos).astype(int)
        w = (pos - lo)[:, None]
        return ((1 - w) * lm[lo] + w * lm[lo + 1]).astype(np.float32)

    def history(self, speaker: str, exclude: int, rng, shift: np.ndarray) -> tuple[np.ndarray, float] | None:
        rest = (1 - self.no_history) / 4
        k = int(rng.choice([0, 1, 2, 4, 8], p=[self.no_history, rest, rest, rest, rest]))
        if k == 0:
            return None
        pool = [i for i in self.by_speaker[speaker] if i != exclude]
        if rng.random() < 0.5:
            neutral = [i for i in pool if self.items[i]["label"] == self.neutral]
            pool = neutral or pool
        chosen = rng.choice(pool, size=min(k, len(pool)), replace=False)
        s = sum(self.items[i]["hist"][0] for i in chosen)
        c = sum(self.items[i]["hist"][1] for i in chosen)
        if "phist" in self.items[chosen[0]]:
            self.pitch_history = tuple(sum(self.items[i]["phist"][j] for i in chosen) for j in (0, 1))
        return s + c * shift, c

    def sample(self, rng, batch: int, window: int, nonspeech_p: float = 0.12):
        noisy_p = self.aug["noisy"]
        extra = 2 if self.ns_pitch is not None else 0
        x = np.empty((batch, window, self.D.shape[1] + extra), dtype=np.float32)
        y_emotion = np.full(batch, -1, dtype=np.int64)
        y_speech = np.zeros(batch, dtype=np.float32)
        corpora = sorted(self.by_corpus_class)
        for b in range(batch):
            gain = rng.uniform(-35, 25)
            shift_db = gain + (self.colour(rng) if rng.random() < self.aug["colour"] else np.zeros(self.n_mels))
            shift = shift_db @ self.D
            self.pitch_history = None
            if rng.random() < nonspeech_p or not corpora:
                j = rng.integers(len(self.nonspeech))
                lm = self.nonspeech[j]
                track = self.ns_pitch[j] if extra else None
                end = int(rng.integers(window, len(lm) + 1))
                padding = np.zeros(end, dtype=bool)
                lm = lm[:end] + shift_db
                hist = None
                if rng.random() < 0.5:  # a pause in a session: earlier speech set the baseline
                    speaker = self.items[rng.integers(len(self.items))]["speaker"]
                    louder = np.zeros_like(shift)
                    louder[0] = rng.uniform(-10, 40) * np.sqrt(self.n_mels)  # the speech was this much louder
                    hist = self.history(speaker, -1, rng, shift + louder)
            else:
                classes = self.by_corpus_class[corpora[rng.integers(len(corpora))]]
                members = classes[list(classes)[rng.integers(len(classes))]]
                i = members[rng.integers(len(members))]
                it = self.items[i]
                track = it.get("pitch")
                lm = it["noisy"][rng.integers(len(it["noisy"]))] if it.get("noisy") and rng.random() < noisy_p else it["logmel"]
                if rng.random() < self.aug["tempo"]:
                    lm = self.tempo(lm, rng)
                    if len(lm) < window:
                        lm = np.concatenate([lm, np.full((window - len(lm), lm.shape[1]), lm.min(), dtype=lm.dtype)])
                if rng.random() < self.aug["warp"]:
                    lm = self.warp(lm, rng)
                end = int(rng.integers(window, len(lm) + 1))
                padding = lm[:end].max(axis=1) <= -99.9
                lm = lm[:end] + shift_db
                if rng.random() < self.aug["background"]:  # a non-speech background 5-25 dB below the speech
                    bg = self.nonspeech[rng.integers(len(self.nonspeech))]
                    bg = np.resize(bg, lm.shape) if len(bg) < len(lm) else bg[: len(lm)]
                    speech_level = np.percentile(lm.mean(axis=1), 90)
                    bg = bg - np.percentile(bg.mean(axis=1), 90) + speech_level - rng.uniform(5, 25)
                    lm = power_sum(lm, bg)
                hist = self.history(it["speaker"], i, rng, shift)
                y_emotion[b], y_speech[b] = it["label"], 1.0
            if rng.random() < self.aug["floor"]:  # the noise floor of 16-bit audio
                lm = power_sum(lm, rng.uniform(-95, -85))
            silence_db = 10 * np.log10(self.meta["features"]["db_amin"])
            lm = np.maximum(lm, silence_db)
            lm[padding] = silence_db  # the engine's zero padding stays digital silence
            m = lm[:end] @ self.D
            x[b, :, :self.D.shape[1]] = normalize(m, self.meta, hist)[end - window:]
            if extra:
                active = active_frames(frame_levels(m, self.n_mels), self.meta["normalization"], self.hop_s)
                ph = self.pitch_history if hist is not None else None
                x[b, :, self.D.shape[1]:] = normalize_pitch(track[:end], active, ph)[end - window:]
        return torch.from_numpy(x), torch.from_numpy(y_emotion), torch.from_numpy(y_speech)


def set_normalization(meta: dict, pool: Pool, rng) -> None:
    """prior_mean: mean of the active frames of the training speech; scale: the spread of
    the normalised input over sampled training crops."""
    s = sum(it["hist"][0] for it in pool.items)
    c = sum(it["hist"][1] for it in pool.items)
    spec = meta["normalization"]
    spec["prior_mean"] = [round(float(v), 5) for v in s / c]
    spec["scale"] = [1.0] * pool.D.shape[1]
    x, _, _ = pool.sample(rng, 512, meta["window_frames"])
    x = x[:, :, :pool.D.shape[1]]
    spec["scale"] = [round(float(v), 5) for v in x.reshape(-1, x.shape[-1]).std(dim=0).numpy() + 1e-3]


def train_model(items, nonspeech, meta, args, seed, steps=None, ns_pitch=None):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    meta = json.loads(json.dumps(meta))
    pool = Pool(items, nonspeech, meta)
    pool.aug = {k: getattr(args, f"aug_{k}") for k in Pool.aug}
    pool.no_history = args.no_history
    pool.ns_pitch = ns_pitch
    set_normalization(meta, pool, rng)
    model = EmotionTdnn(pool.D.shape[1] + (2 if args.pitch else 0), len(meta["labels"]))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-3)
    steps = steps or args.steps
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    n = len(meta["labels"])
    started = time.time()
    for step in range(steps):
        model.train()
        x, y_emotion, y_speech = pool.sample(rng, args.batch, args.crop_frames)
        if args.mask:  # SpecAugment on the normalised input: a band of coefficients, a stretch of time
            x = mask_batch(x, rng)
        out = model(x)
        is_speech = y_emotion >= 0
        loss = F.binary_cross_entropy_with_logits(out[:, n], y_speech)
        if is_speech.any():
            loss = loss + F.cross_entropy(out[is_speech, :n], y_emotion[is_speech], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"    step {step}/{steps} loss {loss.item():.3f} ({time.time() - started:.0f} s)", flush=True)
    model.eval()
    return model, meta


def mask_batch(x: torch.Tensor, rng) -> torch.Tensor:
    x = x.clone()
    for b in range(len(x)):
        c = int(rng.integers(1, 9)); c0 = int(rng.integers(1, x.shape[2] - c))  # never c0, the level
        x[b, :, c0:c0 + c] = 0
        t = int(rng.integers(0, x.shape[1] // 8)); t0 = int(rng.integers(0, x.shape[1] - t))
        x[b, t0:t0 + t] = 0
    return x


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


def main() -> None:
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
    args = parser.parse_args()

    started = time.time()
    torch.set_num_threads(args.threads)
    meta = load_metadata(args.metadata)
    meta["streaming"] = {"receptive_field": receptive_field()}
    if args.n_mfcc is not None:
        meta["features"]["n_mfcc"] = args.n_mfcc
        meta["input"]["shape"][2] = args.n_mfcc
    if args.prior_frames_level is not None:
        meta["normalization"]["prior_frames_level"] = args.prior_frames_level
    if args.prior_frames_shape is not None:
        meta["normalization"]["prior_frames_shape"] = args.prior_frames_shape
    labels, n = meta["labels"], len(meta["labels"])
    emotions = {r for c in ("ravdess", "nemo") for r in
                (row["emotion"] for row in csv.DictReader(open(DATA / c / "manifest.csv")))}
    items = load_clips(args.corpora.split(","), alias_map(meta, emotions), labels)
    attach_features(items, meta, args.noisy_copies)
    nonspeech = nonspeech_clips(meta, args.nonspeech)
    held_nonspeech = nonspeech_clips(meta, 160, seed=8)  # never trained on: the speech threshold's check
    ns_pitch, held_ns_pitch = None, [None] * len(held_nonspeech)
    if args.pitch:
        if args.aug_tempo > 0 or args.aug_warp > 0:
            parser.error("--pitch tracks come from the clean audio: they cannot follow --aug-tempo or --aug-warp")
        attach_pitch(items, meta)
        ns_pitch = nonspeech_pitch(meta, args.nonspeech)
        held_ns_pitch = nonspeech_pitch(meta, 160, seed=8)
        meta["pitch_channels"] = 2
        meta["input"]["shape"][2] += 2
    print(f"{len(items)} clips, {len(set(it['speaker'] for it in items))} speakers, labels {labels}, "
          f"{len(nonspeech)} non-speech clips ({time.time() - started:.0f} s)", flush=True)

    # Only a full run replaces the fold models that evaluate_cli.py scores for the card; an
    # exploration run (--only-folds, --cv-only) keeps its own beside them.
    out_dir = FOLDS / (meta["name"] + ("-exploration" if args.only_folds or args.cv_only else ""))
    out_dir.mkdir(parents=True, exist_ok=True)
    folds = speaker_folds(args.folds)
    run_folds = [int(k) for k in args.only_folds.split(",")] if args.only_folds else list(range(1, args.folds + 1))
    held = []  # (item, window logits)
    ns_logits = []
    for k in run_folds:
        test_speakers = folds[k - 1]
        train = [it for it in items if it["speaker"] not in test_speakers]
        test = [it for it in items if it["speaker"] in test_speakers]
        assert not {it["speaker"] for it in train} & {it["speaker"] for it in test}
        model, fold_meta = train_model(train, nonspeech, meta, args, args.seed + k, ns_pitch=ns_pitch)
        for it in test:
            held.append((it, clip_windows(model, it, fold_meta)))
        ns_logits += [clip_windows(model, {"logmel": lm, "pitch": pt}, fold_meta)
                      for lm, pt in zip(held_nonspeech[k - 1::len(run_folds)], held_ns_pitch[k - 1::len(run_folds)])]
        export(model, fold_meta, out_dir / f"fold{k}.onnx")
        write_test_list(out_dir / f"fold{k}-test.csv", test, meta)
        fold_res = [(it["label"], clip_decision(lg, meta, 1.0, 0.5)[0]) for it, lg in held if it["speaker"] in test_speakers]
        print(f"fold {k}: UA {100 * ua(confusion_of(fold_res, n)):.1f} % on {len(test)} clips "
              f"({time.time() - started:.0f} s)", flush=True)

    # Calibration on held-out windows: speech threshold, temperature, uncertain threshold.
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

    per_corpus = {}
    for corpus in sorted({it["corpus"] for it, _ in held}):
        res = [(it["label"], clip_decision(lg, meta, temperature, speech_threshold)[0]) for it, lg in held if it["corpus"] == corpus]
        c = confusion_of(res, n)
        per_corpus[corpus] = {"ua": ua(c), "confusion": c.tolist()}
        print(f"{corpus}: CV UA {100 * ua(c):.1f} %  confusion {c.tolist()}")
    print(f"speech threshold {speech_threshold:.2f}: speech windows kept {100 * (p_speech >= speech_threshold).mean():.1f} %, "
          f"held-out synthetic non-speech windows rejected {100 * ns_rejected:.1f} %; temperature {temperature:.3f}; "
          f"uncertain below {uncertain['threshold']}")

    loco = {}
    if not args.no_loco and (args.with_loco or not args.only_folds):
        for source, target in (("ravdess", "nemo"), ("nemo", "ravdess")):
            model, fold_meta = train_model([it for it in items if it["corpus"] == source], nonspeech, meta, args, args.seed + 50, args.loco_steps, ns_pitch=ns_pitch)
            test = [it for it in items if it["corpus"] == target]
            export(model, fold_meta, out_dir / f"loco-{source}.onnx")
            write_test_list(out_dir / f"loco-{source}-test.csv", test, meta)
            res = [(it["label"], clip_decision(clip_windows(model, it, fold_meta), meta, 1.0, 0.5)[0]) for it in test]
            loco[f"{source}->{target}"] = ua(confusion_of(res, n))
            print(f"leave-one-corpus-out {source} -> {target}: UA {100 * loco[f'{source}->{target}']:.1f} % "
                  f"({time.time() - started:.0f} s)", flush=True)

    summary = {"model": meta["name"], "note": args.note, "args": {k: str(v) for k, v in vars(args).items()},
               "cv_ua": {c: round(v["ua"], 4) for c, v in per_corpus.items()},
               "loco_ua": {k: round(v, 4) for k, v in loco.items()},
               "speech_threshold": speech_threshold, "nonspeech_rejected": round(ns_rejected, 4),
               "minutes": round((time.time() - started) / 60, 1)}
    with EXPERIMENTS.open("a") as log:
        log.write(json.dumps(summary) + "\n")
    if args.cv_only or args.only_folds:
        return

    meta["output"]["temperature"] = round(temperature, 4)
    meta["uncertain_threshold"] = uncertain["threshold"]
    meta["speech"] = {"output_index": n, "threshold": speech_threshold}
    # The fold and leave-one-corpus-out models carry the same calibration as the final one.
    exported = [out_dir / f"fold{k}.json" for k in run_folds] + [out_dir / f"loco-{c}.json" for c in ("ravdess", "nemo")]
    for p in (p for p in exported if p.exists()):
        fm = json.loads(p.read_text())
        fm["output"]["temperature"], fm["uncertain_threshold"], fm["speech"] = meta["output"]["temperature"], meta["uncertain_threshold"], meta["speech"]
        p.write_text(json.dumps(fm, indent=2) + "\n")
    final, final_meta = train_model(items, nonspeech, meta, args, args.seed + 100, ns_pitch=ns_pitch)
    meta["normalization"] = final_meta["normalization"]
    n_params = sum(p.numel() for p in final.parameters())
    meta["training"] = {
        "data": "RAVDESS speech actors 01-22 and nEMO (Polish), 9 speakers (both CC BY-NC-SA 4.0)",
        "protocol": f"{args.folds}-fold cross-validation grouped by speaker over both corpora; leave-one-corpus-out",
        "parameters": int(n_params), "seed": args.seed, "metrics_file": f"models/metrics-{meta['name']}.json",
    }
    export(final, meta, MODELS / f"{meta['name']}.onnx")
    metrics = {
        "protocol": meta["training"]["protocol"] + "; PyTorch scores (the card's tables come from the Rust CLI)",
        "labels": labels, "label_aliases": meta.get("label_aliases", {}),
        "cv": per_corpus, "loco_ua": loco,
        "calibration": {"temperature": round(temperature, 4), "uncertain": uncertain,
                        "ece_window_before": expected_calibration_error(softmax(emo_logits), emo_y),
                        "ece_window_after": expected_calibration_error(window_probs, emo_y),
                        "speech_threshold": speech_threshold,
                        "speech_windows_kept": float((p_speech >= speech_threshold).mean()),
                        "heldout_nonspeech_windows_rejected": ns_rejected},
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


if __name__ == "__main__":
    main()
