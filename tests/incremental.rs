//! Incremental streaming (each hop runs only the new frames through the per-frame layers,
//! pooling and head on the kept activations) says what the whole window through the model
//! says, and a graph that cannot be split falls back to the whole window by itself.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{load_clip, repo_root, Lcg};
use proptest::prelude::*;
use prost::Message;
use speech_emotion::audio::resample;
use speech_emotion::model::{EmotionModel, EMBEDDED_METADATA, EMBEDDED_ONNX};
use speech_emotion::stream::{EmotionStream, Prediction, StreamConfig};
use speech_emotion::StreamingMode;
use tract_onnx::pb::{self, ModelProto, NodeProto};

/// The largest difference allowed between the two paths in any probability (emotion,
/// smoothed or speech). Over every RAVDESS (actors 01–22) and nEMO clip, 54,616 updates
/// at 250 ms hops (`cargo run --release --example stream_incremental -- compare`), the
/// largest seen was 9.0e-6 (emotion) and 1.2e-5 (speech) for emotion4, 3.3e-5 and 3.0e-5
/// for emotion8, with no state or label changed: float rounding of the same sums in
/// another order and blocking. 1e-4 is what the golden model tests allow too.
const TOLERANCE: f32 = 1e-4;

fn emotion4() -> EmotionModel {
    EmotionModel::embedded().unwrap()
}

fn emotion8() -> EmotionModel {
    EmotionModel::from_bytes(include_bytes!("../models/emotion8.onnx"), include_str!("../models/emotion8.json")).unwrap()
}

fn stream(model: EmotionModel, rate: f64, incremental: bool, hop_seconds: f64) -> EmotionStream {
    let config = StreamConfig { incremental, hop_seconds, ..StreamConfig::default() };
    let s = EmotionStream::new(model, rate, config).unwrap();
    assert_eq!(s.incremental(), incremental, "{:?}", s.model().streaming_mode());
    s
}

fn push_in_chunks(s: &mut EmotionStream, samples: &[f32], rng: &mut Lcg, max_chunk: usize) -> Vec<Prediction> {
    let mut out = Vec::new();
    let mut rest = samples;
    while !rest.is_empty() {
        let n = (1 + rng.below(max_chunk)).min(rest.len());
        out.extend(s.push(&rest[..n]).unwrap());
        rest = &rest[n..];
    }
    out
}

/// Largest difference of any probability; states, labels and times must be equal.
fn difference(full: &[Prediction], inc: &[Prediction]) -> f32 {
    assert_eq!(full.len(), inc.len());
    let mut worst = 0f32;
    for (a, b) in full.iter().zip(inc) {
        assert_eq!((a.time_s, a.state, &a.label), (b.time_s, b.state, &b.label));
        let pairs = a.raw_probabilities.iter().zip(&b.raw_probabilities).chain(a.probabilities.iter().zip(&b.probabilities));
        for (x, y) in pairs.chain([(&a.speech_probability, &b.speech_probability)]) {
            worst = worst.max((x - y).abs());
        }
    }
    worst
}

#[test]
fn the_shipped_models_stream_incrementally() {
    for model in [EmotionModel::embedded().unwrap(), emotion8()] {
        let declared = model.metadata().streaming.as_ref().unwrap().receptive_field;
        assert_eq!(declared, 23, "training/networks.py: 1 + 4 + 4 + 6 + 8 + 0");
        assert_eq!(
            model.streaming_mode(),
            &StreamingMode::Incremental { receptive_field: declared, chunk_frames: 25 },
            "{}",
            model.metadata().name
        );
        assert!(stream(model, 16_000.0, true, 0.25).incremental());
    }
}

#[test]
fn incremental_equals_the_whole_window_on_real_speech() {
    // RAVDESS (English) and nEMO (Polish) clips back to back: one long stream, so the ring
    // carries across clips, pauses and many hops; the incremental side in random chunks.
    let mut audio = Vec::new();
    for clip in ["Actor_01/03-01-01-01-01-01-01.flac", "Actor_03/03-01-05-02-01-01-03.flac", "Actor_12/03-01-04-01-01-02-12.flac"] {
        let (samples, rate) = load_clip(clip);
        assert_eq!(rate, 16_000);
        audio.extend(samples);
        audio.extend(vec![0.0; 8_000]);
    }
    for nemo in ["EB0/EB0_happiness_79.flac", "KD0/KD0_anger_1.flac"] {
        let path = repo_root().join("../shared/data/nemo").join(nemo);
        let decoded = speech_emotion::decode_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        audio.extend(resample(&decoded.to_mono().unwrap(), decoded.sample_rate, 16_000).unwrap());
    }
    for (name, model) in [("emotion4", emotion4 as fn() -> EmotionModel), ("emotion8", emotion8)] {
        let full = stream(model(), 16_000.0, false, 0.25).push(&audio).unwrap();
        let inc = push_in_chunks(&mut stream(model(), 16_000.0, true, 0.25), &audio, &mut Lcg(7), 9_000);
        assert!(full.len() > 60, "{name}: {} updates", full.len());
        let worst = difference(&full, &inc);
        assert!(worst <= TOLERANCE, "{name}: probabilities differ by {worst:e}");
    }
}

#[test]
fn incremental_equals_the_whole_window_at_other_rates_with_calibration_and_after_reset() {
    let (clip, rate) = load_clip("Actor_08/03-01-03-02-02-01-08.flac");
    let calm: Vec<f32> = ["01-01-01-08", "01-01-02-08", "01-02-01-08", "01-02-02-08"]
        .iter()
        .flat_map(|c| load_clip(&format!("Actor_08/03-01-02-{c}.flac")).0)
        .collect();
    let audio = resample(&clip, rate, 44_100).unwrap();
    let (mut full, mut inc) = (stream(EmotionModel::embedded().unwrap(), 44_100.0, false, 0.25), stream(EmotionModel::embedded().unwrap(), 44_100.0, true, 0.25));
    let first = (full.push(&audio).unwrap(), inc.push(&audio).unwrap());
    assert!(difference(&first.0, &first.1) <= TOLERANCE);
    // A calibration starts the stream again: the ring must be recomputed from scratch.
    full.calibrate(&calm, rate as f64).unwrap();
    inc.calibrate(&calm, rate as f64).unwrap();
    let calibrated = (full.push(&audio).unwrap(), inc.push(&audio).unwrap());
    assert!(calibrated.1.iter().all(|p| p.calibrated));
    assert!(difference(&calibrated.0, &calibrated.1) <= TOLERANCE);
    inc.reset();
    full.reset();
    let again = (full.push(&audio[..50_000]).unwrap(), inc.push(&audio[..50_000]).unwrap());
    assert!(difference(&again.0, &again.1) <= TOLERANCE);
}

#[test]
fn every_hop_length_gives_the_whole_window_result() {
    // Hops shorter than a trunk chunk recompute a few frames; longer ones take several
    // chunks; one longer than the window recomputes all of it.
    let (clip, rate) = load_clip("Actor_22/03-01-05-01-01-01-22.flac");
    for hop in [0.01, 0.1, 0.123, 0.33, 1.0, 2.9, 4.0] {
        let full = stream(EmotionModel::embedded().unwrap(), rate as f64, false, hop).push(&clip).unwrap();
        let inc = stream(EmotionModel::embedded().unwrap(), rate as f64, true, hop).push(&clip).unwrap();
        assert!(!full.is_empty() || hop > 3.0, "hop {hop}");
        let worst = difference(&full, &inc);
        assert!(worst <= TOLERANCE, "hop {hop}: {worst:e}");
    }
}

/// Synthetic audio: tones, noise, chirps and silence of random lengths and levels.
fn synthetic(seed: u64, seconds: f64) -> Vec<f32> {
    let mut rng = Lcg(seed);
    let n = (seconds * 16_000.0) as usize;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let len = 800 + rng.below(16_000);
        let level = 10f32.powf(-3.0 * (rng.next_f32() + 1.0) / 2.0); // 0 to −60 dBFS
        let kind = rng.below(4);
        let f0 = 80.0 + 400.0 * (rng.next_f32() + 1.0);
        for i in 0..len {
            let t = i as f32 / 16_000.0;
            out.push(match kind {
                0 => 0.0,
                1 => level * rng.next_f32(),
                2 => level * (2.0 * std::f32::consts::PI * f0 * t).sin(),
                _ => level * (2.0 * std::f32::consts::PI * (f0 + 900.0 * t) * t).sin() * (1.0 + 0.3 * rng.next_f32()),
            });
        }
    }
    out.truncate(n);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_the_whole_window_on_synthetic_streams(
        seed in any::<u64>(),
        seconds in 1.0f64..7.0,
        hop in prop_oneof![Just(0.25f64), 0.05f64..1.5],
        max_chunk in 1usize..12_000,
        rate in prop_oneof![Just(16_000u32), Just(48_000u32), Just(11_025u32)],
    ) {
        let audio = resample(&synthetic(seed, seconds), 16_000, rate).unwrap();
        let full = stream(EmotionModel::embedded().unwrap(), rate as f64, false, hop).push(&audio).unwrap();
        let mut s = stream(EmotionModel::embedded().unwrap(), rate as f64, true, hop);
        let inc = push_in_chunks(&mut s, &audio, &mut Lcg(seed ^ 1), max_chunk);
        let worst = difference(&full, &inc);
        prop_assert!(worst <= TOLERANCE, "{:e}", worst);
    }
}

// ---- graphs that cannot be split, or only elsewhere -------------------------------------

fn shipped_graph() -> ModelProto {
    ModelProto::decode(EMBEDDED_ONNX).unwrap()
}

fn nodes(model: &mut ModelProto) -> &mut Vec<NodeProto> {
    &mut model.graph.as_mut().unwrap().node
}

fn ints(name: &str, values: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), r#type: 7, ints: values.to_vec(), ..Default::default() }
}

fn set_attr(node: &mut NodeProto, attr: pb::AttributeProto) {
    node.attribute.retain(|a| a.name != attr.name);
    node.attribute.push(attr);
}

/// The embedded metadata without its `streaming` block (a user's model need not have one).
fn metadata_without_streaming() -> String {
    let mut meta: serde_json::Value = serde_json::from_str(EMBEDDED_METADATA).unwrap();
    meta.as_object_mut().unwrap().remove("streaming");
    meta.to_string()
}

fn load(model: &ModelProto, metadata: &str) -> EmotionModel {
    let mut model = model.clone();
    model.graph.as_mut().unwrap().value_info.clear(); // the exporter's shapes, made stale by the edit
    EmotionModel::from_bytes(&model.encode_to_vec(), metadata).unwrap()
}

/// A model that streams the whole window: it loads, says why, and its stream (asked for
/// incremental) runs whole windows with the same predictions as one told to.
fn assert_falls_back(model: impl Fn() -> EmotionModel, why: &str) {
    let m = model();
    match m.streaming_mode() {
        StreamingMode::FullWindow { reason } => assert!(reason.contains(why), "reason: {reason}"),
        other => panic!("expected the whole-window fallback ({why}), got {other:?}"),
    }
    let (clip, rate) = load_clip("Actor_03/03-01-05-02-01-01-03.flac");
    let config = StreamConfig::default();
    assert!(config.incremental);
    let mut asked = EmotionStream::new(m, rate as f64, config).unwrap();
    assert!(!asked.incremental());
    let got = asked.push(&clip).unwrap();
    let want = stream(model(), rate as f64, false, 0.25).push(&clip).unwrap();
    assert!(!got.is_empty());
    assert_eq!(got, want);
}

#[test]
fn a_padded_convolution_falls_back_to_the_whole_window() {
    // "same" padding makes the edge frames depend on where the window ends.
    let mut graph = shipped_graph();
    let conv = nodes(&mut graph).iter_mut().find(|n| n.op_type == "Conv").unwrap();
    set_attr(conv, ints("pads", &[2, 2]));
    assert_falls_back(|| load(&graph, &metadata_without_streaming()), "no convolution or matrix product runs frame by frame");
}

#[test]
fn a_mean_over_time_before_the_network_falls_back_to_the_whole_window() {
    // Input minus its mean over the window: every frame depends on the whole window.
    let mut graph = shipped_graph();
    let g = graph.graph.as_mut().unwrap();
    g.initializer.push(pb::TensorProto { name: "time_axis".into(), dims: vec![1], data_type: 7, int64_data: vec![1], ..Default::default() });
    let transpose = g.node.iter_mut().find(|n| n.op_type == "Transpose").unwrap();
    transpose.input[0] = "centred".into();
    let node = |op: &str, inputs: &[&str], output: &str| NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    };
    g.node.insert(0, node("ReduceMean", &["mfcc", "time_axis"], "time_mean"));
    g.node.insert(1, node("Sub", &["mfcc", "time_mean"], "centred"));
    assert_falls_back(|| load(&graph, &metadata_without_streaming()), "not per-frame");
}

#[test]
fn a_receptive_field_that_disagrees_with_the_metadata_falls_back() {
    // The tiny fuzzing fixture is the shipped graph with fewer, narrower layers
    // (receptive field 9): with the shipped metadata, which says 23, nothing is trusted.
    let tiny = std::fs::read(repo_root().join("fuzz/tiny/tiny.onnx")).unwrap();
    assert_falls_back(|| EmotionModel::from_bytes(&tiny, EMBEDDED_METADATA).unwrap(), "differs from the graph's 9");
    // Without the claim it is split and streams like its whole window.
    let model = || EmotionModel::from_bytes(&tiny, &metadata_without_streaming()).unwrap();
    assert_eq!(model().streaming_mode(), &StreamingMode::Incremental { receptive_field: 9, chunk_frames: 25 });
    let (clip, rate) = load_clip("Actor_17/03-01-02-01-02-01-17.flac");
    let full = stream(model(), rate as f64, false, 0.25).push(&clip).unwrap();
    let inc = stream(model(), rate as f64, true, 0.25).push(&clip).unwrap();
    assert!(difference(&full, &inc) <= TOLERANCE);
}

#[test]
fn a_strided_layer_moves_the_split_before_it() {
    // A stride-2 third convolution is not per-frame any more: the split comes after the
    // second (receptive field 1 + 4 + 4 = 9) and the head runs the rest on the ring.
    let mut graph = shipped_graph();
    let conv = nodes(&mut graph).iter_mut().filter(|n| n.op_type == "Conv").nth(2).unwrap();
    set_attr(conv, ints("strides", &[2]));
    let model = || load(&graph, &metadata_without_streaming());
    assert_eq!(model().streaming_mode(), &StreamingMode::Incremental { receptive_field: 9, chunk_frames: 25 });
    let (clip, rate) = load_clip("Actor_12/03-01-04-01-01-02-12.flac");
    let full = stream(model(), rate as f64, false, 0.25).push(&clip).unwrap();
    let inc = stream(model(), rate as f64, true, 0.25).push(&clip).unwrap();
    assert!(difference(&full, &inc) <= TOLERANCE);
}
