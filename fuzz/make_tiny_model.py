"""Writes fuzz/tiny/tiny.onnx: a fuzzing fixture, not a model. The shipped network's
graph (the same TDNN layers, pooling and heads, exported the same way) with two or four
channels per layer and untrained weights, so a fuzz input that loads and runs a model takes
~1 ms instead of ~15 ms and libFuzzer explores the graph-loading paths many times more.
It reads the shipped model's metadata (input shape, labels), so
`EMBEDDED_METADATA` fits it. Needs the training venv (torch, onnx, onnxruntime):
    .venv-train/bin/python fuzz/make_tiny_model.py
"""
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
from networks import EmotionTdnn  # noqa: E402
from export import export  # noqa: E402

TINY_LAYERS = [(4, 5, 1), (4, 3, 2), (2, 1, 1)]

meta = json.loads((ROOT / "models/emotion4.json").read_text())
torch.manual_seed(0)
model = EmotionTdnn(meta["features"]["n_mfcc"], len(meta["labels"]), TINY_LAYERS).eval()
out = ROOT / "fuzz/tiny/tiny.onnx"
export(model, dict(meta), out)
out.with_suffix(".json").unlink()  # the shipped metadata is used as it is
print(f"{out}: {out.stat().st_size} bytes")
