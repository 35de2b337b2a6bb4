// Types of the speech-emotion package. The result types (Prediction, ClipResult, ModelInfo…)
// are the wasm module's own declarations (written beside the Rust types they describe and
// checked against them by tests/ts_types.rs); this file adds the JS API around them.
import type { ClipResult, EnrolledLabel, ModelInfo, Prediction, ProfileLabel, ProfileSummary, Segment, SpeakerProfile, StreamState } from "./pkg/speech_emotion.js";

export type { ClipResult, EnrolledLabel, ModelInfo, Prediction, ProfileLabel, ProfileSummary, Segment, SpeakerProfile, StreamState };

/** What `SpeechEmotionError.code` can be (see CODES for a description of each). */
export type ErrorCode =
  | "insecure-context" | "no-audio-worklet" | "mic-denied" | "mic-not-found" | "mic-busy" | "mic-failed"
  | "mic-disconnected" | "no-audio-output" | "audio-suspended" | "audio-setup-failed" | "not-audio" | "no-audio"
  | "file-too-large" | "file-unreadable"
  | "model-invalid" | "model-changed" | "not-listening" | "calibration-failed" | "enrolment-failed" | "profile-invalid" | "classify-failed"
  | "engine-failed" | "engine-crashed" | "engine-closed";

export const CODES: Record<ErrorCode, string>;

export class SpeechEmotionError extends Error {
  readonly name: "SpeechEmotionError";
  /** For programs; `message` is for people and says what to do. */
  readonly code: ErrorCode;
}

/** The model in use, plus which wasm build runs it ("pkg" = SIMD, "pkg-scalar" = without). */
export type EngineInfo = ModelInfo & { build: "pkg" | "pkg-scalar" };

export interface CalibrationState {
  calibrated: boolean;
  /** Seconds of speech the calibration was made from (when calibrated). */
  active_seconds?: number;
}

/** A model: URL (string or URL), Blob, or bytes; its metadata: URL, Blob, JSON text or object. */
export type ModelSource = string | URL | Blob | ArrayBuffer | ArrayBufferView;
export type MetadataSource = string | URL | Blob | object;

export interface ListenOptions {
  /** Every update while listening (4 per second). */
  onPrediction?: (prediction: Prediction) => void;
  /** "listening" once audio flows; "stopped" when stop() is called or, with an error, when listening ends on its own. */
  onState?: (state: "listening" | "stopped", error?: SpeechEmotionError) => void;
  /** The input's peak level (0…1), once per animation frame. */
  onLevel?: (peak: number) => void;
  /** A personal profile to mix in (null: none); default: the one in use, if any. */
  profile?: ProfileSource | null;
}

/** A personal profile: a Profile, or its exported JSON as text or a file. */
export type ProfileSource = Profile | string | Blob;

export interface ClassifyOptions {
  onProgress?: (progress: Progress) => void;
  /** This personal profile for this recording (default: the one in use, if any). */
  profile?: ProfileSource;
}

/**
 * A person's profile: labelled clips of their own voice (2 or more emotions, each at least
 * 2 clips and 3 s of speech), from which results also learn how this person sounds. It lives
 * in memory only; keep `json` (export()) wherever the user chooses.
 */
export class Profile {
  readonly engine: SpeechEmotion;
  /** The built profile's JSON, or null until built. */
  readonly json: string | null;
  /** What the built profile holds, or null until built. */
  readonly summary: ProfileSummary | null;
  /** The built profile's id (results name it in `personal`), or null. */
  readonly id: string | null;
  /** Clips and seconds of audio per model label so far. */
  readonly status: EnrolledLabel[];
  /** What is still missing before build() can succeed: per label the clips it lacks, or (label null) how many more emotions. */
  readonly missing: { label: string | null; clips: number; emotions?: number }[];
  /** Adds a mono clip of `label`; resolves with every label's status. Rejects with "enrolment-failed". */
  enrol(samples: Float32Array | number[], sampleRate: number, label: string): Promise<EnrolledLabel[]>;
  /** Adds a recording (any format the browser decodes). */
  enrolFile(file: Blob, label: string): Promise<EnrolledLabel[]>;
  /** Adds the next `seconds` (default ENROL_SECONDS) of the live microphone (listen() first). */
  enrolLive(label: string, seconds?: number): Promise<EnrolledLabel[]>;
  /** Builds the profile (again only after new clips); rejects with "enrolment-failed" saying what to record. */
  build(): Promise<{ json: string; summary: ProfileSummary }>;
  /** The profile's JSON text, to save as a file (built first). */
  export(): Promise<string>;
  /** Drops the clips; a built profile stays usable. */
  forgetClips(): Promise<void>;
}

export interface Listener {
  /** The AudioContext's rate (the engine resamples to the model's). */
  readonly sampleRate: number;
  readonly running: boolean;
  /** Stops listening and releases the microphone. */
  stop(): void;
}

export interface Progress { seconds: number; total: number }

export interface SpeechEmotionOptions {
  /** Force a wasm build (default: SIMD where the browser has it). */
  wasm?: "simd" | "scalar";
  /** Create the AudioContext and load the worklet now: listen() then makes no request. */
  prepareListening?: boolean;
}

export interface SpeechEmotionEventMap {
  ready: CustomEvent<EngineInfo>;
  prediction: CustomEvent<Prediction>;
  error: CustomEvent<SpeechEmotionError>;
  profile: CustomEvent<ProfileSummary | null>;
}

export class SpeechEmotion extends EventTarget {
  /** Starts the Worker and resolves once the model is ready. */
  static create(options?: SpeechEmotionOptions): Promise<SpeechEmotion>;
  constructor(options?: SpeechEmotionOptions);
  /** Resolves with the model in use once the Worker is ready (a new promise after a restart). */
  ready: Promise<EngineInfo>;
  /** The model in use (null until ready). */
  info: EngineInfo | null;
  /** Whether the model in use was loaded with loadModel(). */
  custom: boolean;
  readonly listening: boolean;
  listen(options?: ListenOptions): Promise<Listener>;
  stopListening(): void;
  /** A WAV is read in pieces in the Worker (any length); other formats are decoded whole by
   * the browser, up to 256 MB ("file-too-large" above; "file-unreadable" when a read fails). */
  classifyFile(file: Blob, options?: ClassifyOptions): Promise<ClipResult & { warnings?: string[] }>;
  /** Mono samples at any rate. */
  classify(samples: Float32Array | number[], sampleRate: number, options?: { profile?: ProfileSource }): Promise<ClipResult>;
  /** Mono samples of a recording at the model's rate, decoded whole by the browser (up to 256 MB). */
  decode(file: Blob): Promise<{ samples: Float32Array; sampleRate: number }>;
  /** Another model; rejects with "model-invalid" (the previous model stays) when it does not fit. */
  loadModel(onnx: ModelSource, metadata: MetadataSource): Promise<EngineInfo>;
  useBuiltinModel(): Promise<EngineInfo>;
  /** Calibrates to a speaker from 10–20 s of their calm, ordinary speech. */
  calibrate(recording: Blob): Promise<CalibrationState>;
  /** Calibrates from the next `seconds` (default 15) of the live microphone. */
  calibrateLive(seconds?: number): Promise<CalibrationState>;
  /** Forgets the calibration. */
  newSpeaker(): Promise<CalibrationState>;
  /** The personal profile in use, or null. */
  readonly profile: ProfileSummary | null;
  /** A new, empty personal profile for this engine's model. */
  createProfile(): Profile;
  /** Mixes a profile into every later result (null: none); rejects with "profile-invalid" and keeps the previous one. */
  useProfile(profile: ProfileSource | null): Promise<ProfileSummary | null>;
  /** Reads an exported profile and checks it against this model. */
  importProfile(source: string | Blob): Promise<Profile>;
  close(): void;
  addEventListener<K extends keyof SpeechEmotionEventMap>(type: K, listener: (event: SpeechEmotionEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof SpeechEmotionEventMap>(type: K, listener: (event: SpeechEmotionEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** The engine that listen(), classifyFile() and loadModel() share (created on first use). */
/** Seconds of live speech `calibrateLive()` listens to by default. */
export const CALIBRATION_SECONDS: number;

export function sharedEngine(): SpeechEmotion;
/** Listens with the shared engine; `model` is loaded first when given. */
export function listen(options?: ListenOptions & { model?: { onnx: ModelSource; metadata: MetadataSource } }): Promise<Listener>;
export function classifyFile(file: Blob, options?: ClassifyOptions): Promise<ClipResult & { warnings?: string[] }>;
export function loadModel(onnx: ModelSource, metadata: MetadataSource): Promise<EngineInfo>;

/** Seconds Profile.enrolLive() records by default. */
export const ENROL_SECONDS: number;
/** Clips each enrolled emotion needs. */
export const MIN_CLIPS_PER_LABEL: number;
/** A new personal profile on the shared engine. */
export function createProfile(): Profile;
/** Mixes a profile into the shared engine's results. */
export function useProfile(profile: ProfileSource | null): Promise<ProfileSummary | null>;
/** Reads an exported profile with the shared engine. */
export function importProfile(source: string | Blob): Promise<Profile>;
