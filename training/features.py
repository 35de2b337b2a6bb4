"""MFCC features exactly as the Rust engine computes them (docs/CONTRACT.md §1).

Every parameter comes from the model metadata's `features` block; this module holds no
feature constants of its own, so training and serving cannot drift apart.
"""
from __future__ import annotations

import json
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
DEFAULT_METADATA = REPO / "models" / "emotion4.json"


def load_metadata(path: Path | str = DEFAULT_METADATA) -> dict:
    return json.loads(Path(path).read_text())


def load_audio(path: Path | str) -> tuple[np.ndarray, int]:
    """Mono float32 samples (int16 / 32768, as symphonia decodes them) and the sample rate."""
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return samples.mean(axis=1).astype(np.float32), int(rate)


def mfcc(y: np.ndarray, features: dict) -> np.ndarray:
    """MFCC of a mono signal as a (frames, n_mfcc) float32 array."""
    f = features
    assert f["kind"] == "mfcc" and f["mel_scale"] == "slaney" and f["top_db"] is None
    mel = librosa.feature.melspectrogram(
        y=np.asarray(y, dtype=np.float32),
        sr=f["sample_rate"],
        n_fft=f["n_fft"],
        hop_length=f["hop_length"],
        win_length=f["win_length"],
        window=f["window"],
        center=f["center"],
        pad_mode=f["pad_mode"],
        power=f["power"],
        n_mels=f["n_mels"],
        fmin=f["fmin"],
        fmax=f["fmax"],
        htk=False,
        norm=f["mel_norm"],
    )
    mel_db = librosa.power_to_db(mel, ref=f["db_ref"], amin=f["db_amin"], top_db=None)
    coeffs = librosa.feature.mfcc(
        S=mel_db, n_mfcc=f["n_mfcc"], dct_type=f["dct_type"], norm=f["dct_norm"], lifter=f["lifter"]
    )
    return coeffs.T.astype(np.float32)


def window_samples(metadata: dict) -> int:
    """Samples that yield exactly `window_frames` frames."""
    return (metadata["window_frames"] - 1) * metadata["features"]["hop_length"]


def clip_mfcc(y: np.ndarray, metadata: dict) -> np.ndarray:
    """MFCC of a whole clip, zero-padded at the end to at least one model window."""
    need = window_samples(metadata)
    if len(y) < need:
        y = np.concatenate([y, np.zeros(need - len(y), dtype=np.float32)])
    return mfcc(y, metadata["features"])


def window_starts(n_frames: int, window: int, hop: int) -> list[int]:
    """Window start frames: every `hop`, plus one aligned to the end of the clip."""
    starts = list(range(0, n_frames - window + 1, hop))
    if starts[-1] != n_frames - window:
        starts.append(n_frames - window)
    return starts
