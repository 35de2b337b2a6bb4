import type { Prediction, ProfileSource, SpeechEmotion, SpeechEmotionError } from "./index.js";

/** `<speech-emotion-meter>`: Start/Stop, the live state and one bar per emotion. */
export class SpeechEmotionMeter extends HTMLElement {
  /** The engine it uses (default: the package's shared engine); set before it is connected. */
  engine: SpeechEmotion | null;
  /** A personal profile to listen with (or the `profile` attribute: a URL of its JSON). */
  profile: ProfileSource | null | undefined;
  start(): Promise<void>;
  stop(): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "speech-emotion-meter": SpeechEmotionMeter;
  }
  interface HTMLElementEventMap {
    prediction: CustomEvent<Prediction>;
    statechange: CustomEvent<{ state: string }>;
  }
}
export type { SpeechEmotionError };
