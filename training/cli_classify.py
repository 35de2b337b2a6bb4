"""The Rust CLI's `classify --format jsonl`, one dict per file: what the checks that read the
CLI's labels (tts_check.py, half_weights_check.py) run. Standard library only."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path


def classify(cli: Path, model: Path, paths: list[Path], metadata: Path | None = None,
             calibration: Path | None = None) -> list[dict]:
    """`model` with `metadata` (default: the .json beside it), optionally calibrated on a
    sample of the speaker, over `paths` (files or folders)."""
    command = [str(cli), "--model", str(model), "--metadata", str(metadata or model.with_suffix(".json"))]
    if calibration:
        command += ["--calibration", str(calibration)]
    out = subprocess.run(command + ["classify", "--format", "jsonl", *map(str, paths)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]
