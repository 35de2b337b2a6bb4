"""Calm speech from voices outside both corpora: what the CLI calls it.

    python3 training/tts_check.py [--cli target/release/speech-emotion]   # needs espeak-ng and sox (apt)

24 everyday sentences read in a flat, calm style by 8 espeak-ng voices (US, British,
Scottish, Caribbean; male and female variants), each at three levels (−3, −13, −23 dBFS
peak), classified by the shipped models. Synthetic speech is not a human voice, but it is
calm by construction and unlike any training speaker, so it shows whether ordinary speech
from a new voice and microphone is read as an emotion (the symptom issue 13 started from:
24 of 24 such clips were *angry*). Writes models/tts-check.json, which the model card
renders. Calibration (`--calibration` of the CLI): each voice's first five sentences are its
calibration sample, and the rest are scored with and without it. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from cli_classify import classify

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"

VOICES = ["en-us+m1", "en-us+f2", "en-gb+m3", "en-gb+f3", "en-us+f4", "en-gb-scotland+m2", "en-029+f1", "en-us+m5"]
PEAK_DBFS = [-3, -13, -23]
CALIBRATION_SENTENCES = 5
SENTENCES = [
    "The meeting is scheduled for three o'clock on Tuesday afternoon.",
    "Please remember to bring the documents with you tomorrow.",
    "The train to the city leaves from platform number four.",
    "I usually have a cup of tea before I start working.",
    "The library opens at nine and closes at six in the evening.",
    "We walked along the river and then went back home.",
    "The weather forecast says it will be cloudy this weekend.",
    "My brother lives in a small house near the coast.",
    "You can find the instructions on the second page of the booklet.",
    "The shop on the corner sells bread, milk and newspapers.",
    "She turned off the lights and closed the door behind her.",
    "There are twelve chairs around the table in the kitchen.",
    "I will send you the report by the end of the week.",
    "The children are playing in the garden after school.",
    "He reads the newspaper every morning on the bus.",
    "The museum has a collection of old maps and paintings.",
    "Our neighbours planted some new trees last spring.",
    "The package should arrive within five working days.",
    "I parked the car on the street next to the bakery.",
    "The recipe needs two eggs, flour and a little sugar.",
    "We are going to visit my grandparents in the summer.",
    "The office is on the third floor of the building.",
    "He answered the phone and wrote down the message.",
    "It takes about twenty minutes to walk to the station.",
]


def synthesize(folder: Path) -> list[Path]:
    """One 16 kHz mono 16-bit WAV per voice, sentence and level. `sox -R`: the same dither
    every run (with a random one, a few borderline clips changed label between runs)."""
    paths = []
    for v, voice in enumerate(VOICES):
        for s, sentence in enumerate(SENTENCES):
            raw = folder / f"raw-{v}-{s}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), sentence], check=True)
            for peak in PEAK_DBFS:
                out = folder / f"{peak}dB-{v}-{s}.wav"
                subprocess.run(["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "norm", str(peak)],
                               check=True, capture_output=True)
                paths.append(out)
            raw.unlink()
    return paths


def label_of(row: dict) -> str:
    return row["label"] or "no speech"


def calibrated(cli: Path, name: str, folder: Path, rows: list[dict]) -> dict:
    """Per voice: its first CALIBRATION_SENTENCES sentences (−13 dBFS) joined are the calibration
    sample; the other sentences, at every level, are classified with it. `rows` (the
    uncalibrated run over every clip) gives the same sentences without it."""
    counts = {"uncalibrated": Counter(), "calibrated": Counter()}
    by_path = {Path(r["path"]).name: r for r in rows}
    for v in range(len(VOICES)):
        sample = folder / f"calibration-{v}.wav"
        if not sample.exists():
            subprocess.run(["sox", "-R", *[str(folder / f"-13dB-{v}-{s}.wav") for s in range(CALIBRATION_SENTENCES)], str(sample)],
                           check=True)
        scored = [folder / f"{p}dB-{v}-{s}.wav" for p in PEAK_DBFS for s in range(CALIBRATION_SENTENCES, len(SENTENCES))]
        counts["uncalibrated"].update(label_of(by_path[path.name]) for path in scored)
        counts["calibrated"].update(label_of(r) for r in classify(cli, MODELS / f"{name}.onnx", scored, calibration=sample))
    return {k: dict(c.most_common()) for k, c in counts.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "speech-emotion")
    args = parser.parse_args()
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        print(f"needs {' and '.join(missing)} (apt install {' '.join(missing)})", file=sys.stderr)
        return 1
    version = subprocess.run(["espeak-ng", "--version"], check=True, capture_output=True, text=True).stdout.strip()
    result = {"command": "python3 training/tts_check.py", "espeak_ng": version, "voices": VOICES,
              "calibration_sentences": CALIBRATION_SENTENCES,
              "sentences": len(SENTENCES), "peak_dbfs": PEAK_DBFS, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        paths = synthesize(Path(tmp))
        for name in ("emotion4", "emotion8"):
            rows = classify(args.cli, MODELS / f"{name}.onnx", paths)
            by_level = {}
            for peak in PEAK_DBFS:
                level = [r for r in rows if Path(r["path"]).name.startswith(f"{peak}dB-")]
                by_level[str(peak)] = dict(Counter(label_of(r) for r in level).most_common())
            labels = Counter(label_of(r) for r in rows)
            result["models"][name] = {"clips": len(rows), "labels": dict(labels.most_common()), "by_peak_dbfs": by_level,
                                      "speaker_calibration": calibrated(args.cli, name, Path(tmp), rows)}
            print(name, result["models"][name])
    (MODELS / "tts-check.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
