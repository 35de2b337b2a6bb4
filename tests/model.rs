//! The shipped model: it loads, agrees with its metadata, and reproduces the predictions the
//! native CLI recorded for a few shared clips (`scripts/update-expectations.sh`).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use speech_emotion::classify::{classify_clip, ClipOptions};
use speech_emotion::model::{EmotionModel, ModelMetadata, EMBEDDED_METADATA, EMBEDDED_ONNX};
use speech_emotion::Error;

const EXPECTATIONS: &str = include_str!("golden/model_expectations.jsonl");

/// Replays recorded CLI results: same label, probabilities within 1e-4.
fn reproduces(model: &mut EmotionModel, expectations: &str) {
    let mut checked = 0;
    for line in expectations.lines().filter(|l| !l.trim().is_empty()) {
        let expected: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = expected["path"].as_str().unwrap();
        let relative = path.split("ravdess/").nth(1).expect("a shared RAVDESS clip");
        let (clip, rate) = common::load_clip(relative);
        let result = classify_clip(model, &clip, rate as f64, &ClipOptions::default()).unwrap();
        assert_eq!(result.label.as_deref(), expected["label"].as_str(), "{path}");
        for (label, p) in result.labels.iter().zip(&result.probabilities) {
            let want = expected["probabilities"][label].as_f64().unwrap() as f32;
            assert!((p - want).abs() < 1e-4, "{path} {label}: {p} vs recorded {want}");
        }
        checked += 1;
    }
    assert!(checked >= 4, "the expectations file lists clips");
}

#[test]
fn embedded_model_loads_and_matches_its_metadata() {
    let model = EmotionModel::embedded().unwrap();
    let meta = model.metadata();
    assert_eq!(meta.labels, ["neutral", "happy", "sad", "angry"]);
    assert_eq!(meta.input.shape, [1, meta.window_frames, meta.features.n_mfcc]);
    assert_eq!(meta.normalization.prior_mean.len(), meta.features.n_mfcc);
    assert_eq!(meta.label_aliases.get("calm").map(String::as_str), Some("neutral"));
    assert!(EMBEDDED_ONNX.len() <= 300_000, "the model budget is 300 KB");
}

#[test]
fn embedded_model_reproduces_recorded_cli_predictions() {
    reproduces(&mut EmotionModel::embedded().unwrap(), EXPECTATIONS);
}

/// The exporter writes Python stack traces with the training machine's paths into every
/// node; `training/export.py` strips them (they cost download and say where it was built).
#[test]
fn shipped_models_carry_no_exporter_provenance() {
    let emotion8 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/models/emotion8.onnx")).unwrap();
    for (name, bytes) in [("emotion4", EMBEDDED_ONNX), ("emotion8", &emotion8[..])] {
        for marker in ["pkg.torch.onnx.stack_trace", "site-packages", ".py\", line"] {
            assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_bytes()), "{name}.onnx contains {marker:?}: run python training/export.py --strip");
        }
    }
}

#[test]
fn the_8_class_model_reproduces_recorded_cli_predictions() {
    let mut model = EmotionModel::from_bytes(include_bytes!("../models/emotion8.onnx"), include_str!("../models/emotion8.json")).unwrap();
    assert_eq!(model.labels().len(), 8);
    reproduces(&mut model, include_str!("golden/model_expectations_emotion8.jsonl"));
}

#[test]
fn corrupt_or_mismatched_models_are_rejected_with_a_reason() {
    let garbage = b"definitely not protobuf \x00\x01\x02";
    assert!(matches!(EmotionModel::from_bytes(garbage, EMBEDDED_METADATA), Err(Error::Model(_))));
    assert!(matches!(EmotionModel::from_bytes(&[], EMBEDDED_METADATA), Err(Error::Model(_))));
    let truncated = &EMBEDDED_ONNX[..EMBEDDED_ONNX.len() / 2];
    assert!(matches!(EmotionModel::from_bytes(truncated, EMBEDDED_METADATA), Err(Error::Model(_))));

    let mut meta: serde_json::Value = serde_json::from_str(EMBEDDED_METADATA).unwrap();
    meta["labels"] = serde_json::json!(["a", "b", "c"]);
    meta["label_aliases"] = serde_json::json!({});
    let err = EmotionModel::from_bytes(EMBEDDED_ONNX, &meta.to_string()).unwrap_err();
    assert!(err.to_string().contains("speech.output_index"), "{err}");
    meta["speech"]["output_index"] = serde_json::json!(3);
    let err = EmotionModel::from_bytes(EMBEDDED_ONNX, &meta.to_string()).unwrap_err();
    assert!(err.to_string().contains("3 labels plus the speech output"), "{err}");

    let mut meta: serde_json::Value = serde_json::from_str(EMBEDDED_METADATA).unwrap();
    meta["features"]["n_mfcc"] = serde_json::json!(20);
    assert!(matches!(EmotionModel::from_bytes(EMBEDDED_ONNX, &meta.to_string()), Err(Error::Metadata(_))));

    for broken in ["", "{", "[]", "{\"format_version\": 3}", "{\"name\": \"x\"}"] {
        assert!(matches!(ModelMetadata::from_json(broken), Err(Error::Metadata(_))), "{broken:?}");
    }
}

/// The engine carries the ONNX operators small audio models use; attention and other
/// transformer operators are left out of the build (they cost 50 KB of every page's
/// download). A graph that needs one is refused with the operator's name, not a panic.
#[test]
fn a_graph_with_an_operator_the_engine_lacks_is_refused_by_name() {
    use prost::Message;
    let mut graph = tract_onnx::pb::ModelProto::decode(EMBEDDED_ONNX).unwrap();
    let nodes = &mut graph.graph.as_mut().unwrap().node;
    let relu = nodes.iter_mut().find(|n| n.op_type == "Relu").unwrap();
    relu.op_type = "MultiHeadAttention".into();
    relu.domain = "com.microsoft".into();
    let err = EmotionModel::from_bytes(&graph.encode_to_vec(), EMBEDDED_METADATA).unwrap_err();
    assert!(matches!(err, Error::Model(_)), "{err}");
    assert!(err.to_string().contains("MultiHeadAttention"), "{err}");
}

#[test]
fn a_version_1_metadata_file_fails_with_what_to_do() {
    let err = ModelMetadata::from_json(r#"{"format_version": 1, "labels": ["a", "b"]}"#).unwrap_err();
    assert!(err.to_string().contains("retrain or re-export"), "{err}");
}

#[test]
fn labels_must_be_unique_and_aliases_must_point_at_labels() {
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut meta: serde_json::Value = serde_json::from_str(EMBEDDED_METADATA).unwrap();
        edit(&mut meta);
        ModelMetadata::from_json(&meta.to_string())
    };
    let err = with(&|m| m["labels"] = serde_json::json!(["neutral", "sad", "sad", "angry"])).unwrap_err();
    assert!(err.to_string().contains("\"sad\" appears more than once"), "{err}");
    let err = with(&|m| m["label_aliases"] = serde_json::json!({"calm": "serene"})).unwrap_err();
    assert!(err.to_string().contains("not one of the labels"), "{err}");
    let err = with(&|m| m["label_aliases"] = serde_json::json!({"sad": "angry"})).unwrap_err();
    assert!(err.to_string().contains("not itself a label"), "{err}");
    let meta = with(&|_| {}).unwrap();
    assert_eq!(meta.canonical_label("calm"), Some("neutral"));
    assert_eq!(meta.canonical_label("sad"), Some("sad"));
    assert_eq!(meta.canonical_label("surprised"), None);
}

/// Protobuf bytes of a valid ONNX model whose graph has no inputs and no outputs (tract
/// indexes input 0 unchecked; found by the model_load fuzz target).
fn onnx_without_inputs() -> Vec<u8> {
    let field = |tag: u8, payload: &[u8]| [&[tag, payload.len() as u8][..], payload].concat();
    let graph = field(0x12, b"empty"); // GraphProto.name
    let opset = [0x10, 20]; // OperatorSetIdProto.version = 20
    [&[0x08, 8][..], &field(0x3a, &graph), &field(0x42, &opset)].concat() // ir_version, graph, opset_import
}

#[test]
fn a_graph_without_inputs_is_rejected_not_a_panic() {
    let err = EmotionModel::from_bytes(&onnx_without_inputs(), EMBEDDED_METADATA).unwrap_err();
    assert!(err.to_string().contains("one input"), "{err}");
}

#[test]
fn the_fuzzing_fixture_still_fits_the_shipped_metadata() {
    // fuzz/tiny/tiny.onnx is the shipped graph with a few channels (fuzz/make_tiny_model.py);
    // the model fuzz targets load it with the shipped metadata. A new model with another
    // input or label count must come with a new fixture.
    let mut tiny = EmotionModel::from_bytes(include_bytes!("../fuzz/tiny/tiny.onnx"), EMBEDDED_METADATA)
        .expect("regenerate the fixture: .venv-train/bin/python fuzz/make_tiny_model.py");
    let meta = tiny.metadata().clone();
    let out = tiny.predict(&vec![0.1; meta.window_frames * meta.features.n_mfcc]).unwrap();
    assert_eq!(out.probabilities.len(), meta.labels.len());
}

#[test]
fn a_graph_that_makes_tract_panic_is_an_error_not_a_crash() {
    // fuzz/artifacts/model_load/crash-b7e2d650…: one byte of the fuzzing fixture changed
    // puts a reduction axis out of range, and tract's shape analysis unwraps it.
    let mut onnx = include_bytes!("../fuzz/tiny/tiny.onnx").to_vec();
    let at = 1_462_334_316 % onnx.len();
    onnx[at] = 92;
    match EmotionModel::from_bytes(&onnx, EMBEDDED_METADATA) {
        Err(Error::Model(message)) => assert!(message.contains("the graph could not be analysed"), "{message}"),
        other => panic!("expected a model error, got {other:?}"),
    }
}

/// A file of `len` bytes that takes no disk space and is never read whole (a sparse file).
fn sparse_file(name: &str, len: u64) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

#[test]
fn model_and_metadata_files_are_read_with_a_size_limit_and_only_when_regular() {
    use speech_emotion::model::{read_metadata_file, read_model_file, MAX_METADATA_BYTES, MAX_MODEL_BYTES};
    use std::path::Path;
    assert_eq!((MAX_MODEL_BYTES, MAX_METADATA_BYTES), (64 << 20, 1 << 20), "the limits the README states");
    let expect = |result: Result<Vec<u8>, Error>, words: &[&str]| {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        for word in words {
            assert!(err.to_string().contains(word), "{err:?} lacks {word:?}");
        }
    };
    // 2 GiB of nothing: refused from its size alone (reading it would allocate 2 GiB).
    let huge = sparse_file("huge-model.onnx", 2 << 30);
    expect(read_model_file(&huge), &[huge.to_str().unwrap(), "2 GiB", "64 MiB", "model file"]);
    let big_json = sparse_file("big-metadata.json", 2 << 20);
    expect(read_metadata_file(&big_json).map(String::into_bytes), &["big-metadata.json", "2 MiB", "1 MiB", "metadata"]);
    // A device that never ends, a folder and a pipe: refused before reading.
    expect(read_model_file(Path::new("/dev/zero")), &["/dev/zero", "not a regular file"]);
    expect(read_metadata_file(Path::new("/dev/zero")).map(String::into_bytes), &["/dev/zero", "not a regular file"]);
    expect(read_model_file(Path::new(env!("CARGO_TARGET_TMPDIR"))), &["folder"]);
    let fifo = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("model-fifo.onnx");
    let _ = std::fs::remove_file(&fifo);
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    expect(read_model_file(&fifo), &["model-fifo.onnx", "not a regular file"]); // would block if opened
    // Missing: the OS's reason, once.
    let err = read_model_file(Path::new("/nonexistent/m.onnx")).unwrap_err();
    assert_eq!(err.to_string().matches("os error 2").count(), 1, "{err}");

    // A real model from files.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let model = EmotionModel::from_files(&dir.join("emotion8.onnx"), &dir.join("emotion8.json")).unwrap();
    assert_eq!(model.labels().len(), 8);
    let err = EmotionModel::from_files(&dir.join("emotion8.onnx"), &dir.join("missing.json")).unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
}

#[test]
fn metadata_with_a_byte_order_mark_loads() {
    // Saved by an editor that writes a UTF-8 BOM (it failed as "expected value at line 1 column 1").
    let with_bom = format!("\u{feff}{EMBEDDED_METADATA}");
    let meta = ModelMetadata::from_json(&with_bom).unwrap();
    assert_eq!(meta.labels.len(), 4);
    assert!(EmotionModel::from_bytes(EMBEDDED_ONNX, &with_bom).is_ok());
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bom.json");
    std::fs::write(&path, with_bom.as_bytes()).unwrap();
    let read = speech_emotion::model::read_metadata_file(&path).unwrap();
    assert!(ModelMetadata::from_json(&read).is_ok());
}
