"""Shared paths and the CLI, whose JSON lines every result here must equal."""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "target" / "debug" / "speech-emotion"
RAVDESS = REPO.parent / "shared" / "data" / "ravdess"
# RAVDESS actors 01–22 only (23–24 are held out for evaluation): a few emotions, both sexes.
CLIPS = [
    RAVDESS / "Actor_01" / "03-01-01-01-01-01-01.flac",
    RAVDESS / "Actor_03" / "03-01-05-02-01-01-03.flac",
    RAVDESS / "Actor_08" / "03-01-04-02-02-01-08.flac",
    RAVDESS / "Actor_22" / "03-01-03-01-01-02-22.flac",
]
# Compressed formats (no speech: a buzz).
FIXTURES = [REPO / "tests" / "fixtures" / name for name in ("buzz.mp3", "buzz.m4a", "buzz.ogg")]


def cli(*args, check=True):
    """`speech-emotion ARGS`: (returncode, stdout, stderr)."""
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: run `cargo build` first")
    done = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"speech-emotion {' '.join(map(str, args))} failed: {done.stderr}")
    return done.returncode, done.stdout, done.stderr


def cli_rows(paths, *flags, check=True):
    """The CLI's JSON lines for `paths`, by path as given."""
    _, out, _ = cli("classify", "--format", "jsonl", *flags, *paths, check=check)
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {row["path"]: row for row in rows}


@pytest.fixture(scope="session")
def clips():
    missing = [c for c in CLIPS if not c.is_file()]
    if missing:
        pytest.fail(f"shared clips missing: {missing}")
    return [str(c) for c in CLIPS] + [str(f) for f in FIXTURES]


@pytest.fixture(scope="session")
def cli_results(clips):
    return cli_rows(clips)


def close(a, b, tol=1e-6):
    """Dicts, lists and numbers equal, floats to `tol`."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tol
    return a == b


# No usage reports; no token authentication between the test clusters' nodes (a token
# left in ~/.ray by an earlier local Ray would otherwise be demanded of the second node).
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ["RAY_AUTH_MODE"] = "disabled"
