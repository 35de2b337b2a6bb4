//! The JavaScript-facing API, run in headless Chromium and Firefox by `scripts/test.sh` (cargo test for wasm32 through
//! `wasm-bindgen-test-runner`).
#![cfg(target_arch = "wasm32")]

use speech_emotion_wasm::Engine;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `unwrap` for results whose error is a JS exception (which has no `Debug`).
fn ok<T>(result: Result<T, wasm_bindgen::JsError>) -> T {
    result.unwrap_or_else(|_| panic!("unexpected JS error"))
}

/// An engine with the built-in model, listening at `rate` Hz.
fn listening(rate: f64) -> Engine {
    let mut engine = ok(Engine::new());
    ok(engine.start_stream(rate));
    engine
}

fn get(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn tone(rate: f64, seconds: f64) -> Vec<f32> {
    let n = (rate * seconds) as usize;
    // A 140 Hz buzz of seven harmonics: a signal, not speech (see `speech` for a voice).
    (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            (1..8).map(|h| (2.0 * std::f64::consts::PI * 140.0 * h as f64 * t).sin() / h as f64).sum::<f64>() as f32 * 0.2
        })
        .collect()
}

#[path = "../../tests/parity/mod.rs"]
#[allow(dead_code)]
mod parity;

/// Real speech (the three RAVDESS clips of the parity test, embedded at build time), repeated
/// to `seconds` and resampled to `rate`. A synthetic vowel-like buzz stood here until issue
/// 26: the model now hears harmonic tones as what they are, not speech.
fn speech(rate: f64, seconds: f64) -> Vec<f32> {
    let voice: Vec<f32> = parity::CLIPS
        .iter()
        .flat_map(|(name, _)| {
            let audio = speech_emotion::audio::decode_bytes(parity::clip_bytes(name).to_vec(), Some("flac")).unwrap();
            assert_eq!(audio.sample_rate, 16_000);
            audio.to_mono().unwrap()
        })
        .collect();
    let long: Vec<f32> = voice.iter().cycle().take((16_000.0 * seconds) as usize).copied().collect();
    if rate == 16_000.0 { long } else { speech_emotion::resample(&long, 16_000, rate as u32).unwrap() }
}

#[wasm_bindgen_test]
fn the_engine_reports_labels_and_model_info() {
    let c = listening(48_000.0);
    let info = ok(c.model_info());
    let labels: Vec<String> = js_sys::Array::from(&get(&info, "labels")).iter().map(|v| v.as_string().unwrap()).collect();
    assert_eq!(labels, ["neutral", "happy", "sad", "angry"]);
    assert_eq!(get(&get(&info, "labelAliases"), "calm").as_string().as_deref(), Some("neutral"));
    assert!(get(&info, "speechThreshold").as_f64().is_some());
    assert_eq!(get(&info, "sampleRate").as_f64(), Some(16_000.0));
    assert_eq!(get(&info, "hopSeconds").as_f64(), Some(0.25));
    let streaming = get(&info, "streamingMode");
    assert_eq!(get(&streaming, "kind").as_string().as_deref(), Some("incremental"));
    assert!(get(&streaming, "receptive_field").as_f64().unwrap() > 1.0);
    let expected = speech_emotion::fingerprint::model_fingerprint(speech_emotion::model::EMBEDDED_ONNX, speech_emotion::model::EMBEDDED_METADATA);
    assert_eq!(get(&info, "fingerprint").as_string(), Some(expected), "the CLI's fingerprint");
}

#[wasm_bindgen_test]
fn push_all_returns_a_prediction_each_hop_as_a_plain_object() {
    let mut c = listening(44_100.0);
    // 128-sample render quanta, as an AudioWorklet would deliver them.
    let audio = tone(44_100.0, 1.0);
    let mut predictions = Vec::new();
    for chunk in audio.chunks(128) {
        predictions.extend(js_sys::Array::from(&ok(c.push_all(chunk))).iter());
    }
    // 0.25, 0.5 and 0.75 s have passed; 1.0 s may still sit in the resampler's look-ahead.
    assert!((3..=4).contains(&predictions.len()), "{} predictions", predictions.len());
    let last = predictions.last().unwrap();
    let probabilities = js_sys::Array::from(&get(last, "probabilities"));
    assert_eq!(probabilities.length(), 4);
    let sum: f64 = probabilities.iter().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-4);
    let state = get(last, "state").as_string().unwrap();
    assert!(["emotion", "uncertain", "no_speech"].contains(&state.as_str()));
    assert_eq!(get(last, "calibrated").as_bool(), Some(false));
    assert!(get(last, "speech_probability").as_f64().is_some());
}

#[wasm_bindgen_test]
fn calibration_from_js_is_applied_reported_and_cleared() {
    let mut c = listening(16_000.0);
    assert!(c.calibrate(&speech(16_000.0, 1.0), 16_000.0).is_err(), "one second is too little speech");
    let profile = ok(c.calibrate(&speech(16_000.0, 12.0), 16_000.0));
    assert!(get(&profile, "active_seconds").as_f64().unwrap() >= 3.0);
    assert!(c.calibrated());
    let clip = ok(c.classify_clip(&tone(16_000.0, 3.0), 16_000.0, None));
    assert_eq!(get(&clip, "calibrated").as_bool(), Some(true));
    // The profile is plain data: another engine can take it (nothing is stored anywhere).
    let mut other = listening(48_000.0);
    ok(other.set_calibration(profile));
    assert!(other.calibrated());
    ok(other.set_calibration(JsValue::NULL));
    assert!(!other.calibrated());
    assert!(other.set_calibration(JsValue::from_str("nonsense")).is_err());
    ok(c.clear_calibration());
    assert!(!c.calibrated());
}

#[wasm_bindgen_test]
fn silence_is_no_speech_with_a_null_label() {
    let mut c = listening(16_000.0);
    let all = ok(c.push_all(&vec![0.0; 16_000]));
    let all = js_sys::Array::from(&all);
    assert_eq!(all.length(), 4);
    for p in all.iter() {
        assert_eq!(get(&p, "state").as_string().unwrap(), "no_speech");
        assert!(get(&p, "label").is_null());
    }
}

#[wasm_bindgen_test]
fn bad_input_throws_instead_of_panicking() {
    let mut idle = ok(Engine::new());
    assert!(idle.push_all(&[0.0; 128]).is_err(), "pushAll before startStream");
    assert!(idle.start_stream(0.0).is_err());
    assert!(idle.start_stream(f64::NAN).is_err());
    assert!(idle.start_stream(1e9).is_err());
    let mut c = listening(16_000.0);
    assert!(c.push_all(&[0.0, f32::NAN]).is_err());
    assert!(c.classify_clip(&[], 16_000.0, None).is_err());
    assert!(c.classify_clip(&[0.0; 100], 16_000.0, None).is_err());
    assert!(c.classify_clip(&[0.1; 100], -5.0, None).is_err());
    assert!(Engine::with_model(b"not a model", "{}").is_err());
    assert!(Engine::with_model(speech_emotion::model::EMBEDDED_ONNX, "{\"labels\": []}").is_err());
    // Still usable after all those errors.
    assert_eq!(js_sys::Array::from(&ok(c.push_all(&vec![0.0; 4_000]))).length(), 1);
}

#[wasm_bindgen_test]
fn classify_clip_returns_a_timeline() {
    let mut c = listening(16_000.0);
    let result = ok(c.classify_clip(&tone(22_050.0, 5.0), 22_050.0, None));
    let state = get(&result, "state").as_string().unwrap();
    let label = get(&result, "label");
    assert_eq!(label.is_null(), state == "no_speech", "a label exactly when there is speech");
    let segments = js_sys::Array::from(&get(&result, "segments"));
    assert!(segments.length() >= 3, "5 s with a 1 s segment hop");
    assert!((get(&result, "duration_s").as_f64().unwrap() - 5.0).abs() < 1e-3);
}

#[wasm_bindgen_test]
fn a_clip_in_pieces_equals_the_whole_clip() {
    let mut c = listening(16_000.0);
    let audio = speech(44_100.0, 6.0);
    let whole = ok(c.classify_clip(&audio, 44_100.0, None));
    ok(c.begin_clip(44_100.0, None));
    for piece in audio.chunks(10_000) {
        ok(c.push_clip(piece));
    }
    let pieces = ok(c.finish_clip());
    let json = |v: &JsValue| js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
    assert_eq!(json(&pieces), json(&whole));
    // Out of order or after a bad piece: an error, never a panic or a wrong answer.
    assert!(c.push_clip(&[0.1; 10]).is_err(), "no clip begun");
    assert!(c.finish_clip().is_err());
    ok(c.begin_clip(16_000.0, None));
    assert!(c.push_clip(&[0.1, f32::NAN]).is_err());
    assert!(c.finish_clip().is_err(), "a clip with a hole in it has no result");
    assert!(c.begin_clip(0.0, None).is_err());
}

#[wasm_bindgen_test]
fn stages_run_on_their_own_and_agree_with_the_engine() {
    let mut mfcc = ok(speech_emotion_wasm::Mfcc::new());
    let n = mfcc.n_mfcc();
    let frames = ok(mfcc.push(&tone(16_000.0, 3.5)));
    assert_eq!(frames.len() % n, 0);
    let mut model = ok(speech_emotion_wasm::Model::new());
    let window = &frames[..model.input_length()];
    let p = ok(model.predict(window));
    assert_eq!(p.len(), 4);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(model.predict(&window[1..]).is_err(), "a window of the wrong size is an error");
    assert!(mfcc.push(&[f32::NAN]).is_err());
}

#[wasm_bindgen_test]
fn one_engine_listens_again_at_another_rate_and_classifies_clips_meanwhile() {
    let mut engine = listening(48_000.0);
    let silence = |rate: f64| vec![0.0f32; (rate / 4.0) as usize]; // one 0.25 s hop
    // At 48 kHz the resampler holds back its look-ahead: two hops in, at least one out.
    let first: Vec<f32> = [silence(48_000.0), silence(48_000.0)].concat();
    assert!(js_sys::Array::from(&ok(engine.push_all(&first))).length() >= 1);
    let clip = ok(engine.classify_clip(&tone(22_050.0, 3.0), 22_050.0, None)); // while listening
    assert!((get(&clip, "duration_s").as_f64().unwrap() - 3.0).abs() < 1e-3);
    engine.stop_stream();
    assert!(engine.push_all(&silence(48_000.0)).is_err(), "stopped");
    // Started again at the model's own rate (no resampling): the same model, a fresh window.
    ok(engine.start_stream(16_000.0));
    let again = js_sys::Array::from(&ok(engine.push_all(&silence(16_000.0))));
    assert_eq!(again.length(), 1);
    assert!((get(&again.get(0), "time_s").as_f64().unwrap() - 0.25).abs() < 1e-9, "time starts again");
}

#[wasm_bindgen_test]
fn a_personal_profile_is_enrolled_used_live_and_by_clips_and_bad_ones_are_refused() {
    let mut c = listening(16_000.0);
    let voice = speech(16_000.0, 16.0);
    let mut enrolment = ok(c.begin_enrolment());
    for (n, clip) in voice.chunks(64_000).enumerate() {
        let label = if n < 2 { "calm" } else { "angry" }; // an alias is a label too
        let status = js_sys::Array::from(&ok(enrolment.add(clip, 16_000.0, label)));
        assert_eq!(status.length(), 4, "one entry per model label");
    }
    assert!(enrolment.add(&voice[..16_000], 16_000.0, "bored").is_err(), "a label the model lacks");
    let json = ok(c.finish_enrolment(&enrolment));
    let summary = ok(c.set_profile(Some(json.clone())));
    let id = get(&summary, "id").as_string().unwrap();
    assert!(id.starts_with("profile-") && get(&summary, "calibrated").as_bool().unwrap());
    assert_eq!(js_sys::Array::from(&get(&summary, "labels")).length(), 2);
    let predictions = js_sys::Array::from(&ok(c.push_all(&voice[..16_000])));
    assert!(predictions.length() > 0 && predictions.iter().all(|p| get(&p, "personal").as_string() == Some(id.clone())));
    assert_eq!(get(&ok(c.classify_clip(&voice[..48_000], 16_000.0, None)), "personal").as_string(), Some(id.clone()));
    // A damaged profile is refused and the one in use stays.
    assert!(c.set_profile(Some(json[..json.len() / 2].to_string())).is_err());
    assert!(c.read_profile("{}").is_err());
    let still = js_sys::Array::from(&ok(c.push_all(&voice[..8_000])));
    assert!(still.iter().all(|p| get(&p, "personal").as_string() == Some(id.clone())));
    // Without a profile results say nothing of one.
    assert!(ok(c.set_profile(None)).is_null());
    let plain = ok(c.classify_clip(&voice[..48_000], 16_000.0, None));
    assert!(get(&plain, "personal").is_undefined());
    // … unless a clip is given one of its own.
    assert_eq!(get(&ok(c.classify_clip(&voice[..48_000], 16_000.0, Some(json))), "personal").as_string(), Some(id));
    // One emotion only: refused, saying what to record.
    let mut one = ok(c.begin_enrolment());
    ok(one.add(&voice[..64_000], 16_000.0, "happy"));
    ok(one.add(&voice[64_000..128_000], 16_000.0, "happy"));
    assert!(c.finish_enrolment(&one).is_err());
}
