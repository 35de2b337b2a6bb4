"""ONNX export: one file (dynamo, no external data), checked by onnx and against onnxruntime
on a random input, with the metadata JSON written beside it.

The exporter annotates every node with provenance (Python stack traces with the exporting
machine's paths, module hierarchies, FX node text) and the graph with intermediate shapes.
Nothing reads them at run time, so they are stripped: 24 KB of the 182 KB shipped file,
about 5 KB of the page's brotli download, and no local paths inside a published model.
Re-strip existing files (weights and graph untouched) with
`python training/export.py --strip models/emotion4.onnx models/emotion8.onnx`.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def strip_provenance(path: Path) -> int:
    """Removes node metadata, doc strings and intermediate value_info; returns the new size."""
    import onnx
    model = onnx.load(str(path))
    graph = model.graph
    for node in graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    del graph.value_info[:]
    del model.metadata_props[:]
    graph.doc_string = model.doc_string = ""
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path.stat().st_size


def export(model, meta, path: Path) -> None:
    import onnx
    import onnxruntime as ort
    import torch
    x = torch.randn(*meta["input"]["shape"])
    torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False,
                      input_names=[meta["input"]["name"]], output_names=["logits"])
    strip_provenance(path)
    onnx.checker.check_model(onnx.load(str(path)))
    session = ort.InferenceSession(str(path))
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        want = model(x).numpy()
    assert np.allclose(got, want, atol=1e-4), f"ONNX differs from PyTorch by {np.abs(got - want).max()}"
    meta["input"]["name"] = session.get_inputs()[0].name
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strip", type=Path, nargs="+", required=True, metavar="MODEL.onnx",
                        help="strip provenance from these files and record their new size in metrics-NAME.json")
    args = parser.parse_args()
    for path in args.strip:
        size = strip_provenance(path)
        metrics_path = path.with_name(f"metrics-{path.stem}.json")
        if metrics_path.exists():
            metrics = json.loads(metrics_path.read_text())
            metrics["onnx_bytes"] = size
            metrics_path.write_text(json.dumps(metrics, indent=2, default=str) + "\n")
        print(f"{path}: {size} bytes")


if __name__ == "__main__":
    main()
