"""Archives of recordings with Ray Data: one row of results per file (or per model window
with ``segments=True``), one model per actor, files read as bytes and decoded by the engine.
A file that cannot be classified becomes a row with its ``error``, never a failed job.

    >>> from speech_emotion.ray import classify                     # doctest: +SKIP
    >>> classify("recordings/").write_parquet("results.parquet")    # doctest: +SKIP

As a command (a folder of Parquet files, one table)::

    python -m speech_emotion.ray DIR_OR_GLOB ... --output results.parquet [--address HOST:PORT]

Every node needs ``speech-emotion[ray]`` installed and must see the files at the same paths
(shared storage, or a URI such as ``s3://bucket/prefix`` that pyarrow reads).
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import sys
from typing import Any, Optional, Sequence, Union

import pyarrow as pa
import pyarrow.dataset
import ray
import ray.data

from . import AUDIO_EXTENSIONS, Classifier

PathLike = Union[str, "os.PathLike[str]"]

# Files per batch handed to an actor: small, so a slow file holds up few others and the
# progress bar moves; large enough that the per-batch overhead (~1 ms) stays negligible.
BATCH_SIZE = 8
# Files per block read (see `classify`).
FILES_PER_BLOCK = 32


def schema(labels: Sequence[str], segments: bool = False, worker_stats: bool = False) -> pa.Schema:
    """The result table's columns: the CLI's JSON fields (``speech-emotion classify --format
    jsonl``) with ``probabilities`` and ``model`` as structs, plus ``error`` and
    ``error_kind`` (the exception's class), null for a classified file."""
    probabilities = pa.struct([(label, pa.float64()) for label in labels])
    model = pa.struct([("name", pa.string()), ("fingerprint", pa.string())])
    if segments:
        fields = [
            ("path", pa.string()),
            ("segment", pa.int32()),
            ("start_s", pa.float64()),
            ("end_s", pa.float64()),
            ("speech", pa.bool_()),
            ("speech_probability", pa.float64()),
            ("label", pa.string()),
            ("probabilities", probabilities),
        ]
    else:
        fields = [
            ("path", pa.string()),
            ("state", pa.string()),
            ("label", pa.string()),
            ("confidence", pa.float64()),
            ("speech", pa.bool_()),
            ("calibrated", pa.bool_()),
            ("duration_s", pa.float64()),
            ("probabilities", probabilities),
        ]
    fields += [
        ("warnings", pa.list_(pa.string())),
        ("model", model),
        ("error", pa.string()),
        ("error_kind", pa.string()),
    ]
    if worker_stats:
        fields += [("worker_pid", pa.int64()), ("worker_peak_rss_mb", pa.float64()), ("worker_baseline_rss_mb", pa.float64())]
    return pa.schema(fields)


class ClassifyBatch:
    """The actor: one `Classifier` (one model) for every batch it is given. A batch has a
    ``path`` column and, unless the files are to be read here, their ``bytes``."""

    def __init__(
        self,
        model: Optional[str] = None,
        metadata: Optional[str] = None,
        calibration: Any = None,
        segment_hop: Optional[float] = None,
        segments: bool = False,
        worker_stats: bool = False,
    ) -> None:
        # The actor's memory before the model: Ray's Python worker with pyarrow, not ours.
        self.baseline_mb = _rss_mb() if worker_stats else 0.0
        self.classifier = Classifier(model, metadata=metadata, calibration=calibration, segment_hop=segment_hop)
        self.segments = segments
        self.worker_stats = worker_stats
        self.schema = schema(self.classifier.labels, segments, worker_stats)
        self.model = self.classifier.model.to_dict()

    def __call__(self, batch: pa.Table) -> pa.Table:
        paths = batch.column("path").to_pylist()
        data = batch.column("bytes") if "bytes" in batch.column_names else None
        rows: list[dict[str, Any]] = []
        for i, path in enumerate(paths):
            try:
                raw = data[i].as_py() if data is not None else _read(path)
                result = self.classifier.classify_bytes(raw, path=path, segments=self.segments)
            # Whatever went wrong with one file (the engine's errors, a vanished file) is
            # that file's row: an archive's job never fails for one file.
            except Exception as e:
                rows.append({"path": path, "model": self.model, "error": str(e), "error_kind": type(e).__name__})
                continue
            rows.extend(self._rows(result.to_dict()))
        if self.worker_stats:
            # ru_maxrss is KiB on Linux: the actor process's peak so far.
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            for row in rows:
                row.update(worker_pid=os.getpid(), worker_peak_rss_mb=peak, worker_baseline_rss_mb=self.baseline_mb)
        return pa.Table.from_pylist(rows, schema=self.schema)

    def _rows(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        if not self.segments:
            return [result]
        shared = {"path": result["path"], "warnings": result["warnings"], "model": result["model"]}
        return [{**shared, "segment": i, **segment} for i, segment in enumerate(result["segments"])]


def _rss_mb() -> float:
    """This process's resident memory now (Linux), MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def audio_files(paths: Sequence[PathLike]) -> list[str]:
    """Local paths as the CLI takes them: a file as it is (whatever its extension), a folder
    walked for audio files (``AUDIO_EXTENSIONS``, any case), a glob expanded; sorted within
    each argument. URIs (``s3://…``) are left to Ray to list."""
    found: list[str] = []
    for given in (str(os.fspath(p)) for p in paths):
        if "://" in given:
            found.append(given)
        elif os.path.isdir(given):
            found += sorted(_walk(given))
        elif glob.has_magic(given):
            matches = sorted(glob.glob(given, recursive=True))
            for match in matches:
                found += sorted(_walk(match)) if os.path.isdir(match) else [match]
            if not matches:
                raise FileNotFoundError(f"no file matches {given}")
        else:
            found.append(given)
    return found


def _walk(folder: str) -> list[str]:
    endings = {"." + e for e in AUDIO_EXTENSIONS}
    return [
        os.path.join(root, name)
        for root, _, names in os.walk(folder, followlinks=True)
        for name in names
        if os.path.splitext(name)[1].lower() in endings
    ]


def classify(
    paths_or_dataset: Union[PathLike, Sequence[PathLike], "ray.data.Dataset"],
    *,
    segments: bool = False,
    model: Optional[PathLike] = None,
    metadata: Optional[PathLike] = None,
    calibration: Any = None,
    segment_hop: Optional[float] = None,
    concurrency: Optional[int] = None,
    batch_size: int = BATCH_SIZE,
    worker_stats: bool = False,
) -> "ray.data.Dataset":
    """A Ray Dataset of results (lazy: nothing runs until it is written or iterated).

    ``paths_or_dataset``: a file, folder or glob, a list of them, or a Dataset with a
    ``path`` column and the files' ``bytes`` (``ray.data.read_binary_files(...,
    include_paths=True)``) or only ``path`` (each actor then reads the file). ``model``,
    ``metadata``, ``calibration`` (recordings of the speaker) and ``segment_hop`` are those
    of `Classifier`; the paths must be readable on every node. ``concurrency``: actors, one
    CPU and one model each (default: every CPU of the cluster). ``worker_stats`` adds each
    row's actor ``worker_pid``, its peak memory so far (``worker_peak_rss_mb``) and its
    memory before the model was loaded (``worker_baseline_rss_mb``: Ray's own worker).

    Rows are not in the input's order. Columns: `schema`.
    """
    if concurrency is None:
        if not ray.is_initialized():
            ray.init()
        concurrency = max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]
    if isinstance(paths_or_dataset, ray.data.Dataset):
        dataset = paths_or_dataset
    else:
        given = [paths_or_dataset] if isinstance(paths_or_dataset, (str, os.PathLike)) else list(paths_or_dataset)
        files = audio_files(given)
        if not files:
            raise FileNotFoundError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {', '.join(str(os.fspath(g)) for g in given)}")
        # A few blocks per actor, so both the reading and the classifying spread out, and
        # at most FILES_PER_BLOCK files in each: an actor maps its block's bytes, so its
        # memory follows the block's size, not the archive's.
        blocks = max(1, min(len(files), max(4 * concurrency, -(-len(files) // FILES_PER_BLOCK))))
        # Reading is I/O: the read tasks take no CPU of their own, or actors holding every
        # CPU would leave them none and the pipeline would wait forever.
        # A URI may be a prefix that Ray lists: take only audio files from it, as from a folder.
        endings = AUDIO_EXTENSIONS + [e.upper() for e in AUDIO_EXTENSIONS] if any("://" in f for f in files) else None
        # And as many read tasks at a time as actors: CPU-free tasks are otherwise limited by
        # nothing, and Ray started a worker process for each of hundreds of blocks.
        dataset = ray.data.read_binary_files(
            files, include_paths=True, override_num_blocks=blocks, num_cpus=0, concurrency=concurrency, file_extensions=endings
        )
    constructor = {
        "model": os.fspath(model) if model is not None else None,
        "metadata": os.fspath(metadata) if metadata is not None else None,
        "calibration": calibration,
        "segment_hop": segment_hop,
        "segments": segments,
        "worker_stats": worker_stats,
    }
    return dataset.map_batches(
        ClassifyBatch,
        fn_constructor_kwargs=constructor,
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_cpus=1,
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m speech_emotion.ray",
        description="Classify audio files on a Ray cluster into Parquet (one row per file).",
    )
    parser.add_argument("paths", nargs="+", help="files, folders or globs (or URIs pyarrow reads)")
    parser.add_argument("--output", required=True, help="Parquet output: a folder of part files, read as one table")
    parser.add_argument("--address", help="the cluster's head (HOST:PORT); default: RAY_ADDRESS, a running local cluster, or a new one")
    parser.add_argument("--segments", action="store_true", help="one row per model window instead of per file")
    parser.add_argument("--model", help="an ONNX model (default: the embedded one)")
    parser.add_argument("--metadata", help="the model's metadata (default: the model path with .json)")
    parser.add_argument("--calibration", nargs="+", help="recordings of the speaker to calibrate to")
    parser.add_argument("--segment-hop", type=float, help="seconds between windows (default 1)")
    parser.add_argument("--concurrency", type=int, help="actors (default: every CPU of the cluster)")
    args = parser.parse_args(argv)
    ray.init(address=args.address, log_to_driver=False)
    dataset = classify(
        args.paths,
        segments=args.segments,
        model=args.model,
        metadata=args.metadata,
        calibration=args.calibration,
        segment_hop=args.segment_hop,
        concurrency=args.concurrency,
    )
    dataset.write_parquet(args.output)
    errors = pyarrow.dataset.dataset(args.output, format="parquet").to_table(columns=["error"]).column("error")
    print(f"{len(errors)} rows ({len(errors) - errors.null_count} errors) in {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    # The module again under its own name, so Ray pickles the actor class by reference
    # (every node imports it from the installed package) rather than from `__main__`.
    from speech_emotion.ray import main as _main

    sys.exit(_main())
