"""speech_emotion.ray on a local Ray cluster of two nodes (a head and a worker, one CPU
each, started here in a temporary folder and always stopped): a folder classified row by
row as the CLI classifies it, a corrupt file an error row."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.dataset
import pytest

from conftest import REPO, cli, close

RAY = Path(sys.executable).with_name("ray")
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
# Small object stores: results are tiny and the machine is shared.
NODE = ["--num-cpus=1", "--object-store-memory=150000000", "--node-ip-address=127.0.0.1", "--disable-usage-stats"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_start(command):
    done = subprocess.run(command, env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def cluster():
    # Ray's socket paths must be short: a folder directly under /tmp.
    temp = tempfile.mkdtemp(prefix="se-ray-", dir="/tmp")
    address = f"127.0.0.1:{free_port()}"
    try:
        head = [str(RAY), "start", "--head", f"--port={address.split(':')[1]}", f"--temp-dir={temp}", "--include-dashboard=false", *NODE]
        ray_start(head)
        ray_start([str(RAY), "start", f"--address={address}", f"--temp-dir={temp}", *NODE])
        yield address
    finally:
        subprocess.run([str(RAY), "stop", "--force"], env=ENV, capture_output=True)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def folder(clips, tmp_path_factory):
    """The shared clips and fixtures, a file that cannot be decoded and one that is not audio."""
    root = tmp_path_factory.mktemp("archive")
    (root / "nested").mkdir()
    for i, clip in enumerate(clips):
        shutil.copy(clip, root / ("nested" if i % 2 else "") / Path(clip).name)
    (root / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 4)
    (root / "notes.txt").write_text("not audio: not taken from a folder")
    return root


def table(path):
    return pyarrow.dataset.dataset(path, format="parquet").to_table().to_pylist()


def test_a_folder_on_two_nodes_equals_the_cli_row_by_row(cluster, folder, tmp_path):
    code, out, err = cli("classify", "--format", "jsonl", folder, check=False)
    assert code == 1 and "corrupt.wav" in err
    expected = {row["path"]: row for row in map(__import__("json").loads, out.splitlines())}
    output = tmp_path / "results.parquet"
    command = [sys.executable, "-m", "speech_emotion.ray", str(folder), "--output", str(output), "--address", cluster]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["path"]: row for row in table(output)}
    assert set(rows) == set(expected) | {str(folder / "corrupt.wav")}
    for path, want in expected.items():
        row = rows[path]
        assert row["error"] is None and row["error_kind"] is None
        got = {k: row[k] for k in want}
        assert close(got, want), (path, got, want)
        assert got["label"] == want["label"] and got["state"] == want["state"]
    bad = rows[str(folder / "corrupt.wav")]
    assert bad["error_kind"] == "DecodeError" and bad["label"] is None and bad["model"]["fingerprint"]
    assert bad["error"].split(": ", 1)[-1] in err


def test_segments_per_row_on_both_workers(cluster, folder):
    import ray

    from speech_emotion.ray import classify

    ray.init(address=cluster, log_to_driver=False)
    try:
        nodes = [n for n in ray.nodes() if n["Alive"]]
        assert len(nodes) == 2 and all(n["Resources"]["CPU"] == 1 for n in nodes)
        rows = classify(folder, segments=True, concurrency=2, batch_size=1, worker_stats=True).take_all()
    finally:
        ray.shutdown()
    code, out, _ = cli("classify", "--format", "jsonl", "--segments", folder, check=False)
    expected = [__import__("json").loads(line) for line in out.splitlines()]
    for want in expected:
        got = sorted((r for r in rows if r["path"] == want["path"]), key=lambda r: r["segment"])
        assert len(got) == len(want["segments"])
        for row, segment in zip(got, want["segments"]):
            assert close({k: row[k] for k in segment}, segment)
    assert [r["error_kind"] for r in rows if r["path"].endswith("corrupt.wav")] == ["DecodeError"]
    # One model per actor, at most two actors (one per node); which actor gets which file is
    # Ray's choice (a loaded machine may start the second after the first has done them all).
    assert 1 <= len({r["worker_pid"] for r in rows}) <= 2
    assert all(0 < r["worker_peak_rss_mb"] < 2000 for r in rows)
