//! The live stream fed chunks of any size, content and order, at any rate: every push is
//! predictions or a typed error, every prediction a distribution, and the stream goes on.
#![no_main]

use arbitrary::Arbitrary;
use std::collections::HashMap;
use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use speech_emotion::model::{EmotionModel, EMBEDDED_METADATA};
use speech_emotion::stream::{EmotionStream, StreamConfig};

/// A chunk described compactly, so short fuzz inputs still reach whole model windows.
#[derive(Arbitrary, Debug)]
enum Chunk {
    Raw(Vec<f32>),
    Tone { len: u16, period: u8, amplitude: f32 },
    Noise { len: u16, seed: u32, amplitude: f32 },
    Silence { len: u16 },
    Reset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    rate: u8,
    chunks: Vec<Chunk>,
}

/// Device rates plus odd ones; invalid rates are covered by the unit tests.
const RATES: [u32; 10] = [8_000, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 192_000, 12_345, 37_800];

// Loading the model takes far longer than a fuzz input: one stream per rate, reset before
// each input (reset must restore a fresh stream exactly; tests/stream.rs). A static, not a
// thread_local: tract keeps scratch space in its own thread-locals, and dropping a model
// from a thread-local destructor at exit panics inside tract (a harness artifact, not a
// library bug; statics are never dropped).
/// The shipped graph with a few channels and untrained weights (`fuzz/make_tiny_model.py`):
/// the stream's paths are the same, and a window costs ~1 ms instead of ~15.
fn tiny_model() -> EmotionModel {
    EmotionModel::from_bytes(include_bytes!("../tiny/tiny.onnx"), EMBEDDED_METADATA).unwrap()
}

static STREAMS: Mutex<Option<HashMap<u32, EmotionStream>>> = Mutex::new(None);

fuzz_target!(|input: Input| {
    let rate = RATES[input.rate as usize % RATES.len()];
    let mut streams = STREAMS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let stream = streams.get_or_insert_with(HashMap::new).entry(rate).or_insert_with(|| {
        EmotionStream::new(tiny_model(), rate as f64, StreamConfig::default()).unwrap()
    });
    stream.reset();
    run(stream, &input.chunks);
});

fn run(stream: &mut EmotionStream, chunks: &[Chunk]) {
    for chunk in chunks.iter().take(64) {
        let samples: Vec<f32> = match chunk {
            Chunk::Raw(v) => v.clone(),
            Chunk::Tone { len, period, amplitude } => (0..*len as usize * 4)
                .map(|i| amplitude * (i as f32 * std::f32::consts::TAU / (*period as f32 + 2.0)).sin())
                .collect(),
            Chunk::Noise { len, seed, amplitude } => {
                let mut x = *seed as u64 | 1;
                (0..*len as usize * 4)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        amplitude * ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
                    })
                    .collect()
            }
            Chunk::Silence { len } => vec![0.0; *len as usize * 4],
            Chunk::Reset => {
                stream.reset();
                continue;
            }
        };
        if let Ok(predictions) = stream.push(&samples) {
            for p in predictions {
                let sum: f32 = p.probabilities.iter().sum();
                assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}");
                assert!(p.probabilities.iter().chain(&p.raw_probabilities).all(|v| v.is_finite() && *v >= 0.0));
            }
        }
    }
}
