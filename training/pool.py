"""Training batches: corpus- and class-balanced crops, augmented in the log-mel domain and
normalised causally as the engine does (train.py's docstring lists the augmentations).

Pool.sample draws a batch crop by crop: a speech crop (speech_crop) or a synthetic
non-speech one (nonspeech_crop), each with the speaker history it is normalised against,
then the model input of that crop (write_input). Every random number comes from the
caller's generator, in a fixed order, so a seed gives the same batches.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import librosa
import numpy as np
import torch

import augment
from data import dct_matrix
from normalize import active_frames, frame_levels, normalize
from pitch import normalize_pitch, voiced_history


def power_sum(a_db, b_db):
    """dB of the summed powers (uncorrelated sources)."""
    k = np.log(10) / 10
    return np.logaddexp(k * a_db, k * np.asarray(b_db)) / k


@dataclass
class SpeakerHistory:
    """Earlier clips of a speaker that a crop is normalised against (a calibration sample
    or earlier speech of the same stream)."""
    mfcc: tuple[np.ndarray, float]  # sum of their active MFCC frames (in the crop's gain and colour), count
    pitch: tuple[float, float] | None  # sum and count of their voiced log2 F0 (pitch experiment), else None


@dataclass
class Crop:
    """One crop before normalisation: log-mel frames up to `end`, gain and colour applied."""
    lm: np.ndarray
    end: int
    padding: np.ndarray  # frames that are the engine's zero padding (kept digital silence)
    track: np.ndarray | None  # pitch track (pitch experiment)
    history: SpeakerHistory | None
    label: int = -1  # emotion label index; -1 for non-speech


class Batch(NamedTuple):
    x: torch.Tensor  # [batch, window, n_mfcc (+ 2 pitch channels)] normalised input
    y_emotion: torch.Tensor  # label index, -1 for non-speech
    y_speech: torch.Tensor  # 1.0 for speech, 0.0 for non-speech


class Pool:
    """Training clips with what batch sampling needs precomputed."""

    def __init__(self, items, nonspeech, meta, speakers_for_history=None):
        self.items, self.nonspeech, self.meta = items, nonspeech, meta
        f = meta["features"]
        self.D = dct_matrix(f)
        self.hop_s = f["hop_length"] / f["sample_rate"]
        self.n_mels = f["n_mels"]
        self.mel_freqs = librosa.mel_frequencies(f["n_mels"] + 2, fmin=f["fmin"], fmax=f["fmax"])[1:-1]
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
        return augment.colour(self.mel_freqs, rng)

    def warp(self, lm: np.ndarray, rng) -> np.ndarray:
        return augment.warp(lm, self.mel_freqs, rng)

    tempo = staticmethod(augment.tempo)

    def history(self, speaker: str, exclude: int, rng, shift: np.ndarray) -> SpeakerHistory | None:
        """0, 1, 2, 4 or 8 other clips of the speaker (neutral ones on half the draws), their
        MFCC sums moved by the crop's gain and colour `shift`; None for no history."""
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
        pitch = None
        if "phist" in self.items[chosen[0]]:
            pitch = tuple(sum(self.items[i]["phist"][j] for i in chosen) for j in (0, 1))
        return SpeakerHistory(mfcc=(s + c * shift, c), pitch=pitch)

    def nonspeech_crop(self, rng, window: int, shift_db: np.ndarray, shift: np.ndarray) -> Crop:
        """A synthetic non-speech crop; on half of them, a pause in a session: earlier speech
        of some speaker, 10 dB quieter to 40 dB louder, set the baseline."""
        j = rng.integers(len(self.nonspeech))
        lm = self.nonspeech[j]
        track = self.ns_pitch[j] if self.ns_pitch is not None else None
        end = int(rng.integers(window, len(lm) + 1))
        padding = np.zeros(end, dtype=bool)
        lm = lm[:end] + shift_db
        hist = None
        if rng.random() < 0.5:
            speaker = self.items[rng.integers(len(self.items))]["speaker"]
            louder = np.zeros_like(shift)
            louder[0] = rng.uniform(-10, 40) * np.sqrt(self.n_mels)  # the speech was this much louder
            hist = self.history(speaker, -1, rng, shift + louder)
        return Crop(lm, end, padding, track, hist)

    def speech_crop(self, rng, window: int, corpora: list[str], shift_db: np.ndarray, shift: np.ndarray) -> Crop:
        """A crop of a clip drawn corpus- then class-balanced: maybe a degraded copy, a new
        speaking rate, a new voice, a non-speech background 5-25 dB below the speech."""
        classes = self.by_corpus_class[corpora[rng.integers(len(corpora))]]
        members = classes[list(classes)[rng.integers(len(classes))]]
        i = members[rng.integers(len(members))]
        it = self.items[i]
        track = it.get("pitch")
        noisy_p = self.aug["noisy"]
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
        if rng.random() < self.aug["background"]:
            bg = self.nonspeech[rng.integers(len(self.nonspeech))]
            bg = np.resize(bg, lm.shape) if len(bg) < len(lm) else bg[: len(lm)]
            speech_level = np.percentile(lm.mean(axis=1), 90)
            bg = bg - np.percentile(bg.mean(axis=1), 90) + speech_level - rng.uniform(5, 25)
            lm = power_sum(lm, bg)
        return Crop(lm, end, padding, track, self.history(it["speaker"], i, rng, shift), label=it["label"])

    def write_input(self, out: np.ndarray, crop: Crop, rng, window: int) -> None:
        """The crop's last `window` frames of model input into `out` [window, channels]:
        maybe a 16-bit noise floor, digital silence kept, normalised against its history."""
        lm, end, n_mfcc = crop.lm, crop.end, self.D.shape[1]
        if rng.random() < self.aug["floor"]:  # the noise floor of 16-bit audio
            lm = power_sum(lm, rng.uniform(-95, -85))
        silence_db = 10 * np.log10(self.meta["features"]["db_amin"])
        lm = np.maximum(lm, silence_db)
        lm[crop.padding] = silence_db  # the engine's zero padding stays digital silence
        m = lm[:end] @ self.D
        hist = crop.history
        out[:, :n_mfcc] = normalize(m, self.meta, hist.mfcc if hist is not None else None)[end - window:]
        if self.ns_pitch is not None:
            active = active_frames(frame_levels(m, self.n_mels), self.meta["normalization"], self.hop_s)
            ph = hist.pitch if hist is not None else None
            out[:, n_mfcc:] = normalize_pitch(crop.track[:end], active, ph)[end - window:]

    def sample(self, rng, batch: int, window: int, nonspeech_p: float = 0.12) -> Batch:
        """`batch` crops of `window` frames: each with a gain of -35..+25 dB and maybe a
        microphone colour, a non-speech crop with probability `nonspeech_p`."""
        extra = 2 if self.ns_pitch is not None else 0
        x = np.empty((batch, window, self.D.shape[1] + extra), dtype=np.float32)
        y_emotion = np.full(batch, -1, dtype=np.int64)
        y_speech = np.zeros(batch, dtype=np.float32)
        corpora = sorted(self.by_corpus_class)
        for b in range(batch):
            gain = rng.uniform(-35, 25)
            shift_db = gain + (self.colour(rng) if rng.random() < self.aug["colour"] else np.zeros(self.n_mels))
            shift = shift_db @ self.D
            if rng.random() < nonspeech_p or not corpora:
                crop = self.nonspeech_crop(rng, window, shift_db, shift)
            else:
                crop = self.speech_crop(rng, window, corpora, shift_db, shift)
                y_emotion[b], y_speech[b] = crop.label, 1.0
            self.write_input(x[b], crop, rng, window)
        return Batch(torch.from_numpy(x), torch.from_numpy(y_emotion), torch.from_numpy(y_speech))
