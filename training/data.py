"""The training corpora and their cached log-mel features.

Clips are read from ../shared/data (never copied here). Features are cached as log-mel
(frames x n_mels, dB) so that gain, microphone colour and background mixing can be applied
exactly in the log-mel domain before the DCT (see train.py).
"""
from __future__ import annotations

import csv
import hashlib
import json

import librosa
import numpy as np
from scipy.fft import dct

from features import REPO, load_audio
from degrade import training_degradation
from nonspeech import KINDS, synthesize
from pitch import pitch_track

DATA = REPO.parent / "shared" / "data"
CACHE = REPO / "training" / "cache"

# nEMO's speakers by sex, so that every fold holds out both.
NEMO_FEMALE, NEMO_MALE = ["EB0", "IC0", "KD0", "MK0"], ["KS0", "MP0", "SM0", "TP0", "WR0"]
# The Korean corpus's speakers by sex (its manifest's `speaker` column, never the folder:
# A and B recorded two folders each, 40 clips; the others 20). Ordered so that with 3 folds
# A and B fall in different folds: B, C | D, E | A female; F, K, N | G, L, O | H, M male.
KOREAN_FEMALE, KOREAN_MALE = ["B", "D", "A", "C", "E"], ["F", "G", "H", "K", "L", "M", "N", "O"]


def speaker_folds(n_folds: int = 3) -> list[set[str]]:
    """Held-out speakers per fold: RAVDESS actors, nEMO and Korean speakers, both sexes of
    each corpus in each fold (speakers of a corpus not loaded are simply absent)."""
    males, females = list(range(1, 23, 2)), list(range(2, 23, 2))
    folds = []
    for i in range(n_folds):
        rav = {f"ravdess-{a:02d}" for a in males[i::n_folds] + females[i::n_folds]}
        nemo = {f"nemo-{s}" for s in NEMO_FEMALE[i::n_folds] + NEMO_MALE[i::n_folds]}
        korean = {f"korean-{s}" for s in KOREAN_FEMALE[i::n_folds] + KOREAN_MALE[i::n_folds]}
        folds.append(rav | nemo | korean)
    return folds


# Corpus → how to read its manifest: speaker column and a stable speaker key.
CORPORA = {
    "ravdess": {"speaker": "actor", "key": lambda s: f"ravdess-{int(s):02d}"},
    "nemo": {"speaker": "speaker", "key": lambda s: f"nemo-{s}"},
    "korean": {"speaker": "speaker", "key": lambda s: f"korean-{s}"},  # opt-in: --corpora ravdess,nemo,korean
}


def log_mel(y: np.ndarray, f: dict) -> np.ndarray:
    """(frames, n_mels) mel power in dB, exactly the engine's (features.mfcc before the DCT)."""
    mel = librosa.feature.melspectrogram(
        y=np.asarray(y, dtype=np.float32), sr=f["sample_rate"], n_fft=f["n_fft"], hop_length=f["hop_length"],
        win_length=f["win_length"], window=f["window"], center=f["center"], pad_mode=f["pad_mode"],
        power=f["power"], n_mels=f["n_mels"], fmin=f["fmin"], fmax=f["fmax"], htk=False, norm=f["mel_norm"])
    return librosa.power_to_db(mel, ref=f["db_ref"], amin=f["db_amin"], top_db=None).T.astype(np.float32)


def dct_matrix(f: dict) -> np.ndarray:
    """(n_mels, n_mfcc): mfcc = log_mel @ D, librosa's orthonormal DCT-II."""
    return dct(np.eye(f["n_mels"]), type=2, norm="ortho", axis=0)[: f["n_mfcc"]].T.astype(np.float32)


def load_clips(corpora: list[str], label_of: dict[str, str], labels: list[str]) -> list[dict]:
    """Every clip whose emotion maps onto a label (after aliases)."""
    items = []
    for corpus in corpora:
        spec = CORPORA[corpus]
        for r in csv.DictReader(open(DATA / corpus / "manifest.csv")):
            if r["emotion"] not in label_of:
                continue
            items.append({"corpus": corpus, "path": f"{corpus}/{r['path']}", "speaker": spec["key"](r[spec["speaker"]]),
                          "sex": r["sex"], "emotion": r["emotion"], "label": labels.index(label_of[r["emotion"]])})
    return items


def _cached(name: str, f: dict, keys: list[str], make) -> list[np.ndarray]:
    digest = hashlib.sha256(json.dumps([name, f, keys]).encode()).hexdigest()[:12]
    path = CACHE / f"logmel-{name}-{digest}.npz"
    if path.exists():
        return list(np.load(path, allow_pickle=True)["feats"])
    feats = [make(i, k) for i, k in enumerate(keys)]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, feats=np.array(feats, dtype=object))
    return feats


def pad_to_window(y: np.ndarray, window_samples: int) -> np.ndarray:
    """Zero-pad a clip to one model window, as the engine does."""
    return np.pad(y, (0, max(0, window_samples - len(y))))


def attach_features(items: list[dict], meta: dict, noisy_copies: int) -> None:
    """it['logmel'] (clean) and it['noisy'] (degraded copies: noise, telephone band, reverb)."""
    f = meta["features"]
    need = (meta["window_frames"] - 1) * f["hop_length"]

    def clean(_, path):
        y, rate = load_audio(DATA / path)
        assert rate == f["sample_rate"], path
        return log_mel(pad_to_window(y, need), f)

    # One cache file per corpus, so that runs on different sets of corpora share them.
    for corpus in dict.fromkeys(it["corpus"] for it in items):
        group = [it for it in items if it["corpus"] == corpus]
        paths = [it["path"] for it in group]
        for it, m in zip(group, _cached("clean", f, paths, clean)):
            it["logmel"] = m
        for k in range(noisy_copies):
            def noisy(_, path, k=k):
                y, rate = load_audio(DATA / path)
                seed = int.from_bytes(hashlib.sha256(f"train-noise2/{path}/{k}".encode()).digest()[:8], "little")
                out, _ = training_degradation(np.asarray(y, dtype=np.float64), rate, np.random.default_rng(seed))
                return log_mel(pad_to_window(out.astype(np.float32), need), f)
            for it, m in zip(group, _cached(f"noisy{k}", f, paths, noisy)):
                it.setdefault("noisy", []).append(m)


def nonspeech_clips(meta: dict, n: int, seed: int = 7) -> list[np.ndarray]:
    """Log-mels of `n` synthetic non-speech clips of 3–5 s."""
    f = meta["features"]
    keys = [f"{KINDS[i % len(KINDS)]}/{i}" for i in range(n)]

    def make(i, key):
        rng = np.random.default_rng([seed, i])
        y = synthesize(key.split("/")[0], float(rng.uniform(3, 5)), f["sample_rate"], rng)
        return log_mel(y, f)

    return _cached(f"nonspeech{seed}", f, keys, make)


def attach_pitch(items: list[dict], meta: dict) -> None:
    """it['pitch']: the pitch track of the clean clip (experiment; see pitch.py)."""
    f = meta["features"]
    need = (meta["window_frames"] - 1) * f["hop_length"]

    def make(_, path):
        y, _rate = load_audio(DATA / path)
        return pitch_track(pad_to_window(y, need), f)

    for it, t in zip(items, _cached("pitch-clean", f, [it["path"] for it in items], make)):
        assert len(t) == len(it["logmel"]), it["path"]
        it["pitch"] = t


def nonspeech_pitch(meta: dict, n: int, seed: int = 7) -> list[np.ndarray]:
    """Pitch tracks of the same synthetic clips as nonspeech_clips(meta, n, seed)."""
    f = meta["features"]
    keys = [f"{KINDS[i % len(KINDS)]}/{i}" for i in range(n)]

    def make(i, key):
        rng = np.random.default_rng([seed, i])
        return pitch_track(synthesize(key.split("/")[0], float(rng.uniform(3, 5)), f["sample_rate"], rng), f)

    return _cached(f"pitch-nonspeech{seed}", f, keys, make)
