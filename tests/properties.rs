//! Invariants checked on generated input (proptest): however audio arrives, the stream
//! says the same thing; every answer is a probability distribution; resampling keeps time.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use proptest::prelude::*;
use speech_emotion::audio::{resample, StreamResampler};
use speech_emotion::classify::{classify_clip, ClipClassifier, ClipOptions};
use speech_emotion::model::EmotionModel;
use speech_emotion::stream::{EmotionStream, StreamConfig};
use speech_emotion::Error;

const RATES: [u32; 8] = [8_000, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 192_000];

fn speech_at(rate: u32) -> Vec<f32> {
    let (clip, clip_rate) = common::load_clip("Actor_08/03-01-03-02-02-01-08.flac");
    resample(&clip, clip_rate, rate).unwrap()
}

proptest! {
    // Each case runs the model many times: a few dozen cases cover the space well enough.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn stream_predictions_do_not_depend_on_chunking(
        rate_index in 0..RATES.len(),
        chunk_sizes in prop::collection::vec(1usize..20_000, 1..40),
    ) {
        let rate = RATES[rate_index];
        let audio = speech_at(rate);
        let new_stream = || EmotionStream::new(EmotionModel::embedded().unwrap(), rate as f64, StreamConfig::default()).unwrap();
        let whole = new_stream().push(&audio).unwrap();
        let mut stream = new_stream();
        let mut chunked = Vec::new();
        let (mut at, mut i) = (0, 0);
        while at < audio.len() {
            let n = chunk_sizes[i % chunk_sizes.len()].min(audio.len() - at);
            chunked.extend(stream.push(&audio[at..at + n]).unwrap());
            at += n;
            i += 1;
        }
        prop_assert_eq!(chunked.len(), whole.len());
        for (a, b) in chunked.iter().zip(&whole) {
            prop_assert_eq!(a.state, b.state);
            prop_assert_eq!(a.time_s, b.time_s);
            for (x, y) in a.raw_probabilities.iter().zip(&b.raw_probabilities) {
                prop_assert!((x - y).abs() < 1e-5, "{} vs {}", x, y);
            }
        }
    }

    #[test]
    fn clip_results_do_not_depend_on_how_the_clip_arrives(
        rate_index in 0..RATES.len(),
        chunk_sizes in prop::collection::vec(1usize..30_000, 1..40),
        hop in prop_oneof![Just(0.25f64), Just(1.0), Just(1.7)],
    ) {
        // What the CLI's streaming decode and the page's pieces rely on: same numbers as
        // the whole clip in memory.
        let rate = RATES[rate_index];
        let audio = speech_at(rate);
        let mut model = EmotionModel::embedded().unwrap();
        let options = ClipOptions { segment_hop_seconds: hop, ..ClipOptions::default() };
        let whole = classify_clip(&mut model, &audio, rate as f64, &options).unwrap();
        let mut clip = ClipClassifier::new(model.metadata(), rate as f64, &options).unwrap();
        let (mut at, mut i) = (0, 0);
        while at < audio.len() {
            let n = chunk_sizes[i % chunk_sizes.len()].min(audio.len() - at);
            clip.push(&mut model, &audio[at..at + n]).unwrap();
            at += n;
            i += 1;
        }
        let pieces = clip.finish(&mut model).unwrap();
        prop_assert_eq!(pieces.segments.len(), whole.segments.len());
        prop_assert_eq!(&pieces.label, &whole.label);
        prop_assert_eq!(pieces.duration_s, whole.duration_s);
        for (a, b) in pieces.segments.iter().zip(&whole.segments) {
            prop_assert_eq!((a.start_s, a.end_s, a.speech), (b.start_s, b.end_s, b.speech));
            for (x, y) in a.probabilities.iter().zip(&b.probabilities) {
                prop_assert!((x - y).abs() < 1e-5, "{} vs {}", x, y);
            }
        }
    }

    #[test]
    fn any_finite_audio_gives_a_distribution_or_a_typed_error(
        rate_index in 0..RATES.len(),
        samples in prop::collection::vec(prop_oneof![
            4 => -1.0f32..1.0,
            1 => -1e3f32..1e3,          // far beyond full scale, still accepted
            1 => -3e38f32..3e38,        // not float audio: refused
            1 => Just(0.0f32),
            1 => -1e-30f32..1e-30,      // subnormal-range whispers
        ], 0..40_000),
    ) {
        let mut model = EmotionModel::embedded().unwrap();
        match classify_clip(&mut model, &samples, RATES[rate_index] as f64, &ClipOptions::default()) {
            Ok(result) => {
                let sum: f32 = result.probabilities.iter().sum();
                prop_assert!((sum - 1.0).abs() < 1e-4, "sum {}", sum);
                prop_assert!(result.probabilities.iter().all(|p| p.is_finite() && *p >= 0.0));
                for segment in &result.segments {
                    let sum: f32 = segment.probabilities.iter().sum();
                    prop_assert!((sum - 1.0).abs() < 1e-4);
                }
            }
            Err(Error::EmptyAudio) => prop_assert!(samples.is_empty()),
            Err(Error::Silence) => prop_assert!(samples.iter().all(|s| *s == 0.0)),
            Err(Error::SampleOutOfRange { index, .. }) => prop_assert!(samples[index].abs() > 1e3),
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn resampling_preserves_duration_within_one_sample(
        from in 0..RATES.len(),
        to in 0..RATES.len(),
        len in 0usize..50_000,
    ) {
        let (from, to) = (RATES[from], RATES[to]);
        let input: Vec<f32> = (0..len).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let output = resample(&input, from, to).unwrap();
        let expected = len as f64 * to as f64 / from as f64;
        prop_assert!((output.len() as f64 - expected).abs() <= 1.0, "{} Hz → {} Hz: {} samples for {} expected", from, to, output.len(), expected);
    }

    #[test]
    fn streaming_resampler_equals_the_whole_buffer_resampler(
        from in 0..RATES.len(),
        chunk_sizes in prop::collection::vec(1usize..5_000, 1..20),
    ) {
        let from = RATES[from];
        let input: Vec<f32> = (0..from as usize / 2).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let whole = resample(&input, from, 16_000).unwrap();
        let mut resampler = StreamResampler::new(from, 16_000).unwrap();
        let mut streamed = Vec::new();
        let (mut at, mut i) = (0, 0);
        while at < input.len() {
            let n = chunk_sizes[i % chunk_sizes.len()].min(input.len() - at);
            resampler.process(&input[at..at + n], &mut streamed).unwrap();
            at += n;
            i += 1;
        }
        resampler.flush(&mut streamed).unwrap();
        prop_assert!(streamed.len().abs_diff(whole.len()) <= 1, "{} vs {}", streamed.len(), whole.len());
        for (a, b) in streamed.iter().zip(&whole) {
            prop_assert!((a - b).abs() < 1e-4, "{} vs {}", a, b);
        }
    }
}
