//! The `speech-emotion` command line: classify files and folders, evaluate a labelled CSV.
#![cfg(not(target_arch = "wasm32"))]

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
    assert_eq!(lines.next().unwrap(), "path,segment_start_s,segment_end_s,speech,label,confidence,neutral,happy,sad,angry");
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 2, "an overall row and at least one segment row");
    assert!(rows.iter().all(|r| r.split(',').count() == 10));
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
    let ua = report["unweighted_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&ua));
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
