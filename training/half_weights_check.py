"""What storing the weights as float16 (export.py) changes in the CLI's results: every
shared clip (RAVDESS and nEMO) classified by the float32 file from a git revision and by
the shipped float16 file, compared label by label.

    python3 training/half_weights_check.py --reference-rev REV [--cli target/release/speech-emotion]

Writes models/half-weights-check.json, which the model card renders. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from cli_classify import classify

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
DATA = REPO.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-rev", required=True, help="a git revision whose models/ hold the float32 files")
    parser.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "speech-emotion")
    args = parser.parse_args()
    result = {"command": f"python3 training/half_weights_check.py --reference-rev {args.reference_rev}",
              "reference_rev": args.reference_rev, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("emotion4", "emotion8"):
            reference = Path(tmp) / f"{name}.onnx"
            reference.write_bytes(subprocess.run(["git", "show", f"{args.reference_rev}:models/{name}.onnx"],
                                                 cwd=REPO, check=True, capture_output=True).stdout)
            metadata = MODELS / f"{name}.json"
            corpora = [DATA / "ravdess", DATA / "nemo"]
            old, new = classify(args.cli, reference, corpora, metadata), classify(args.cli, MODELS / f"{name}.onnx", corpora, metadata)
            if [r["path"] for r in old] != [r["path"] for r in new]:
                print("the two runs classified different files", file=sys.stderr)
                return 1
            diffs = [abs(a["probabilities"][k] - b["probabilities"][k]) for a, b in zip(old, new)
                     if a["probabilities"] and b["probabilities"] for k in a["probabilities"]]
            result["models"][name] = {
                "clips": len(old),
                "same_label": sum(a["label"] == b["label"] for a, b in zip(old, new)),
                "same_state": sum(a["state"] == b["state"] for a, b in zip(old, new)),
                "max_probability_difference": round(max(diffs), 6),
                "bytes": {"float32": reference.stat().st_size, "float16": (MODELS / f"{name}.onnx").stat().st_size},
            }
            print(name, result["models"][name])
    (MODELS / "half-weights-check.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
