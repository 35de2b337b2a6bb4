"""ONNX export: one file (dynamo, no external data), checked by onnx and against onnxruntime
on a random input, with the metadata JSON written beside it."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch


def export(model, meta, path: Path) -> None:
    import onnx
    import onnxruntime as ort
    x = torch.randn(*meta["input"]["shape"])
    torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False,
                      input_names=[meta["input"]["name"]], output_names=["logits"])
    onnx.checker.check_model(onnx.load(str(path)))
    session = ort.InferenceSession(str(path))
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        want = model(x).numpy()
    assert np.allclose(got, want, atol=1e-4), f"ONNX differs from PyTorch by {np.abs(got - want).max()}"
    meta["input"]["name"] = session.get_inputs()[0].name
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
