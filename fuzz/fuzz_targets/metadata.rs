//! Model metadata JSON, as the engine reads it: a file's bytes must be UTF-8 (as in
//! `model::read_metadata_file` and the CLI), then `ModelMetadata::from_json` drops a leading
//! byte-order mark, reads the version, the fields, and validates them. Never a panic; an
//! error is `Error::Metadata` with a message; metadata that loads keeps every promise
//! `ModelMetadata::validate` (and `FeatureParams::validate`, `NormalizationSpec::validate`)
//! makes, and the quantities the stream, clip and calibration code derive from it are sane.
//!
//! Each input is used twice:
//! - its bytes, as a metadata file (the seeds are the shipped `models/emotion*.json`, so
//!   byte-level mutations start from valid structure);
//! - structure-aware: the shipped metadata (4 or 8 labels), or the input's own JSON up to its
//!   first NUL byte, with up to 8 edits drawn from the rest of the input (or the whole input
//!   when there is no NUL): any value replaced (by generated JSON, a number scaled, negated or
//!   nudged, or raw text such as `NaN`, `1e999`, `-1`, `18446744073709551616`), a field
//!   removed or an unknown one added, and written compact or pretty, with or without a BOM.
//!
//! Not checked: that metadata written back reads back equal. The engine never writes it, and
//! serde_json (without its `float_roundtrip` feature) may read a number one unit in the last
//! place off: `2e-30` is read as 1.9999999999999998e-30 (found by a first version of this
//! target; harmless at the magnitudes metadata holds).
#![no_main]

use std::sync::{LazyLock, Mutex};

use arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Number, Value};
use speech_emotion::features::{FeatureParams, MfccExtractor, SpeakerNormalizer};
use speech_emotion::model::{softmax, ModelMetadata, EMBEDDED_METADATA, FORMAT_VERSION};
use speech_emotion::Error;

const EMOTION8: &str = include_str!("../../models/emotion8.json");
const BOM: &str = "\u{feff}";

/// Text the fuzzer would rarely build on its own, put where a value goes.
const RAW: &[&str] = &[
    "NaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999", "-1e999", "1e39", "-1e39", "3.4028235e38",
    "3.4028236e38", "1.7976931348623157e308", "1e-46", "1e-400", "5e-324", "-0", "-0.0", "0", "-1", "1", "2",
    "2.0000001", "1.9999999", "0.5", "65535", "65536", "4294967295", "4294967296", "-2147483649",
    "9223372036854775807", "18446744073709551615", "18446744073709551616", "1e20", "01", "1.", ".5", "+1",
    "0x10", "\"\"", "\" \"", "\"\\t\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\u00e9\"", "[]", "{}", "[[]]",
    "null", "true", "false", "\"NaN\"", "\"2\"", "[1,300,40]", "[1,300]", "[1,300,40,1]", "[0,0,0]",
];

/// A small JSON value.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn arbitrary_depth(u: &mut Unstructured, depth: u32) -> ArbResult<Self> {
        let leaves = 6;
        let kinds = if depth >= 3 { leaves } else { leaves + 2 };
        Ok(match u.choose_index(kinds)? {
            0 => Json::Null,
            1 => Json::Bool(u.arbitrary()?),
            2 => Json::Int(u.arbitrary()?),
            3 => Json::UInt(u.arbitrary()?),
            4 => Json::Float(u.arbitrary()?),
            5 => Json::Str(u.arbitrary()?),
            6 => {
                let n = u.int_in_range(0..=6)?;
                Json::Array((0..n).map(|_| Json::arbitrary_depth(u, depth + 1)).collect::<ArbResult<_>>()?)
            }
            _ => {
                let n = u.int_in_range(0..=4)?;
                let mut fields = Vec::new();
                for _ in 0..n {
                    fields.push((u.arbitrary()?, Json::arbitrary_depth(u, depth + 1)?));
                }
                Json::Object(fields)
            }
        })
    }

    fn into_value(self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Int(i) => Value::from(i),
            Json::UInt(n) => Value::from(n),
            // Not finite: JSON has no such number; raw text ("NaN", "1e999") covers it.
            Json::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s),
            Json::Array(items) => Value::Array(items.into_iter().map(Json::into_value).collect()),
            Json::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, v.into_value())).collect()),
        }
    }
}

/// One step into a JSON value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn child_mut<'a>(v: &'a mut Value, step: &Step) -> Option<&'a mut Value> {
    match (v, step) {
        (Value::Object(map), Step::Key(k)) => map.get_mut(k),
        (Value::Array(items), Step::Index(i)) => items.get_mut(*i),
        _ => None,
    }
}

fn at_mut<'a>(mut v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    for step in path {
        v = child_mut(v, step)?;
    }
    Some(v)
}

/// A value below the root, found by walking down from it: every field of an object is as
/// likely as the next (so `window_frames` is as likely as the 40 `prior_mean` values
/// together), and each level goes one deeper or stops there.
fn pick(doc: &Value, u: &mut Unstructured) -> ArbResult<Vec<Step>> {
    let mut path = Vec::new();
    let mut v = doc;
    loop {
        let (step, child) = match v {
            Value::Object(map) if !map.is_empty() => {
                let (k, c) = map.iter().nth(u.choose_index(map.len())?).unwrap();
                (Step::Key(k.clone()), c)
            }
            Value::Array(items) if !items.is_empty() => {
                let i = u.choose_index(items.len())?;
                (Step::Index(i), &items[i])
            }
            _ => break,
        };
        path.push(step);
        v = child;
        let deeper = matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty());
        if !deeper || u.ratio(1, 3)? {
            break;
        }
    }
    Ok(path)
}

static EMOTION4_DOC: LazyLock<Value> = LazyLock::new(|| serde_json::from_str(EMBEDDED_METADATA).unwrap());
static EMOTION8_DOC: LazyLock<Value> = LazyLock::new(|| serde_json::from_str(EMOTION8).unwrap());

/// The shipped metadata (or the input's own JSON) with edits, as text.
fn edited(file: &[u8], u: &mut Unstructured) -> ArbResult<String> {
    let mut doc: Value = match u.choose_index(3)? {
        0 => EMOTION4_DOC.clone(),
        1 => EMOTION8_DOC.clone(),
        _ => match serde_json::from_slice::<Value>(file) {
            Ok(v @ Value::Object(_)) => v,
            _ => EMOTION4_DOC.clone(),
        },
    };
    let mut raw = Vec::new(); // placeholders to swap for raw text once the JSON is written
    let n_edits = u.int_in_range(0..=8)?;
    for _ in 0..n_edits {
        let path = pick(&doc, u)?;
        let Some((last, parent_path)) = path.split_last() else { break };
        let Some(parent) = at_mut(&mut doc, parent_path) else { break };
        match u.choose_index(7)? {
            // Generated JSON in its place.
            0 | 1 => *child_mut(parent, last).unwrap() = Json::arbitrary_depth(u, 0)?.into_value(),
            // A number changed the way a hand edit or a bad export changes it.
            2 => {
                let slot = child_mut(parent, last).unwrap();
                let x = slot.as_f64().unwrap_or(1.0);
                let y = match u.choose_index(9)? {
                    0 => -x,
                    1 => x + 1.0,
                    2 => x - 1.0,
                    3 => x * 2.0,
                    4 => x / 2.0,
                    5 => x * 1e30,
                    6 => x * 1e-30,
                    7 => 0.0,
                    _ => u.arbitrary::<f32>()? as f64,
                };
                *slot = if y.fract() == 0.0 && y.abs() < 1e18 {
                    Value::from(y as i64)
                } else {
                    Number::from_f64(y).map_or(Value::Null, Value::Number)
                };
            }
            // Raw text, valid JSON or not.
            3 | 4 => {
                let text = if u.ratio(3, 4)? { RAW[u.choose_index(RAW.len())?].to_string() } else { u.arbitrary()? };
                let mark = format!("\u{1}raw{}\u{1}", raw.len());
                *child_mut(parent, last).unwrap() = Value::String(mark.clone());
                raw.push((serde_json::to_string(&mark).unwrap(), text));
            }
            // A field removed.
            5 => match (parent, last) {
                (Value::Object(map), Step::Key(k)) => drop(map.remove(k)),
                (Value::Array(items), Step::Index(i)) => drop(items.remove(*i)),
                _ => {}
            },
            // An unknown field (or one more element) next to it.
            _ => {
                let name: String = u.arbitrary()?;
                let value = Json::arbitrary_depth(u, 1)?.into_value();
                match parent {
                    Value::Object(map) => drop(map.insert(name, value)),
                    Value::Array(items) => items.push(value),
                    _ => {}
                }
            }
        }
    }
    let mut text = if u.arbitrary()? { serde_json::to_string_pretty(&doc) } else { serde_json::to_string(&doc) }.unwrap();
    for (mark, replacement) in raw {
        text = text.replace(&mark, &replacement);
    }
    if u.ratio(1, 4)? {
        text.insert_str(0, BOM);
    }
    Ok(text)
}

// MFCC frames of a test signal for the last feature parameters seen: most inputs keep the
// shipped parameters, and planning an FFT (up to 16384 points) and computing frames for
// each would take a good part of the run. The frames depend on the parameters only.
static MFCC: Mutex<Option<(FeatureParams, Vec<f32>)>> = Mutex::new(None);

/// A metadata file's bytes: what the engine and the CLI do with them.
fn check_file(bytes: &[u8]) {
    // read_metadata_file (and the CLI) refuse what is not UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    check_text(text);
}

fn check_text(text: &str) {
    match ModelMetadata::from_json(text) {
        Err(Error::Metadata(message)) => assert!(!message.trim().is_empty(), "an empty error message"),
        Err(other) => panic!("metadata refused with a {other:?}, not Error::Metadata"),
        Ok(meta) => check_metadata(&meta),
    }
}

/// What `ModelMetadata::validate` promises, and what the rest of the engine derives from it.
fn check_metadata(meta: &ModelMetadata) {
    assert!(meta.validate().is_ok(), "loaded metadata fails its own validation");
    assert_eq!(meta.format_version, FORMAT_VERSION);

    // Labels: at least two, none blank, no duplicates; aliases lead to labels.
    let labels = &meta.labels;
    assert!(labels.len() >= 2);
    assert!(labels.iter().all(|l| !l.trim().is_empty()));
    let unique: std::collections::BTreeSet<&str> = labels.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), labels.len(), "duplicate labels");
    for l in labels {
        assert_eq!(meta.canonical_label(l), Some(l.as_str()));
    }
    for (from, to) in &meta.label_aliases {
        assert!(!from.trim().is_empty() && !unique.contains(from.as_str()));
        let canonical = meta.canonical_label(from).expect("an alias resolves");
        assert!(unique.contains(canonical) && canonical == to);
    }
    assert_eq!(meta.speech.output_index, labels.len(), "the speech logit follows the emotion logits");

    // Features: the parameter ranges the MFCC code relies on.
    let f: &FeatureParams = &meta.features;
    assert!((8_000..=192_000).contains(&f.sample_rate));
    assert_eq!(meta.sample_rate(), f.sample_rate);
    assert!((16..=16_384).contains(&f.n_fft) && f.n_fft % 2 == 0);
    assert!((1..=f.n_fft).contains(&f.win_length) && (1..=f.n_fft).contains(&f.hop_length));
    assert!(f.center && f.power == 2.0 && f.top_db.is_none() && f.dct_type == 2 && f.lifter == 0);
    assert!((1..=512).contains(&f.n_mels) && (1..=f.n_mels).contains(&f.n_mfcc));
    assert!(f.fmin >= 0.0 && f.fmin < f.fmax && f.fmax <= f.sample_rate as f32 / 2.0);
    assert!(f.db_ref.is_finite() && f.db_ref > 0.0 && f.db_amin.is_finite() && f.db_amin > 0.0);
    let hop_seconds = f.hop_seconds();
    assert!(hop_seconds.is_finite() && hop_seconds > 0.0);

    // The model's input: the window every stream, clip and calibration allocates.
    assert!((1..=10_000).contains(&meta.window_frames));
    assert_eq!(meta.input.shape, [1, meta.window_frames, f.n_mfcc]);
    assert_eq!(meta.input.layout, "batch,frames,coefficients");
    let window_len = meta.window_frames.checked_mul(f.n_mfcc).expect("window_frames × n_mfcc overflows");
    assert!(window_len <= 10_000 * 512);
    assert_eq!(meta.input.shape.iter().product::<usize>(), window_len);
    assert_eq!(f.frames_for(meta.window_samples()), meta.window_frames, "window_samples yields window_frames");
    let seconds = meta.window_seconds();
    assert!(seconds.is_finite() && seconds >= 0.0);
    if let Some(s) = &meta.streaming {
        assert!((1..=meta.window_frames).contains(&s.receptive_field));
    }

    // Decisions: thresholds are probabilities; the temperature gives a distribution.
    assert!((0.0..=1.0).contains(&meta.uncertain_threshold) && (0.0..=1.0).contains(&meta.speech.threshold));
    let t = meta.output.temperature;
    assert!(t.is_finite() && t > 0.0);
    let logits: Vec<f32> = (0..labels.len()).map(|i| (i as f32 * 0.7).sin() * 10.0).collect();
    let p = softmax(&logits, t);
    let sum: f32 = p.iter().sum();
    assert!(p.iter().all(|v| v.is_finite() && *v >= 0.0) && (sum - 1.0).abs() < 1e-3, "softmax at {t}: {p:?}");

    // Normalisation: one value per coefficient, finite, positive scales and prior counts.
    let n = &meta.normalization;
    assert_eq!((n.prior_mean.len(), n.scale.len()), (f.n_mfcc, f.n_mfcc));
    assert!(n.prior_mean.iter().all(|v| v.is_finite()) && n.scale.iter().all(|s| s.is_finite() && *s > 0.0));
    assert!(n.prior_frames_level > 0.0 && n.prior_frames_shape > 0.0 && n.active_floor_db.is_finite());

    // Building what a stream builds from it must work: the MFCC extractor, with finite
    // coefficients for a tone and for silence, and the speaker normaliser (no panic; its
    // output is not promised finite: see fuzz/results.md).
    let mut cache = MFCC.lock().unwrap_or_else(|p| p.into_inner());
    if cache.as_ref().is_none_or(|(params, _)| params != f) {
        let mut mfcc = MfccExtractor::new(f).expect("validated features build an MFCC extractor");
        let tone: Vec<f32> = (0..f.hop_length).map(|i| 0.5 * (i as f32 * 0.3).sin()).collect();
        let mut frames = mfcc.compute(&tone);
        assert_eq!(frames.len(), f.frames_for(tone.len()) * f.n_mfcc);
        let silence = mfcc.compute(&[0.0]);
        assert_eq!(silence.len(), f.frames_for(1) * f.n_mfcc);
        frames.extend(silence);
        assert!(frames.iter().all(|v| v.is_finite()), "non-finite MFCC of a tone or silence");
        *cache = Some((f.clone(), frames));
    }
    let frames = &cache.as_ref().unwrap().1;
    let mut normalizer = SpeakerNormalizer::new(n, f.n_mels, hop_seconds);
    let mut out = vec![0.0f32; f.n_mfcc];
    for frame in frames.chunks_exact(f.n_mfcc) {
        normalizer.normalize_frame(frame, &mut out);
    }
}

fuzz_target!(|data: &[u8]| {
    check_file(data);
    let (file, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    if let Ok(text) = edited(file, &mut Unstructured::new(rest)) {
        check_text(&text);
    }
});
