"""ONNX export: one file (dynamo, no external data), checked by onnx and against onnxruntime
on a random input, with the metadata JSON written beside it.

The exporter annotates every node with provenance (Python stack traces with the exporting
machine's paths, module hierarchies, FX node text) and the graph with intermediate shapes.
Nothing reads them at run time, so they are stripped: 24 KB of the 182 KB shipped file,
about 5 KB of the page's brotli download, and no local paths inside a published model.

Weights are stored as float16, each followed by a Cast to float32, so the engine still
computes in float32 and the file (and the page's download) is half as large: the shipped
model's brotli size goes from 140 to 68 KB. `training/half_weights_check.py` measures
what that changes in the CLI's results (nothing, on every shared clip, when introduced).

Re-finish existing files with
`python training/export.py --finish models/emotion4.onnx models/emotion8.onnx`.
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


def half_weights(path: Path, min_elements: int = 16) -> int:
    """Stores each float32 initializer of at least `min_elements` values as float16 plus a
    Cast back to float32 (tract and onnxruntime fold the Cast at load); returns the new size.
    Files already converted are left as they are."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    model = onnx.load(str(path))
    graph = model.graph
    casts, initializers = [], []
    for init in graph.initializer:
        values = numpy_helper.to_array(init)
        if init.data_type != TensorProto.FLOAT or values.size < min_elements:
            initializers.append(init)
            continue
        initializers.append(numpy_helper.from_array(values.astype(np.float16), f"{init.name}.f16"))
        casts.append(helper.make_node("Cast", [f"{init.name}.f16"], [init.name], to=TensorProto.FLOAT,
                                      name=f"{init.name}.to_f32"))
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path.stat().st_size


def finish(path: Path) -> int:
    """What every exported file gets: provenance stripped, weights stored as float16."""
    strip_provenance(path)
    return half_weights(path)


def export(model, meta, path: Path) -> None:
    import onnx
    import onnxruntime as ort
    import torch
    x = torch.randn(*meta["input"]["shape"])
    torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False,
                      input_names=[meta["input"]["name"]], output_names=["logits"])
    onnx.checker.check_model(onnx.load(str(path)))
    with torch.no_grad():
        want = model(x).numpy()
    feed = lambda s: {s.get_inputs()[0].name: x.numpy()}
    session = ort.InferenceSession(str(path))
    got = session.run(None, feed(session))[0]
    assert np.allclose(got, want, atol=1e-4), f"ONNX differs from PyTorch by {np.abs(got - want).max()}"
    finish(path)
    session = ort.InferenceSession(str(path))
    got = session.run(None, feed(session))[0]
    # float16 weights move logits by about 1e-3 (1.4e-3 on the shipped model's random input).
    assert np.allclose(got, want, atol=2e-2), f"float16 weights move the logits by {np.abs(got - want).max()}"
    meta["input"]["name"] = session.get_inputs()[0].name
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--finish", type=Path, nargs="+", required=True, metavar="MODEL.onnx",
                        help="strip provenance from these files, store their weights as float16 and "
                             "record their new size in metrics-NAME.json")
    args = parser.parse_args()
    for path in args.finish:
        size = finish(path)
        metrics_path = path.with_name(f"metrics-{path.stem}.json")
        if metrics_path.exists():
            metrics = json.loads(metrics_path.read_text())
            metrics["onnx_bytes"] = size
            metrics_path.write_text(json.dumps(metrics, indent=2, default=str) + "\n")
        print(f"{path}: {size} bytes")


if __name__ == "__main__":
    main()
