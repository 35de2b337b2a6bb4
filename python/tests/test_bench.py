"""benches/python.py runs end to end on a tiny input (2 clips; its numbers mean nothing)."""

import json
import subprocess
import sys

from conftest import CLI, REPO


def test_the_bench_runs_on_a_tiny_input(tmp_path):
    out = tmp_path / "bench.json"
    command = [sys.executable, str(REPO / "benches" / "python.py"), "--tiny", "--cli", str(CLI), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["tiny"] and data["files"] == 2 and "pending" not in data
    for key in ("cli_x_realtime", "python_x_realtime", "ray1_x_realtime", "ray2_x_realtime", "worker_peak_mb", "worker_above_ray_mb", "wheel_mb", "install_import_s"):
        assert data[key] > 0, key
    assert "| Ray Data, 2 workers (start-up included) |" in done.stdout
