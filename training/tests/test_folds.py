"""Speaker-grouped folds (light dependencies, no torch): no speaker on both sides, both sexes
of every corpus in every fold; the Korean corpus grouped by its `speaker` column, never by
folder (speakers A and B recorded two folders each).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from data import CORPORA, DATA, load_clips, speaker_folds  # noqa: E402

SPEAKER_COLUMN = {"ravdess": "actor", "nemo": "speaker", "korean": "speaker"}


def manifest(corpus: str) -> list[dict]:
    path = DATA / corpus / "manifest.csv"
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return list(csv.DictReader(open(path)))


def test_folds_are_disjoint():
    folds = speaker_folds(3)
    for i, a in enumerate(folds):
        for b in folds[i + 1:]:
            assert not a & b


def test_ravdess_and_nemo_folds_unchanged():
    """Adding a corpus leaves the shipped recipe's folds as they were."""
    males, females = list(range(1, 23, 2)), list(range(2, 23, 2))
    nemo_f, nemo_m = ["EB0", "IC0", "KD0", "MK0"], ["KS0", "MP0", "SM0", "TP0", "WR0"]
    for i, fold in enumerate(speaker_folds(3)):
        before = {f"ravdess-{a:02d}" for a in males[i::3] + females[i::3]} | {f"nemo-{s}" for s in nemo_f[i::3] + nemo_m[i::3]}
        assert {s for s in fold if not s.startswith("korean-")} == before


@pytest.mark.parametrize("corpus", ["ravdess", "nemo", "korean"])
def test_every_speaker_in_one_fold_and_both_sexes_in_each(corpus):
    rows = manifest(corpus)
    key = CORPORA[corpus]["key"]
    sex = {key(r[SPEAKER_COLUMN[corpus]]): r["sex"] for r in rows}
    folds = speaker_folds(3)
    for s in sex:
        assert sum(s in f for f in folds) == 1, s
    for fold in folds:
        assert {sex[s] for s in fold if s in sex} == {"female", "male"}


def test_korean_clips_grouped_by_speaker_not_folder():
    rows = manifest("korean")
    label_of = {"neutral": "neutral", "calm": "neutral", "happy": "happy", "sad": "sad", "angry": "angry"}
    labels = ["neutral", "happy", "sad", "angry"]
    items = load_clips(["korean"], label_of, labels)
    assert len(items) == len(rows) == 300
    speakers = {it["speaker"] for it in items}
    assert speakers == {f"korean-{s}" for s in "ABCDEFGHKLMNO"}
    folders = {}
    for it in items:
        folders.setdefault(it["speaker"], set()).add(it["path"].split("/")[1])
    assert folders["korean-A"] == {"ema", "nea"} and folders["korean-B"] == {"emb", "neb"}
    assert all(len(f) == 1 for s, f in folders.items() if s not in ("korean-A", "korean-B"))
    per_class = [sum(it["label"] == k for it in items) for k in range(4)]
    assert per_class == [75, 75, 75, 75]
    assert {it["sex"] for it in items if it["speaker"] == "korean-A"} == {"female"}
