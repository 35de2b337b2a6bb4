"""The Python package against the CLI: the same results on the same clips, the documented
exceptions on bad input."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

import speech_emotion as se
from conftest import CLI, CLIPS, REPO, cli, cli_rows, close


def test_classify_file_equals_the_cli(clips, cli_results):
    for path in clips:
        result = se.classify_file(path)
        row = cli_results[path]
        # Both serialise the engine's one report record: equal to the last digit.
        assert result.to_dict() == row, path
        assert result.label == row["label"] and result.state == row["state"]
        assert close(result.probabilities, row["probabilities"])
        assert result.confidence == row["confidence"] and result.duration_s == row["duration_s"]
        assert (result.speech, result.calibrated, result.warnings) == (row["speech"], row["calibrated"], row["warnings"])
        assert result.model.to_dict() == row["model"]
        assert json.loads(result.to_json()) == row


def test_segments_and_the_classifier_equal_the_cli(clips):
    rows = cli_rows(clips[:2], "--segments")
    classifier = se.Classifier()
    for path in clips[:2]:
        result = classifier.classify_file(path, segments=True)
        assert result.to_dict() == rows[path]
        assert result.segments is not None and len(result.segments) == len(rows[path]["segments"])
        for segment, line in zip(result.segments, rows[path]["segments"]):
            assert segment.to_dict() == line and segment.label == line["label"]
        with open(path, "rb") as f:
            assert classifier.classify_bytes(f.read(), path=path, segments=True).to_dict() == rows[path]
    assert classifier.classify_file(clips[0]).segments is None


def write_wav(path, samples, rate):
    """int16 samples (frames,) or (frames, channels) as a PCM WAV."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(frames, dtype="<i2").tobytes())


def test_arrays_of_every_layout_equal_the_cli_on_the_same_samples(clips, tmp_path):
    samples, rate = se.read_audio(clips[1])
    assert samples.dtype == np.float32 and samples.shape[1] == 1 and rate >= 8000
    mono16 = np.round(samples[:, 0] * 32767).astype(np.int16)
    stereo16 = np.stack([mono16, (mono16 // 2).astype(np.int16)], axis=1)
    write_wav(tmp_path / "mono.wav", mono16, rate)
    write_wav(tmp_path / "stereo.wav", stereo16, rate)
    rows = cli_rows([tmp_path / "mono.wav", tmp_path / "stereo.wav", clips[1]])
    classifier = se.Classifier()

    def same(result, row):
        expected = {k: v for k, v in row.items() if k != "path"}
        assert result.to_dict() == expected

    same(classifier.classify(mono16, rate), rows[str(tmp_path / "mono.wav")])
    same(classifier.classify(stereo16, rate), rows[str(tmp_path / "stereo.wav")])
    # The decoded float samples: C-contiguous mono float32 is read in place.
    mono = np.ascontiguousarray(samples[:, 0])
    same(classifier.classify(mono, rate), rows[clips[1]])
    same(classifier.classify(samples, rate), rows[clips[1]])
    # Other dtypes and layouts the CLI's readers produce are converted to the same floats.
    assert close(classifier.classify(mono.astype(np.float64), rate).probabilities, rows[clips[1]]["probabilities"])
    assert close(classifier.classify(np.asfortranarray(stereo16), rate).to_dict(), classifier.classify(stereo16, rate).to_dict())
    assert close(classifier.classify(mono16.astype(np.int32) << 16, rate).to_dict(), classifier.classify(mono16, rate).to_dict())
    assert close(classifier.classify(mono[::1].tolist(), rate).to_dict(), classifier.classify(mono, rate).to_dict())
    assert classifier.classify(mono[::2], rate // 2).label is not None  # a strided view


def test_bad_input_raises_the_documented_exceptions(clips, tmp_path):
    classifier = se.Classifier()
    noise = (np.random.default_rng(0).standard_normal(16000) * 0.1).astype(np.float32)
    cases = [
        (lambda: classifier.classify(noise, 1000), se.InvalidSampleRateError, "sample rate"),
        (lambda: classifier.classify(noise.reshape(2, 8000), 16000), se.InvalidChannelsError, "(channels, frames)"),
        (lambda: classifier.classify(noise.reshape(4, 2, 2000), 16000), se.InvalidChannelsError, "3-D"),
        (lambda: classifier.classify(np.zeros(0, np.float32), 16000), se.EmptyAudioError, ""),
        (lambda: classifier.classify(np.zeros(16000, np.float32), 16000), se.SilenceError, ""),
        (lambda: classifier.classify(np.where(np.arange(16000) == 5, np.nan, noise), 16000), se.NonFiniteSampleError, ""),
        (lambda: classifier.classify(noise * 1e5, 16000), se.SampleOutOfRangeError, ""),
        (lambda: classifier.classify(noise.astype(np.complex64), 16000), se.InvalidInputError, "dtype"),
        (lambda: se.classify_file(tmp_path / "missing.wav"), se.ReadError, "missing.wav"),
        (lambda: se.classify_file(REPO / "tests" / "fixtures" / "buzz.opus"), se.DecodeError, "opus"),
        (lambda: se.Classifier(REPO / "missing.onnx"), se.SpeechEmotionError, "missing"),
        (lambda: se.Classifier(segment_hop=60.0), se.InvalidInputError, "segment_hop"),
        (lambda: se.Classifier(calibration=[]), se.InvalidInputError, "calibration"),
    ]
    for call, kind, words in cases:
        with pytest.raises(kind) as caught:
            call()
        assert isinstance(caught.value, se.SpeechEmotionError)
        assert words.lower() in str(caught.value).lower(), (kind, str(caught.value))
    with pytest.raises(se.ReadError):
        se.Stream(16000, profile=tmp_path / "missing.json")
    with pytest.raises(se.ReadError):
        se.classify_file(clips[0], profile=tmp_path / "missing.json")


def test_a_corrupt_file_gives_the_engines_message_as_the_cli_does(tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 4)
    with pytest.raises(se.DecodeError) as caught:
        se.classify_file(corrupt)
    code, out, err = cli("classify", "--format", "jsonl", corrupt, check=False)
    assert code != 0 and out == ""
    # The CLI adds "error: PATH:" and its context; the engine's message is the same.
    assert str(caught.value).split(": ", 1)[-1] in err, (str(caught.value), err)


def test_calibration_equals_the_cli(clips):
    speaker = [c for c in clips if "Actor_01" in c]
    rows = cli_rows(clips[:1], "--calibration", *speaker)
    result = se.classify_file(clips[0], calibration=speaker)
    assert result.calibrated and result.to_dict() == rows[clips[0]]
    classifier = se.Classifier()
    samples, rate = se.read_audio(speaker[0])
    calibration = classifier.calibrate(samples, rate)
    assert calibration.active_seconds > 1 and classifier.calibration is not None
    assert se.Classifier(calibration=calibration).classify_file(clips[0]).calibrated
    classifier.calibration = None
    assert not classifier.classify_file(clips[0]).calibrated


def test_a_personal_profile_equals_the_cli(clips, tmp_path):
    speaker = sorted(c for c in CLIPS if "Actor_" in str(c))
    actor = Path(speaker[0]).parent
    rows = ["03-01-01-01-01-01", "03-01-01-01-01-02", "03-01-05-02-01-01", "03-01-05-02-01-02"]
    tag = actor.name[-2:]
    enrol = tmp_path / "enrol.csv"
    enrol.write_text("path,label\n" + "".join(f"{actor / (r + '-' + tag + '.flac')},{'neutral' if r[6:8] == '01' else 'angry'}\n" for r in rows))
    profile = tmp_path / "me.json"
    cli("enrol", "-o", profile, enrol)
    scored = str(actor / f"03-01-05-02-02-01-{tag}.flac")
    row = cli_rows([scored], "--profile", profile)[scored]
    result = se.classify_file(scored, profile=profile)
    assert result.to_dict() == row and row["personal"] is True and result.profile == row["profile"]
    assert se.Classifier(profile=str(profile)).classify_file(scored).to_dict() == row
    assert not se.classify_file(scored).personal
    # A stream with the profile: every update is personal and names it, as clips do.
    samples, rate = se.read_audio(scored)
    updates = se.Stream(rate, profile=profile).push(samples)
    assert updates and all(u.personal and u.profile == row["profile"] for u in updates)
    assert all(u.to_dict()["personal"] is True for u in updates)
    assert "personal" not in se.Stream(rate).push(samples)[0].to_dict()


def test_a_stream_predicts_every_hop(clips):
    samples, rate = se.read_audio(clips[1])
    stream = se.Stream(rate)
    predictions = []
    for start in range(0, len(samples), 4800):
        predictions += stream.push(samples[start : start + 4800])
    assert stream.sample_rate == rate and len(predictions) >= 5
    times = [p.time_s for p in predictions]
    assert times == sorted(times)
    last = predictions[-1]
    assert set(last.probabilities) == set(stream.labels) and last.to_dict()["state"] == last.state
    stream.reset()
    assert stream.push(samples[:100]) == []


def test_model_info_equals_the_cli():
    _, out, _ = cli("info")
    info = se.model_info()
    assert info == json.loads(out)
    assert info["fingerprint"] == se.Classifier().model.fingerprint
    assert info["labels"] == se.Classifier().labels


def test_the_gil_is_released_while_classifying(clips):
    samples, rate = se.read_audio(clips[1])
    classifier = se.Classifier()
    classifier.classify(samples, rate)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    start = time.perf_counter()
    for _ in range(3):
        classifier.classify(samples, rate)
    elapsed = time.perf_counter() - start
    stop.set()
    thread.join()
    # With the GIL held throughout, the ticker would not run at all while classifying.
    during = [t for t in ticks if start < t < start + elapsed]
    assert len(during) > elapsed / 0.01, (len(during), elapsed)


def test_the_wheel_installs_and_imports_in_a_fresh_venv_without_the_network(clips, tmp_path):
    wheels = sorted((REPO / "target" / "wheels").glob("speech_emotion-*.whl"), key=os.path.getmtime)
    assert wheels, "build the wheel first (maturin build)"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    start = time.perf_counter()
    # --no-deps --no-index: nothing is fetched; numpy is only needed for arrays.
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheels[-1])], check=True)
    code = "import speech_emotion as se, sys; print(se.classify_file(sys.argv[1]).to_json())"
    out = subprocess.run([str(python), "-c", code, clips[0]], check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    assert json.loads(out) == cli_rows(clips[:1])[clips[0]]
    print(f"pip install + import + one file: {seconds:.2f} s; wheel {wheels[-1].stat().st_size / 1e6:.1f} MB")
    py_typed = subprocess.run([str(python), "-c", "import speech_emotion, pathlib; print(pathlib.Path(speech_emotion.__file__).with_name('py.typed').is_file())"], check=True, capture_output=True, text=True).stdout
    assert py_typed.strip() == "True"


def test_the_stubs_type_check(tmp_path):
    usage = tmp_path / "usage.py"
    usage.write_text(
        "import numpy as np\n"
        "import speech_emotion as se\n"
        "from speech_emotion.ray import classify\n"
        "r: se.ClipResult = se.classify_file('a.wav', calibration=['b.wav'])\n"
        "label: str | None = r.label\n"
        "p: dict[str, float] = r.probabilities\n"
        "c = se.Classifier(segment_hop=0.5)\n"
        "x = c.classify(np.zeros(16000, np.float32), 16000, segments=True)\n"
        "segs = x.segments or []\n"
        "starts = [s.start_s for s in segs]\n"
        "preds: list[se.Prediction] = se.Stream(16000).push(np.zeros(100))\n"
        "try:\n    se.classify_file('a.wav')\nexcept se.DecodeError as e:\n    print(str(e))\n"
        "ds = classify(['a/'], segments=True, concurrency=2)\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import speech_emotion as se\n"
        "n: int = se.classify_file('a.wav').label\n"
        "se.Classifier().classify()\n"
        "se.Stream(16000, profile=3)\n"
    )
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--ignore-missing-imports", "--follow-imports=silent"]
    ok = subprocess.run([*mypy, str(usage)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    failed = subprocess.run([*mypy, str(bad)], capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stdout.count("error:") == 3, failed.stdout
    # The installed package itself: its Python modules against its stub.
    checked = subprocess.run([*mypy, "-p", "speech_emotion"], capture_output=True, text=True, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
