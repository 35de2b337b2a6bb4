//! The `speech-emotion` command line: classify files and folders, evaluate a labelled CSV.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_speech-emotion")).args(args).output().expect("the CLI runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn classify_a_folder_prints_one_json_line_per_file() {
    let folder = common::ravdess("Actor_01");
    let out = cli(&["classify", folder.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 60, "Actor_01 has 60 clips");
    for line in &lines {
        let label = line["label"].as_str().unwrap();
        assert!(["neutral", "happy", "sad", "angry"].contains(&label));
        let sum: f64 = line["probabilities"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-3);
    }
}

#[test]
fn several_workers_give_the_same_lines_in_the_same_order_as_one() {
    let folder = common::ravdess("Actor_03");
    let dir = std::env::temp_dir().join(format!("se-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A broken file among good ones: reported, counted, and the others still classified.
    std::fs::write(dir.join("broken.wav"), b"RIFF nothing here").unwrap();
    let run = |threads: &str| cli(&["--threads", threads, "classify", folder.to_str().unwrap(), dir.to_str().unwrap()]);
    let (one, three) = (run("1"), run("3"));
    assert_eq!(text(&one.stdout), text(&three.stdout));
    assert_eq!(text(&one.stdout).lines().count(), 60);
    for out in [&one, &three] {
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("broken.wav") && text(&out.stderr).contains("1 of 61 files"), "{}", text(&out.stderr));
    }
    assert!(!cli(&["--threads", "0", "info"]).status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn classify_csv_with_segments() {
    let clip = common::ravdess("Actor_02/03-01-05-01-01-01-02.flac");
    let out = cli(&["classify", "--format", "csv", "--segments", clip.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        "path,segment_start_s,segment_end_s,state,label,confidence,speech,speech_probability,calibrated,duration_s,\
         neutral,happy,sad,angry,warnings,model,model_fingerprint"
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 2, "an overall row and at least one segment row");
    let fingerprint = embedded_fingerprint();
    for row in &rows {
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!(fields.len(), 17, "{row}");
        assert_eq!(fields[14..], ["", "emotion4", fingerprint.as_str()], "no warnings; the model on every row");
    }
}

#[test]
fn bad_files_fail_with_a_message_and_a_non_zero_exit() {
    let dir = std::env::temp_dir().join(format!("se-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.wav");
    std::fs::write(&garbage, b"RIFF this is not really a wave file at all").unwrap();
    let empty = dir.join("empty.flac");
    std::fs::write(&empty, b"").unwrap();
    for path in [&garbage, &empty, &dir.join("missing.wav")] {
        let out = cli(&["classify", path.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("error:"), "{}", text(&out.stderr));
    }
    let out = cli(&["classify", "--model", garbage.to_str().unwrap(), garbage.to_str().unwrap()]);
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn evaluate_reports_ua_wa_and_skips_unknown_labels() {
    let dir = std::env::temp_dir().join(format!("se-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("labels.csv");
    let root = common::ravdess("");
    let rows = [
        ("Actor_04/03-01-01-01-01-01-04.flac", "neutral"),
        ("Actor_04/03-01-02-01-01-01-04.flac", "calm"),
        ("Actor_04/03-01-03-02-01-01-04.flac", "happy"),
        ("Actor_04/03-01-04-02-01-01-04.flac", "sad"),
        ("Actor_04/03-01-05-02-01-01-04.flac", "angry"),
        ("Actor_04/03-01-06-02-01-01-04.flac", "fearful"),
    ];
    let body: String = rows.iter().map(|(p, l)| format!("{},{l}\n", root.join(p).display())).collect();
    std::fs::write(&csv, format!("path,label\n{body}")).unwrap();

    let out = cli(&["evaluate", csv.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["evaluated"], 5);
    assert_eq!(report["skipped_unknown_label"]["fearful"], 1);
    // The same numbers by hand, from `classify` on the same files (calm counts as neutral).
    let files: Vec<String> = rows[..5].iter().map(|(p, _)| root.join(p).display().to_string()).collect();
    let args: Vec<&str> = ["classify"].into_iter().chain(files.iter().map(String::as_str)).collect();
    let predicted: Vec<Option<String>> = json_lines(&cli(&args)).iter().map(|l| l["label"].as_str().map(String::from)).collect();
    let truth = ["neutral", "neutral", "happy", "sad", "angry"];
    let hit = |i: usize| predicted[i].as_deref() == Some(truth[i]);
    let recall = |class: &str| {
        let of: Vec<usize> = (0..5).filter(|&i| truth[i] == class).collect();
        of.iter().filter(|&&i| hit(i)).count() as f64 / of.len() as f64
    };
    let expected_ua = ["neutral", "happy", "sad", "angry"].iter().map(|c| recall(c)).sum::<f64>() / 4.0;
    let expected_wa = (0..5).filter(|&i| hit(i)).count() as f64 / 5.0;
    assert!((report["unweighted_accuracy"].as_f64().unwrap() - expected_ua).abs() < 1e-9, "{report} vs {predicted:?}");
    assert!((report["weighted_accuracy"].as_f64().unwrap() - expected_wa).abs() < 1e-9, "{report}");
    let matrix = report["confusion_matrix"]["counts"].as_array().unwrap();
    let total: u64 = matrix.iter().flat_map(|r| r.as_array().unwrap()).map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 5);

    let out = cli(&["evaluate", csv.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("unweighted accuracy (UA)") && stdout.contains("confusion matrix"), "{stdout}");

    let out = cli(&["evaluate", csv.to_str().unwrap(), "--map", "fearful=nonsense"]);
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

fn embedded_fingerprint() -> String {
    use speech_emotion::model::{EMBEDDED_METADATA, EMBEDDED_ONNX};
    speech_emotion::fingerprint::model_fingerprint(EMBEDDED_ONNX, EMBEDDED_METADATA)
}

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("se-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the CLI, killing it if it has not finished within `seconds` (a hang is a failure).
fn cli_within(seconds: u64, args: &[&str]) -> std::process::Output {
    run_within(seconds, Command::new(env!("CARGO_BIN_EXE_speech-emotion")).args(args))
}

fn run_within(seconds: u64, command: &mut Command) -> std::process::Output {
    use std::process::Stdio;
    let args = format!("{command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).ok();
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).ok();
        buf
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{args} did not finish within {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output { status, stdout: out_reader.join().unwrap(), stderr: err_reader.join().unwrap() }
}

fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn copy_clip(relative: &str, to: &std::path::Path) {
    std::fs::copy(common::ravdess(relative), to).unwrap();
}

#[cfg(unix)]
#[test]
fn symlink_loops_end_and_every_real_file_is_classified_once() {
    use std::os::unix::fs::symlink;
    let dir = scratch("loops");
    copy_clip("Actor_05/03-01-01-01-01-01-05.flac", &dir.join("one.flac"));
    std::fs::create_dir(dir.join("sub")).unwrap();
    copy_clip("Actor_05/03-01-05-01-01-01-05.flac", &dir.join("sub/two.flac"));
    // `ln -s . x`: used to classify every file ~40 times, until ELOOP.
    symlink(".", dir.join("x")).unwrap();
    let out = cli_within(120, &["classify", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json_lines(&out).len(), 2, "{}", text(&out.stdout));

    // Two links to `.` used to hang with growing memory; links to a sibling folder from two
    // places, and a file named twice, must not classify anything twice either.
    symlink(".", dir.join("a")).unwrap();
    symlink(".", dir.join("b")).unwrap();
    symlink("sub", dir.join("c")).unwrap();
    symlink("sub", dir.join("d")).unwrap();
    symlink("../..", dir.join("sub/up")).unwrap(); // to a folder above the one given, which contains it
    symlink("one.flac", dir.join("same.flac")).unwrap();
    let one = dir.join("one.flac");
    let out = cli_within(120, &["classify", dir.to_str().unwrap(), one.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    let canonical: std::collections::BTreeSet<_> =
        lines.iter().map(|l| std::fs::canonicalize(l["path"].as_str().unwrap()).unwrap()).collect();
    assert_eq!((lines.len(), canonical.len()), (2, 2), "{}", text(&out.stdout));
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(unix)]
#[test]
fn unreadable_entries_are_reported_and_the_rest_is_still_classified() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = scratch("unreadable");
    copy_clip("Actor_06/03-01-01-01-01-01-06.flac", &dir.join("good.flac"));
    std::fs::create_dir(dir.join("locked")).unwrap();
    copy_clip("Actor_06/03-01-04-01-01-01-06.flac", &dir.join("locked/hidden.flac"));
    std::fs::create_dir(dir.join("zz")).unwrap();
    copy_clip("Actor_06/03-01-05-01-01-01-06.flac", &dir.join("zz/later.flac"));
    // A dangling link is an unreadable entry on every system, root or not.
    symlink("nowhere.wav", dir.join("gone.wav")).unwrap();
    std::fs::set_permissions(dir.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let check = |out: &std::process::Output, denied: bool| {
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "an unreadable entry makes the exit status non-zero");
        assert!(stderr.contains("gone.wav"), "{stderr}");
        let paths: Vec<String> = json_lines(out).iter().map(|l| l["path"].as_str().unwrap().to_string()).collect();
        assert!(paths.iter().any(|p| p.ends_with("good.flac")) && paths.iter().any(|p| p.ends_with("later.flac")), "{paths:?}");
        if denied {
            assert_eq!(paths.len(), 2, "{paths:?}");
            assert!(stderr.contains("locked") && stderr.contains("Permission denied"), "{stderr}");
            assert!(stderr.contains("2 unreadable entries"), "{stderr}");
        } else {
            assert_eq!(paths.len(), 3, "{paths:?}");
            assert!(stderr.contains("1 unreadable entry"), "{stderr}");
        }
    };
    // Root (as in CI containers) reads a mode-000 folder anyway: then only the dangling link
    // is unreadable and the locked folder's file is classified like the others. The denied
    // case is then run as `nobody` through setpriv, where that is available.
    let root_reads_anyway = std::fs::read_dir(dir.join("locked")).is_ok();
    check(&cli_within(120, &["classify", dir.to_str().unwrap()]), !root_reads_anyway);
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if root_reads_anyway && setpriv.exists() {
        let as_nobody = run_within(
            120,
            Command::new(setpriv)
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_speech-emotion")])
                .args(["classify", dir.to_str().unwrap()]),
        );
        check(&as_nobody, true);
    } else if root_reads_anyway {
        println!("root without setpriv: the permission-denied folder was not tested");
    }
    std::fs::set_permissions(dir.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// A 16-bit mono WAV whose header promises `declared_s` seconds but which holds `samples`.
fn truncated_wav(samples: &[f32], rate: u32, declared_s: f64) -> Vec<u8> {
    let declared_bytes = (declared_s * rate as f64) as u32 * 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + declared_bytes).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&declared_bytes.to_le_bytes());
    out.extend(samples.iter().flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes()));
    out
}

#[test]
fn a_truncated_file_is_classified_with_a_warning_on_stderr_and_in_the_output() {
    let dir = scratch("truncated");
    let (clip, rate) = common::load_clip("Actor_03/03-01-05-02-01-01-03.flac");
    let start = rate as usize; // one second in: speech
    let path = dir.join("cut.wav");
    std::fs::write(&path, truncated_wav(&clip[start..start + rate as usize / 20], rate, 2.0)).unwrap();
    let message = "truncated: header says 2.000 s, found 0.050 s";

    let out = cli(&["classify", path.to_str().unwrap()]);
    assert!(out.status.success(), "decoded as far as it goes: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("warning: {}: {message}", path.display())), "{}", text(&out.stderr));
    let line = &json_lines(&out)[0];
    assert_eq!(line["warnings"], serde_json::json!([message]));
    assert!((line["duration_s"].as_f64().unwrap() - 0.05).abs() < 1e-6);

    let out = cli(&["classify", "--format", "csv", path.to_str().unwrap()]);
    assert!(out.status.success());
    let row = text(&out.stdout).lines().nth(1).unwrap().to_string();
    assert!(row.contains(&format!(",\"{message}\",emotion4,")), "quoted: the message has a comma: {row}");

    // A sound file has an empty list.
    let good = common::ravdess("Actor_03/03-01-05-02-01-01-03.flac");
    let out = cli(&["classify", good.to_str().unwrap()]);
    assert_eq!(json_lines(&out)[0]["warnings"], serde_json::json!([]));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_result_names_the_model_and_its_fingerprint() {
    let clip = common::ravdess("Actor_02/03-01-05-01-01-01-02.flac");
    let fingerprint = embedded_fingerprint();
    assert_eq!(fingerprint.len(), 16);
    let out = cli(&["classify", clip.to_str().unwrap()]);
    let line = &json_lines(&out)[0];
    assert_eq!(line["model"], serde_json::json!({"name": "emotion4", "fingerprint": fingerprint}));

    // Another model: the same weights with other metadata (a new name) is another fingerprint.
    let dir = scratch("model-id");
    let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
    let onnx = format!("{models}/emotion4.onnx");
    let meta_json = std::fs::read_to_string(format!("{models}/emotion4.json")).unwrap();
    let mut meta_value: serde_json::Value = serde_json::from_str(&meta_json).unwrap();
    meta_value["name"] = "emotion4-renamed".into();
    let renamed = serde_json::to_string_pretty(&meta_value).unwrap();
    let meta = dir.join("renamed.json");
    std::fs::write(&meta, &renamed).unwrap();
    let out = cli(&["--model", &onnx, "--metadata", meta.to_str().unwrap(), "classify", clip.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = speech_emotion::fingerprint::model_fingerprint(&std::fs::read(&onnx).unwrap(), &renamed);
    assert_ne!(expected, fingerprint);
    assert_eq!(json_lines(&out)[0]["model"], serde_json::json!({"name": "emotion4-renamed", "fingerprint": expected}));
    std::fs::remove_dir_all(&dir).ok();

    let info: serde_json::Value = serde_json::from_slice(&cli(&["info"]).stdout).unwrap();
    assert_eq!(info["fingerprint"], fingerprint.as_str());
    assert_eq!(info["streaming_mode"]["kind"], "incremental", "{info}");
    assert_eq!(info["streaming_mode"]["receptive_field"], info["streaming"]["receptive_field"]);

    let dir = scratch("eval-model");
    let csv = dir.join("labels.csv");
    std::fs::write(&csv, format!("path,label\n{},angry\n", clip.display())).unwrap();
    let out = cli(&["evaluate", csv.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["model"], serde_json::json!({"name": "emotion4", "fingerprint": fingerprint}));
    let out = cli(&["evaluate", csv.to_str().unwrap()]);
    assert!(text(&out.stdout).starts_with(&format!("model: emotion4 (fingerprint {fingerprint})\n")), "{}", text(&out.stdout));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn evaluate_refuses_to_report_accuracy_when_nothing_was_scored() {
    let dir = scratch("eval-none");
    let csv = dir.join("labels.csv");
    std::fs::write(dir.join("broken.wav"), b"RIFF not audio").unwrap();
    std::fs::write(&csv, "path,label\nmissing-1.wav,angry\nmissing-2.flac,sad\nbroken.wav,happy\n").unwrap();
    for json in [false, true] {
        let mut args = vec!["evaluate", csv.to_str().unwrap()];
        if json {
            args.push("--json");
        }
        let out = cli(&args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(!out.status.success(), "json {json}");
        assert!(stdout.is_empty(), "no report at all: {stdout}");
        assert!(stderr.contains("none of the 3 files could be classified") && stderr.contains("no accuracy"), "{stderr}");
        assert!(stderr.contains("missing-1.wav") && stderr.contains("broken.wav"), "each failure is named: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Spawns the CLI with stdout piped, reads `lines` lines (0: none), closes the pipe, and
/// returns the exit status and stderr.
fn run_until_the_reader_leaves(args: &[&str], lines: usize) -> (std::process::ExitStatus, String) {
    use std::io::{BufRead, Read};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_speech-emotion"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    for _ in 0..lines {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the CLI printed a line before the reader left");
    }
    drop(stdout); // `| head -n LINES`: the read end closes
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap(), stderr)
}

#[test]
fn a_reader_that_leaves_early_ends_the_cli_quietly() {
    let folder = common::ravdess("Actor_07");
    let clip = common::ravdess("Actor_07/03-01-05-01-01-01-07.flac");
    let dir = scratch("pipe");
    let csv = dir.join("labels.csv");
    std::fs::write(&csv, format!("path,label\n{},angry\n", clip.display())).unwrap();
    let cases: Vec<(Vec<&str>, usize)> = vec![
        (vec!["classify", folder.to_str().unwrap()], 1),
        (vec!["classify", folder.to_str().unwrap()], 0),
        (vec!["classify", "--format", "csv", "--segments", folder.to_str().unwrap()], 1),
        (vec!["evaluate", csv.to_str().unwrap()], 1),
        (vec!["evaluate", csv.to_str().unwrap()], 0),
        (vec!["evaluate", csv.to_str().unwrap(), "--json"], 0),
        (vec!["info"], 0),
    ];
    for (args, lines) in cases {
        let (status, stderr) = run_until_the_reader_leaves(&args, lines);
        // Like `yes | head -1`, minus the signal: exit 0, nothing on stderr (no panic, no backtrace).
        assert_eq!(status.code(), Some(0), "{args:?} after {lines} lines: {stderr}");
        assert!(stderr.is_empty(), "{args:?} after {lines} lines: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn compressed_recordings_are_classified_and_opus_is_named_as_unsupported() {
    let dir = scratch("compressed");
    for name in ["buzz.mp3", "buzz.m4a", "buzz.ogg", "buzz.opus"] {
        std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name), dir.join(name)).unwrap();
    }
    let out = cli(&["classify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "one file could not be decoded");
    let lines = json_lines(&out);
    let names: Vec<&str> = lines.iter().map(|l| l["path"].as_str().unwrap().rsplit('/').next().unwrap()).collect();
    assert_eq!(names, ["buzz.m4a", "buzz.mp3", "buzz.ogg"]);
    for line in &lines {
        assert!((line["duration_s"].as_f64().unwrap() - 2.0).abs() < 0.1, "{line}");
    }
    let stderr = text(&out.stderr);
    assert!(stderr.contains("buzz.opus") && stderr.contains("Opus audio cannot be decoded here"), "{stderr}");
}

/// A CSV printed by the CLI, parsed: the header and the rows.
fn csv_table(out: &std::process::Output) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

#[cfg(unix)]
#[test]
fn files_read_whole_are_limited_in_size_and_must_be_regular_files() {
    let dir = scratch("limits");
    let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
    // `evaluate /dev/zero` used to abort on a 2 GB allocation; a FIFO would block forever.
    let fifo = dir.join("fifo.csv");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let big = dir.join("big.csv");
    std::fs::File::create(&big).unwrap().set_len(65 << 20).unwrap(); // sparse: no disk used
    let model = format!("{models}/emotion4.onnx");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["evaluate", "/dev/zero"], "CSV /dev/zero is not a regular file (a device, pipe or socket)".into()),
        (vec!["evaluate", fifo.to_str().unwrap()], format!("CSV {} is not a regular file", fifo.display())),
        (vec!["evaluate", dir.to_str().unwrap()], format!("CSV {} is a folder: expected a CSV file", dir.display())),
        (vec!["evaluate", big.to_str().unwrap()], format!("CSV {} is 65 MiB: at most 64 MiB is read", big.display())),
        (vec!["--model", "/dev/zero", "info"], "model /dev/zero is not a regular file".into()),
        (vec!["--model", &model, "--metadata", "/dev/zero", "info"], "metadata /dev/zero is not a regular file".into()),
        (vec!["--model", &model, "--metadata", big.to_str().unwrap(), "info"], "is 65 MiB: at most 1 MiB is read".into()),
    ];
    for (args, message) in cases {
        let out = cli_within(60, &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(&message), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn csv_rows_say_the_state_and_calibration_like_the_json_lines() {
    let clip = common::ravdess("Actor_02/03-01-05-01-01-01-02.flac");
    let json = &json_lines(&cli(&["classify", clip.to_str().unwrap()]))[0];
    let out = cli(&["classify", "--format", "csv", "--segments", clip.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (header, rows) = csv_table(&out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column: {header:?}"));
    let file = &rows[0];
    assert_eq!(file[col("state")], json["state"].as_str().unwrap());
    assert_eq!(file[col("calibrated")], json["calibrated"].to_string());
    assert_eq!(file[col("label")], json["label"].as_str().unwrap());
    assert!((file[col("confidence")].parse::<f64>().unwrap() - json["confidence"].as_f64().unwrap()).abs() < 1e-6);
    assert!((file[col("duration_s")].parse::<f64>().unwrap() - json["duration_s"].as_f64().unwrap()).abs() < 1e-3);
    for segment in &rows[1..] {
        assert_eq!(segment[col("state")], "", "a window has no state of its own");
        assert_eq!(segment[col("calibrated")], "false");
        let p: f64 = segment[col("speech_probability")].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
    }
}

/// The shipped model under `dir`, with metadata whose labels are `labels`.
fn model_with_labels(dir: &std::path::Path, labels: &[&str]) -> std::path::PathBuf {
    let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
    let onnx = dir.join("hostile.onnx");
    std::fs::copy(format!("{models}/emotion4.onnx"), &onnx).unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{models}/emotion4.json")).unwrap()).unwrap();
    meta["labels"] = serde_json::json!(labels);
    meta["label_aliases"] = serde_json::json!({ "calm": labels[0] });
    meta["name"] = "=HYPERLINK(\"http://x\",\"y\")".into();
    std::fs::write(dir.join("hostile.json"), meta.to_string()).unwrap();
    onnx
}

#[test]
fn hostile_labels_and_names_neither_break_the_csv_nor_run_as_formulas() {
    let dir = scratch("hostile");
    let labels = ["=1+1", "a,b", "say \"hi\"", "two\nlines"];
    let onnx = model_with_labels(&dir, &labels);
    copy_clip("Actor_02/03-01-05-01-01-01-02.flac", &dir.join("=cmd.flac"));
    copy_clip("Actor_02/03-01-01-01-01-01-02.flac", &dir.join("-neutral.flac"));
    let out = Command::new(env!("CARGO_BIN_EXE_speech-emotion"))
        .current_dir(&dir)
        .args(["--model", onnx.to_str().unwrap(), "classify", "--format", "csv", "--segments", "--", "=cmd.flac", "-neutral.flac"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (header, rows) = csv_table(&out);
    assert_eq!(header.len(), 17, "{header:?}");
    assert_eq!(header[10..14], ["'=1+1", "a,b", "say \"hi\"", "two\nlines"]);
    assert!(rows.len() >= 4);
    for row in &rows {
        assert_eq!(row.len(), 17, "{row:?}");
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "a cell a spreadsheet would run: {cell:?} in {row:?}");
        }
        assert!(row[0] == "'=cmd.flac" || row[0] == "'-neutral.flac", "{row:?}");
        assert_eq!(row[15], "'=HYPERLINK(\"http://x\",\"y\")");
    }
    // JSON is for programs: the text as it is.
    let out = Command::new(env!("CARGO_BIN_EXE_speech-emotion"))
        .current_dir(&dir)
        .args(["--model", onnx.to_str().unwrap(), "classify", "=cmd.flac"])
        .output()
        .unwrap();
    let line = &json_lines(&out)[0];
    assert_eq!(line["path"], "=cmd.flac");
    assert!(line["probabilities"].get("=1+1").is_some(), "{line}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `count` copies of a short clip in a fresh folder.
fn folder_of_clips(name: &str, count: usize) -> std::path::PathBuf {
    let dir = scratch(name);
    for i in 0..count {
        copy_clip("Actor_09/03-01-05-01-01-01-09.flac", &dir.join(format!("clip{i:03}.flac")));
    }
    dir
}

#[test]
fn a_huge_thread_count_is_lowered_to_what_the_cores_can_use() {
    let dir = folder_of_clips("many-threads", 40);
    let out = cli_within(300, &["--threads", "65535", "classify", dir.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(json_lines(&out).len(), 40);
    let cores = std::thread::available_parallelism().unwrap().get();
    assert!(stderr.contains(&format!("note: --threads 65535 lowered to {} (4 per core, {cores} cores)", 4 * cores)), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// With `prlimit --nproc` the OS refuses new threads: the CLI used to panic ("failed to spawn
/// thread", exit 101). RLIMIT_NPROC is not enforced for root, so the CLI runs as an otherwise
/// unused user id through `setpriv` (its own id, so other tests' processes do not count).
#[cfg(unix)]
#[test]
fn threads_the_os_refuses_leave_the_workers_that_started() {
    let (prlimit, setpriv) = (std::path::Path::new("/usr/bin/prlimit"), std::path::Path::new("/usr/bin/setpriv"));
    let root = std::fs::read_to_string("/proc/self/status").unwrap().lines().any(|l| l.starts_with("Uid:\t0\t"));
    if !(root && prlimit.exists() && setpriv.exists()) {
        println!("skipped: needs root, prlimit and setpriv (util-linux) to run the CLI as another user under a thread limit");
        return;
    }
    let dir = folder_of_clips("nproc", 12);
    let out = run_within(
        300,
        Command::new(prlimit)
            .args(["--nproc=3", "--"])
            .arg(setpriv)
            .args(["--reuid=61234", "--regid=61234", "--clear-groups", env!("CARGO_BIN_EXE_speech-emotion")])
            .args(["--threads", "64", "classify", dir.to_str().unwrap()]),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(json_lines(&out).len(), 12, "{stderr}");
    assert!(stderr.contains("workers started: the system refused another thread"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_segment_hop_is_one_usage_error() {
    let dir = folder_of_clips("hop", 2);
    for hop in ["0", "NaN", "inf", "-1", "0.001", "abc", "1e9", "3.5"] {
        let out = cli(&[&format!("--segment-hop={hop}"), "classify", dir.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--segment-hop {hop}: {stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "once, not once per file: {stderr}");
        assert!(stderr.contains("--segment-hop"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = cli(&["--segment-hop", "1e9", "info"]);
    assert!(text(&out.stderr).contains("longer than the model's 2.99 s window"), "{}", text(&out.stderr));
    for hop in ["0.01", "2.99"] {
        let out = cli(&["--segment-hop", hop, "classify", "--segments", dir.to_str().unwrap()]);
        assert!(out.status.success(), "--segment-hop {hop}: {}", text(&out.stderr));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_stay_distinct_in_every_output() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch("bytes");
    let name = |bytes: &[u8]| dir.join(std::ffi::OsStr::from_bytes(bytes));
    copy_clip("Actor_10/03-01-05-01-01-01-10.flac", &name(b"a\xff.flac"));
    copy_clip("Actor_10/03-01-01-01-01-01-10.flac", &name(b"a\xfe.flac"));
    std::fs::write(name(b"b\xff.wav"), b"RIFF not audio").unwrap();
    let folder = dir.to_str().unwrap();
    let out = cli(&["classify", folder]);
    let paths: Vec<String> = json_lines(&out).iter().map(|l| l["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, [format!("{folder}/a\\xfe.flac"), format!("{folder}/a\\xff.flac")]);
    assert!(text(&out.stderr).contains(&format!("error: {folder}/b\\xff.wav: ")), "{}", text(&out.stderr));
    let out = cli(&["classify", "--format", "csv", folder]);
    let (_, rows) = csv_table(&out);
    let paths: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(paths, [format!("{folder}/a\\xfe.flac"), format!("{folder}/a\\xff.flac")]);
    // A manifest may name such a file by its bytes.
    let csv = dir.join("labels.csv");
    std::fs::write(&csv, [&b"path,label\na\xff.flac,angry\na\xfe.flac,neutral\n"[..]].concat()).unwrap();
    let out = cli(&["evaluate", csv.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["evaluated"], 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn messages_name_the_path_say_what_is_wrong_and_say_it_once() {
    let dir = scratch("wording");
    std::fs::create_dir(dir.join("sub")).unwrap();
    let csv = dir.join("labels.csv");
    std::fs::write(&csv, "path,label\nsub,angry\nmissing.wav,sad\n").unwrap();
    let out = cli(&["evaluate", csv.to_str().unwrap(), "--json"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("error: {}: is a folder, not an audio file", dir.join("sub").display())), "{stderr}");
    let out = cli(&["evaluate", dir.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("{} is a folder", dir.display())), "{stderr}");
    let missing = dir.join("missing.wav");
    let model = dir.join("missing.onnx");
    for args in [vec!["classify", missing.to_str().unwrap()], vec!["--model", model.to_str().unwrap(), "info"]] {
        let out = cli(&args);
        let stderr = text(&out.stderr);
        assert_eq!(stderr.matches("No such file or directory").count(), 1, "the OS error once: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn enrol_writes_a_profile_that_classify_uses_and_names() {
    let dir = std::env::temp_dir().join(format!("se-enrol-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let actor = common::ravdess("Actor_02");
    let clip = |name: &str| actor.join(format!("03-01-{name}-02.flac")).to_str().unwrap().to_string();
    // Neutral and angry, statement 1 only; statement 2 is scored.
    let rows = ["01-01-01-01,neutral", "01-01-01-02,neutral", "05-02-01-01,angry", "05-02-01-02,angry"];
    let csv: String = std::iter::once("path,label".to_string())
        .chain(rows.iter().map(|r| {
            let (name, label) = r.split_once(',').unwrap();
            format!("{},{label}", clip(name))
        }))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("enrol.csv"), csv + "\n").unwrap();
    let profile = dir.join("me.json");
    let out = cli(&["enrol", "-o", profile.to_str().unwrap(), dir.join("enrol.csv").to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&profile).unwrap()).unwrap()["id"].as_str().unwrap().to_string();
    assert!(text(&out.stderr).contains(&id), "{}", text(&out.stderr));
    let scored = clip("05-02-02-01");
    let out = cli(&["--profile", profile.to_str().unwrap(), "classify", &scored]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!((line["personal"].as_bool(), line["profile"].as_str()), (Some(true), Some(id.as_str())), "{line}");
    assert_eq!(line["label"], "angry");
    let plain: serde_json::Value = serde_json::from_str(text(&cli(&["classify", &scored]).stdout).trim()).unwrap();
    assert!(plain.get("personal").is_none() && plain.get("profile").is_none(), "{plain}");
    // The profile with another model: refused, naming both fingerprints.
    let root = common::repo_root();
    let other = cli(&["--model", root.join("models/emotion8.onnx").to_str().unwrap(), "--profile", profile.to_str().unwrap(), "classify", &scored]);
    assert!(!other.status.success() && text(&other.stderr).contains("was made with model emotion4"), "{}", text(&other.stderr));
    // One emotion only: a clear error, and no file written.
    std::fs::write(dir.join("one.csv"), format!("path,label\n{},neutral\n{},neutral\n", clip("01-01-01-01"), clip("01-01-01-02"))).unwrap();
    let lonely = dir.join("lonely.json");
    let out = cli(&["enrol", "-o", lonely.to_str().unwrap(), dir.join("one.csv").to_str().unwrap()]);
    assert!(!out.status.success() && text(&out.stderr).contains("at least 2 emotions"), "{}", text(&out.stderr));
    assert!(!lonely.exists());
    std::fs::remove_dir_all(&dir).ok();
}
