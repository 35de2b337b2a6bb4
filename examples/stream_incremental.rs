//! Incremental streaming against the whole window every hop: how far apart their outputs
//! are on real audio, and how long an update takes (native; build with `--release`).
//!
//! ```sh
//! cargo run --release --example stream_incremental -- compare ../shared/data/ravdess ../shared/data/nemo
//! cargo run --release --example stream_incremental -- compare --model emotion8 ../shared/data/ravdess ../shared/data/nemo
//! cargo run --release --example stream_incremental -- time ../shared/data/ravdess/Actor_01/03-01-01-01-01-01-01.flac
//! ```
//! `compare` streams every FLAC/WAV under the given paths (not RAVDESS actors 23–24, which
//! are reserved for independent evaluation) both ways (250 ms hops) and prints
//! the largest absolute difference of the per-window emotion probabilities, the speech
//! probability and the smoothed probabilities, and how many updates changed state or label.
//! `time` pushes the clip over and over, one hop per push, and prints the per-update time
//! (resampling, MFCC, normalisation and the model) of both paths.

use std::path::{Path, PathBuf};
use std::time::Instant;

use speech_emotion::{decode_file, EmotionModel, EmotionStream, StreamConfig};

fn files_under(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for entry in entries {
            files_under(&entry, out);
        }
    } else if path.to_string_lossy().contains("Actor_23") || path.to_string_lossy().contains("Actor_24") {
        // RAVDESS actors 23–24 are reserved for independent evaluation (models/README.md).
    } else if matches!(path.extension().and_then(|e| e.to_str()), Some("flac" | "wav")) {
        out.push(path.to_path_buf());
    }
}

fn stream(model: EmotionModel, rate: f64, incremental: bool) -> EmotionStream {
    let config = StreamConfig { incremental, ..StreamConfig::default() };
    let s = EmotionStream::new(model, rate, config).unwrap();
    assert_eq!(s.incremental(), incremental, "{:?}", s.model().streaming_mode());
    s
}

/// The embedded model, or `models/<name>.onnx` with its metadata.
fn load(name: &str) -> EmotionModel {
    if name == "emotion4" {
        return EmotionModel::embedded().unwrap();
    }
    let onnx = std::fs::read(format!("models/{name}.onnx")).unwrap();
    EmotionModel::from_bytes(&onnx, &std::fs::read_to_string(format!("models/{name}.json")).unwrap()).unwrap()
}

fn compare(name: &str, paths: &[String]) {
    let mut files = Vec::new();
    for p in paths {
        files_under(Path::new(p), &mut files);
    }
    let model = load(name);
    println!("model {}: {:?}", model.metadata().name, model.streaming_mode());
    let (mut full, mut inc) = (stream(load(name), 16_000.0, false), stream(model, 16_000.0, true));
    let (mut raw, mut speech, mut smoothed, mut updates, mut state_changes, mut label_changes) = (0f32, 0f32, 0f32, 0, 0, 0);
    let mut worst_file = String::new();
    for (i, file) in files.iter().enumerate() {
        let audio = decode_file(file).unwrap();
        let samples = audio.to_mono().unwrap();
        let rate = audio.sample_rate as f64;
        if full.input_rate() as f64 != rate {
            full = stream(load(name), rate, false);
            inc = stream(load(name), rate, true);
        }
        full.reset();
        inc.reset();
        let (a, b) = (full.push(&samples).unwrap(), inc.push(&samples).unwrap());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            let d = |p: &[f32], q: &[f32]| p.iter().zip(q).map(|(u, v)| (u - v).abs()).fold(0f32, f32::max);
            let r = d(&x.raw_probabilities, &y.raw_probabilities);
            if r > raw {
                raw = r;
                worst_file = file.display().to_string();
            }
            speech = speech.max((x.speech_probability - y.speech_probability).abs());
            smoothed = smoothed.max(d(&x.probabilities, &y.probabilities));
            state_changes += usize::from(x.state != y.state);
            label_changes += usize::from(x.label != y.label);
            updates += 1;
        }
        if (i + 1) % 500 == 0 {
            eprintln!("{} / {} files", i + 1, files.len());
        }
    }
    println!("{} files, {updates} updates (250 ms hops)", files.len());
    println!("max |Δ| per-window emotion probability: {raw:.3e} ({worst_file})");
    println!("max |Δ| speech probability:             {speech:.3e}");
    println!("max |Δ| smoothed probability:           {smoothed:.3e}");
    println!("updates with another state: {state_changes}; with another label: {label_changes}");
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn time(file: &str, updates: usize) {
    let audio = decode_file(Path::new(file)).unwrap();
    let samples = audio.to_mono().unwrap();
    let rate = audio.sample_rate as f64;
    let hop = (0.25 * rate).round() as usize;
    println!("{file}: {:.2} s at {rate} Hz, {updates} updates of {hop} samples per path", samples.len() as f64 / rate);
    let mut results = Vec::new();
    for incremental in [false, true] {
        let mut s = stream(EmotionModel::embedded().unwrap(), rate, incremental);
        let mut times = Vec::with_capacity(updates);
        let mut pos = 0;
        // Warm up: the first window, then measure.
        for round in 0..updates + 20 {
            let mut chunk = Vec::with_capacity(hop);
            while chunk.len() < hop {
                let take = (hop - chunk.len()).min(samples.len() - pos);
                chunk.extend_from_slice(&samples[pos..pos + take]);
                pos = (pos + take) % samples.len();
            }
            let start = Instant::now();
            let preds = s.push(&chunk).unwrap();
            let elapsed = start.elapsed().as_secs_f64() * 1e3;
            assert_eq!(preds.len(), 1);
            if round >= 20 {
                times.push(elapsed);
            }
        }
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
        let name = if incremental { "incremental (new frames only)" } else { "full window every hop" };
        println!("{name:32} p50 {p50:.3} ms, p95 {p95:.3} ms, mean {mean:.3} ms");
        results.push(p50);
    }
    // The model alone on one window, for scale.
    let mut model = EmotionModel::embedded().unwrap();
    let window = vec![0.1f32; model.metadata().window_frames * model.metadata().features.n_mfcc];
    let mut times: Vec<f64> = (0..updates)
        .map(|_| {
            let start = Instant::now();
            model.predict(&window).unwrap();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{:32} p50 {:.3} ms", "model alone, whole window", percentile(&times, 0.5));
    println!("speed-up per update (p50): {:.1}×", results[0] / results[1]);
    // Loading: the split (two more plans and the probe) against none (a metadata whose
    // receptive field disagrees with the graph skips building it).
    let mut no_split: serde_json::Value = serde_json::from_str(speech_emotion::model::EMBEDDED_METADATA).unwrap();
    no_split["streaming"]["receptive_field"] = 22.into();
    let no_split = no_split.to_string();
    for (name, meta) in [("load with the split", speech_emotion::model::EMBEDDED_METADATA), ("load without", &no_split)] {
        let mut times: Vec<f64> = (0..20)
            .map(|_| {
                let start = Instant::now();
                EmotionModel::from_bytes(speech_emotion::model::EMBEDDED_ONNX, meta).unwrap();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!("{name:32} p50 {:.1} ms", percentile(&times, 0.5));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("compare") if args.len() > 2 && args[1] == "--model" => compare(&args[2], &args[3..]),
        Some("compare") if args.len() > 1 => compare("emotion4", &args[1..]),
        Some("time") if args.len() > 1 => time(&args[1], args.get(2).map_or(2000, |n| n.parse().unwrap())),
        _ => eprintln!("usage: stream_incremental compare [--model emotion8] <dir or file>... | time <file> [updates]"),
    }
}
