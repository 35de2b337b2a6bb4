//! The JavaScript API: a thin shell over the engine ([`EmotionStream`], [`ClipClassifier`],
//! calibration) as one `Engine` object.
//! No DSP or model logic lives here; results cross as plain JS objects.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use speech_emotion::classify::{classify_clip, ClipClassifier, ClipOptions};
use speech_emotion::features::StreamingMfcc;
use speech_emotion::model::EmotionModel;
use speech_emotion::profile::{PersonalProfile, ProfileBuilder};
use speech_emotion::stream::{EmotionStream, StreamConfig};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
export type StreamState = "emotion" | "uncertain" | "no_speech";
export interface Prediction {
  time_s: number; state: StreamState; label: string | null; confidence: number;
  probabilities: number[]; raw_probabilities: number[]; speech_probability: number;
  level_db: number; calibrated: boolean; personal?: string;
}
export interface Segment {
  start_s: number; end_s: number; speech: boolean; speech_probability: number;
  label: string | null; probabilities: number[];
}
export interface ClipResult {
  duration_s: number; state: StreamState; label: string | null; confidence: number;
  probabilities: number[]; labels: string[]; speech: boolean; calibrated: boolean; personal?: string; segments: Segment[];
}
export interface ProfileSummary { id: string; model: string; labels: ProfileLabel[]; calibrated: boolean; }
export interface ProfileLabel { label: string; clips: number; speech_seconds: number; }
export interface EnrolledLabel { label: string; clips: number; audio_seconds: number; }
export interface SpeakerProfile { sum: number[]; active_frames: number; active_seconds: number; }
export interface ModelInfo {
  name: string; fingerprint: string; labels: string[]; labelAliases: Record<string, string>; sampleRate: number;
  windowSeconds: number; hopSeconds: number; uncertainThreshold: number; speechThreshold: number;
  streamingMode: IncrementalStreaming | FullWindowStreaming; takesProfiles: boolean;
}
export interface IncrementalStreaming { kind: "incremental"; receptive_field: number; chunk_frames: number; }
export interface FullWindowStreaming { kind: "full_window"; reason: string; }
"#;

#[wasm_bindgen(start)]
fn start() {
    // Panics become a console message plus a thrown RuntimeError instead of a silent abort.
    console_error_panic_hook::set_once();
}

/// Results cross to JavaScript as one JSON string and `JSON.parse`: building the object
/// property by property across the boundary (serde-wasm-bindgen) took 9 % of a stream
/// update, and this way the numbers read exactly as in the CLI's JSON.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let json = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
    js_sys::JSON::parse(&json).map_err(|_| JsError::new("internal error: JSON.parse refused the engine's JSON"))
}

/// The way back: `JSON.stringify`, then serde.
fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let json = js_sys::JSON::stringify(value).map_err(|_| "it cannot be written as JSON".to_string())?;
    serde_json::from_str(&String::from(json)).map_err(|e| e.to_string())
}

fn js_err(e: speech_emotion::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// The engine: one model, loaded once, for the live stream, whole clips and calibration.
/// `startStream(rate)` begins listening at the microphone's rate (again and again, without
/// loading the model again); clips and calibration samples carry their own rate.
#[wasm_bindgen]
pub struct Engine {
    /// Owns the model; idle (at the model's rate) until `startStream`.
    stream: EmotionStream,
    listening: bool,
    /// A clip arriving in pieces (`beginClip` … `finishClip`).
    clip: Option<ClipClassifier>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelInfo<'a> {
    name: &'a str,
    fingerprint: &'a str,
    labels: &'a [String],
    label_aliases: &'a std::collections::BTreeMap<String, String>,
    sample_rate: u32,
    window_seconds: f64,
    hop_seconds: f64,
    uncertain_threshold: f32,
    speech_threshold: f32,
    /// Whether each hop runs only the new frames through the per-frame layers, or the
    /// whole window (and why): what a custom model costs per update.
    streaming_mode: &'a speech_emotion::StreamingMode,
    /// Whether the metadata has a `personal` block, so that personal profiles can be made.
    takes_profiles: bool,
}

#[wasm_bindgen]
impl Engine {
    /// An engine with the embedded default model.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Engine, JsError> {
        Self::from_model(EmotionModel::embedded().map_err(js_err)?)
    }

    /// An engine with your own ONNX model bytes and metadata JSON.
    #[wasm_bindgen(js_name = withModel)]
    pub fn with_model(onnx: &[u8], metadata_json: &str) -> Result<Engine, JsError> {
        Self::from_model(EmotionModel::from_bytes(onnx, metadata_json).map_err(js_err)?)
    }

    fn from_model(model: EmotionModel) -> Result<Engine, JsError> {
        let rate = f64::from(model.metadata().sample_rate());
        let stream = EmotionStream::new(model, rate, StreamConfig::default()).map_err(js_err)?;
        Ok(Engine { stream, listening: false, clip: None })
    }

    #[wasm_bindgen(js_name = modelInfo, unchecked_return_type = "ModelInfo")]
    pub fn model_info(&self) -> Result<JsValue, JsError> {
        let model = self.stream.model();
        let meta = model.metadata();
        to_js(&ModelInfo {
            name: &meta.name,
            fingerprint: model.fingerprint(),
            labels: &meta.labels,
            label_aliases: &meta.label_aliases,
            sample_rate: meta.sample_rate(),
            window_seconds: meta.window_seconds(),
            hop_seconds: self.stream.config().hop_seconds,
            uncertain_threshold: self.stream.config().uncertain_threshold.unwrap_or(meta.uncertain_threshold),
            speech_threshold: meta.speech.threshold,
            streaming_mode: model.streaming_mode(),
            takes_profiles: meta.personal.is_some(),
        })
    }

    /// Starts (or starts again) the live stream, for audio at `inputSampleRate` Hz: the
    /// window begins as silence; a calibration stays.
    #[wasm_bindgen(js_name = startStream)]
    pub fn start_stream(&mut self, input_sample_rate: f64) -> Result<(), JsError> {
        self.stream.set_input_rate(input_sample_rate).map_err(js_err)?;
        self.listening = true;
        Ok(())
    }

    /// Ends the live stream (the model stays loaded).
    #[wasm_bindgen(js_name = stopStream)]
    pub fn stop_stream(&mut self) {
        self.listening = false;
        self.stream.reset();
    }

    /// Feeds live samples; returns every prediction that became due (possibly none).
    #[wasm_bindgen(js_name = pushAll, unchecked_return_type = "Prediction[]")]
    pub fn push_all(&mut self, samples: &[f32]) -> Result<JsValue, JsError> {
        if !self.listening {
            return Err(JsError::new("call startStream before pushAll"));
        }
        to_js(&self.stream.push(samples).map_err(js_err)?)
    }

    /// Forgets the stream's audio and smoothing (a calibration stays).
    pub fn reset(&mut self) {
        self.stream.reset();
    }

    /// Calibrates to a speaker from a sample of their ordinary, calm speech (mono, at
    /// `sampleRate` Hz; 10–20 s). Used by the stream and by clips until cleared.
    #[wasm_bindgen(unchecked_return_type = "SpeakerProfile")]
    pub fn calibrate(&mut self, samples: &[f32], sample_rate: f64) -> Result<JsValue, JsError> {
        to_js(&self.stream.calibrate(samples, sample_rate).map_err(js_err)?)
    }

    /// Uses a speaker profile returned by `calibrate` (e.g. on another engine), or with
    /// `null` forgets it.
    #[wasm_bindgen(js_name = setCalibration)]
    pub fn set_calibration(&mut self, #[wasm_bindgen(unchecked_param_type = "SpeakerProfile | null")] profile: JsValue) -> Result<(), JsError> {
        let profile = if profile.is_null() || profile.is_undefined() {
            None
        } else {
            Some(from_js(&profile).map_err(|e| JsError::new(&format!("not a speaker profile: {e}")))?)
        };
        self.stream.set_calibration(profile).map_err(js_err)
    }

    /// Forgets the calibration ("new speaker") and the stream's audio.
    #[wasm_bindgen(js_name = clearCalibration)]
    pub fn clear_calibration(&mut self) -> Result<(), JsError> {
        self.stream.set_calibration(None).map_err(js_err)
    }

    #[wasm_bindgen(getter)]
    pub fn calibrated(&self) -> bool {
        self.stream.calibration().is_some()
    }

    /// Mixes a personal profile (the JSON `finishEnrolment` returned, or an exported file)
    /// into every later result, live and clips, or with `null` stops; the stream starts
    /// again. A profile that cannot be used is refused and the previous one stays.
    #[wasm_bindgen(js_name = setProfile, unchecked_return_type = "ProfileSummary | null")]
    pub fn set_profile(&mut self, json: Option<String>) -> Result<JsValue, JsError> {
        let profile = json.map(|j| PersonalProfile::from_json(&j, self.stream.model())).transpose().map_err(js_err)?;
        let summary = profile.as_ref().map(PersonalProfile::summary);
        self.stream.set_profile(profile).map_err(js_err)?;
        to_js(&summary)
    }

    /// Checks a profile's JSON against this model without using it, and says what it holds.
    #[wasm_bindgen(js_name = readProfile, unchecked_return_type = "ProfileSummary")]
    pub fn read_profile(&self, json: &str) -> Result<JsValue, JsError> {
        to_js(&PersonalProfile::from_json(json, self.stream.model()).map_err(js_err)?.summary())
    }

    /// Starts collecting a person's labelled clips for a profile of this engine's model.
    #[wasm_bindgen(js_name = beginEnrolment)]
    pub fn begin_enrolment(&self) -> Result<Enrolment, JsError> {
        Ok(Enrolment { builder: ProfileBuilder::new(self.stream.model()).map_err(js_err)? })
    }

    /// Builds the profile from an enrolment's clips: its JSON, which nothing stores (pass it
    /// to `setProfile`, or keep it where the user chose). The enrolment keeps its clips.
    #[wasm_bindgen(js_name = finishEnrolment)]
    pub fn finish_enrolment(&mut self, enrolment: &Enrolment) -> Result<String, JsError> {
        Ok(enrolment.builder.finish(self.stream.model_mut()).map_err(js_err)?.to_json())
    }

    /// Classifies a whole mono clip at `sampleRate` Hz, with a per-segment timeline; with
    /// `profile` (a profile's JSON) that profile instead of the engine's.
    #[wasm_bindgen(js_name = classifyClip, unchecked_return_type = "ClipResult")]
    pub fn classify_clip(&mut self, samples: &[f32], sample_rate: f64, profile: Option<String>) -> Result<JsValue, JsError> {
        let options = self.clip_options(profile)?;
        let result = classify_clip(self.stream.model_mut(), samples, sample_rate, &options).map_err(js_err)?;
        to_js(&result)
    }

    /// Starts a clip that arrives in pieces of mono audio at `sampleRate` Hz (a long file
    /// read a block at a time): memory stays at one model window, however long the clip.
    /// The result equals `classifyClip` on the whole clip. Replaces an unfinished clip.
    #[wasm_bindgen(js_name = beginClip)]
    pub fn begin_clip(&mut self, sample_rate: f64, profile: Option<String>) -> Result<(), JsError> {
        let options = self.clip_options(profile)?;
        self.clip = Some(ClipClassifier::new(self.stream.model().metadata(), sample_rate, &options).map_err(js_err)?);
        Ok(())
    }

    /// The next piece of the clip started by `beginClip`.
    #[wasm_bindgen(js_name = pushClip)]
    pub fn push_clip(&mut self, samples: &[f32]) -> Result<(), JsError> {
        let clip = self.clip.as_mut().ok_or_else(|| JsError::new("call beginClip before pushClip"))?;
        let result = clip.push(self.stream.model_mut(), samples);
        if result.is_err() {
            self.clip = None; // a clip with a hole in it would be a wrong answer
        }
        result.map_err(js_err)
    }

    /// Ends the clip started by `beginClip` and returns its result.
    #[wasm_bindgen(js_name = finishClip, unchecked_return_type = "ClipResult")]
    pub fn finish_clip(&mut self) -> Result<JsValue, JsError> {
        let clip = self.clip.take().ok_or_else(|| JsError::new("call beginClip before finishClip"))?;
        to_js(&clip.finish(self.stream.model_mut()).map_err(js_err)?)
    }

    /// The engine's calibration and profile, or the given profile with its own calibration.
    fn clip_options(&self, profile: Option<String>) -> Result<ClipOptions, JsError> {
        let profile = match profile {
            Some(json) => Some(PersonalProfile::from_json(&json, self.stream.model()).map_err(js_err)?),
            None => self.stream.profile().cloned(),
        };
        let calibration = match &profile {
            Some(p) if p.calibration.is_some() => None, // the profile brings its own
            _ => self.stream.calibration().cloned(),
        };
        Ok(ClipOptions { calibration, profile, ..ClipOptions::default() })
    }
}

/// A person's labelled clips on the way to a personal profile (`Engine.beginEnrolment`).
/// The clips stay in this object's memory only.
#[wasm_bindgen]
pub struct Enrolment {
    builder: ProfileBuilder,
}

#[wasm_bindgen]
impl Enrolment {
    /// Adds a mono clip at `sampleRate` Hz of `label` (a model label or an alias); returns
    /// what every label has so far.
    #[wasm_bindgen(unchecked_return_type = "EnrolledLabel[]")]
    pub fn add(&mut self, samples: &[f32], sample_rate: f64, label: &str) -> Result<JsValue, JsError> {
        self.builder.enrol(samples, sample_rate, label).map_err(js_err)?;
        self.status()
    }

    /// Clips and seconds of audio per model label so far.
    #[wasm_bindgen(unchecked_return_type = "EnrolledLabel[]")]
    pub fn status(&self) -> Result<JsValue, JsError> {
        to_js(&self.builder.status())
    }
}

/// The warning for a WAV read in pieces that ends before its header's length (the worker
/// reads WAVs itself): the CLI's words for it, from the engine.
#[wasm_bindgen(js_name = truncationWarning)]
pub fn truncation_warning(declared_seconds: f64, found_seconds: f64) -> String {
    speech_emotion::DecodeWarning::Truncated { expected_s: declared_seconds, found_s: found_seconds }.to_string()
}

/// The stages on their own, for embedders that bring their own features or want only the
/// features, and for the benchmarks that time each stage.
///
/// MFCC with the embedded model's parameters, streamed: 16 kHz samples in, every frame that
/// became complete out (row-major, `nMfcc` values per frame).
#[wasm_bindgen]
pub struct Mfcc {
    inner: StreamingMfcc,
}

#[wasm_bindgen]
impl Mfcc {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Mfcc, JsError> {
        let meta = speech_emotion::model::ModelMetadata::from_json(speech_emotion::model::EMBEDDED_METADATA).map_err(js_err)?;
        Ok(Mfcc { inner: StreamingMfcc::new(&meta.features).map_err(js_err)? })
    }

    #[wasm_bindgen(getter, js_name = nMfcc)]
    pub fn n_mfcc(&self) -> usize {
        self.inner.n_mfcc()
    }

    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<f32>, JsError> {
        speech_emotion::audio::check_samples(samples).map_err(js_err)?;
        let mut frames = Vec::new();
        self.inner.push(samples, |frame| frames.extend_from_slice(frame));
        Ok(frames)
    }
}

/// The embedded model alone: class probabilities for one window of normalised MFCC frames
/// (`inputLength` values, frames × coefficients, row-major).
#[wasm_bindgen]
pub struct Model {
    inner: EmotionModel,
}

#[wasm_bindgen]
impl Model {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Model, JsError> {
        Ok(Model { inner: EmotionModel::embedded().map_err(js_err)? })
    }

    #[wasm_bindgen(getter, js_name = inputLength)]
    pub fn input_length(&self) -> usize {
        let meta = self.inner.metadata();
        meta.window_frames * meta.features.n_mfcc
    }

    pub fn predict(&mut self, window: &[f32]) -> Result<Vec<f32>, JsError> {
        Ok(self.inner.predict(window).map_err(js_err)?.probabilities)
    }
}
