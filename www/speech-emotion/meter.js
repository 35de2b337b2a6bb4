// <speech-emotion-meter>: a Start/Stop button, the live state and one bar per emotion.
// No framework; an open shadow root themed with CSS custom properties:
//   --se-bar-color, --se-top-color (the leading emotion), --se-track-color, --se-text-color,
//   --se-muted-color, --se-error-color, --se-font, --se-radius, --se-gap, --se-bar-height
// and parts (::part(button | state | bars | bar | fill | error)).
// Attributes: wasm="simd|scalar" (force a build), model + metadata (URLs of another model),
// profile (URL of a personal profile exported by the page or written by `speech-emotion enrol`).
// Events (bubbling, composed): "prediction" (detail: Prediction), "statechange"
// (detail: {state}), "error" (detail: SpeechEmotionError).
// Property `engine`: a SpeechEmotion to share (default: the package's shared engine).
// Property `profile`: a personal profile (a Profile, its JSON text or a Blob) for listening.
import { renderBars, STATE_TEXT, stateText } from "./bars.js";
import { SpeechEmotion, sharedEngine } from "./index.js";

const STYLE = `
:host { display: block; font: var(--se-font, inherit); color: var(--se-text-color, inherit); }
:host([hidden]) { display: none; }
.row { display: flex; align-items: center; gap: var(--se-gap, 0.75em); flex-wrap: wrap; }
button { font: inherit; padding: 0.4em 1em; border-radius: var(--se-radius, 6px); cursor: pointer; }
.state { color: var(--se-muted-color, GrayText); }
.bars { display: grid; grid-template-columns: max-content 1fr 3.5em; gap: 0.3em var(--se-gap, 0.75em); align-items: center; margin-top: 0.6em; }
.bar { display: grid; grid-column: 1 / -1; grid-template-columns: subgrid; align-items: center; }
.track { display: block;  height: var(--se-bar-height, 0.8em); background: var(--se-track-color, rgba(128, 128, 128, 0.2)); border-radius: var(--se-radius, 6px); overflow: hidden; }
.fill { display: block; height: 100%; width: 0; background: var(--se-bar-color, #4c6ef5); transition: width 120ms linear; }
.top .fill { background: var(--se-top-color, var(--se-bar-color, #e8590c)); }
.value { text-align: right; font-variant-numeric: tabular-nums; }
.error { color: var(--se-error-color, #c92a2a); margin: 0.5em 0 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

// A constructed stylesheet, shared by every meter: unlike a <style> element it needs no
// 'unsafe-inline' in the host page's Content-Security-Policy.
let shared = null;
function sheet() {
  if (!shared) {
    shared = new CSSStyleSheet();
    shared.replaceSync(STYLE);
  }
  return shared;
}

export class SpeechEmotionMeter extends HTMLElement {
  static observedAttributes = ["model", "metadata"];

  constructor() {
    super();
    this.engine = null;
    /** A personal profile to listen with (Profile, JSON text or Blob); null: none; left
     * undefined, the engine's own choice stands. */
    this.profile = undefined;
    this.listener = null;
    this.labels = [];
    const root = this.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [sheet()];
    this.button = Object.assign(document.createElement("button"), { type: "button", textContent: "Start listening", disabled: true });
    this.button.part = "button";
    this.stateText = Object.assign(document.createElement("span"), { className: "state", textContent: "Loading…" });
    this.stateText.part = "state";
    this.announce = Object.assign(document.createElement("span"), { className: "visually-hidden" });
    this.announce.setAttribute("aria-live", "polite");
    const row = Object.assign(document.createElement("div"), { className: "row" });
    row.append(this.button, this.stateText, this.announce);
    this.bars = Object.assign(document.createElement("div"), { className: "bars" });
    this.bars.part = "bars";
    this.bars.setAttribute("role", "group");
    this.bars.setAttribute("aria-label", "Emotion probabilities");
    this.errorText = Object.assign(document.createElement("p"), { className: "error", hidden: true });
    this.errorText.part = "error";
    this.errorText.setAttribute("role", "alert");
    root.append(row, this.bars, this.errorText);
    this.button.addEventListener("click", () => (this.listener ? this.stop() : this.start()));
    this.onReady = (e) => this.showLabels(e.detail.labels);
    this.onError = (e) => this.showError(e.detail);
  }

  connectedCallback() {
    if (!this.engine) {
      const wasm = this.getAttribute("wasm");
      this.engine = wasm ? new SpeechEmotion({ wasm }) : sharedEngine();
    }
    this.engine.addEventListener("ready", this.onReady);
    this.engine.addEventListener("error", this.onError);
    this.engine.ready.then(
      (info) => {
        this.showLabels(info.labels);
        if (this.hasAttribute("model")) this.loadModel();
        else this.setState("idle");
      },
      (e) => this.showError(e),
    );
  }

  disconnectedCallback() {
    this.stop();
    this.engine?.removeEventListener("ready", this.onReady);
    this.engine?.removeEventListener("error", this.onError);
  }

  attributeChangedCallback() {
    if (this.isConnected && this.engine?.info) this.loadModel();
  }

  async loadModel() {
    const [onnx, metadata] = [this.getAttribute("model"), this.getAttribute("metadata")];
    if (!onnx || !metadata) return;
    this.button.disabled = true;
    try {
      await this.engine.loadModel(new URL(onnx, document.baseURI), new URL(metadata, document.baseURI));
    } catch (e) {
      this.showError(e);
    }
    this.setState("idle");
  }

  /** Starts listening (call from a user gesture: browsers start audio only from one). */
  async start() {
    if (this.listener || !this.engine) return;
    this.showError(null);
    this.setState("starting");
    try {
      const url = this.getAttribute("profile");
      if (url && !this.profile) this.profile = await (await fetch(new URL(url, document.baseURI))).text();
      this.listener = await this.engine.listen({
        profile: this.profile,
        onPrediction: (p) => this.showPrediction(p),
        onState: (state) => {
          if (state === "stopped") {
            this.listener = null;
            this.setState("idle");
          }
        },
      });
      this.setState("listening");
    } catch (e) {
      this.setState("idle");
      this.showError(e);
    }
  }

  stop() {
    this.listener?.stop();
    this.listener = null;
  }

  setState(state, text = STATE_TEXT[state] ?? state) {
    this.dataset.state = state;
    this.stateText.textContent = text;
    this.button.textContent = this.listener || state === "starting" ? "Stop" : "Start listening";
    this.button.disabled = state === "starting" || !this.engine?.info;
    this.button.setAttribute("aria-pressed", String(Boolean(this.listener)));
    if (state === "idle") this.showPrediction(null);
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state }, bubbles: true, composed: true }));
  }

  showLabels(labels) {
    this.labels = labels;
    renderBars(this.bars, labels, null, null);
  }

  showPrediction(p) {
    renderBars(this.bars, this.labels, p && p.state !== "no_speech" ? p.probabilities : null, p?.label);
    if (!p) return;
    const text = stateText(p) + (p.personal ? " · personal" : "");
    this.dataset.state = p.state;
    this.dataset.label = p.label ?? "";
    this.stateText.textContent = text;
    if (this.announce.textContent !== text) this.announce.textContent = text; // changes, not every update
    this.dispatchEvent(new CustomEvent("prediction", { detail: p, bubbles: true, composed: true }));
  }

  showError(error) {
    this.errorText.hidden = !error;
    this.errorText.textContent = error?.message ?? "";
    if (error) this.dispatchEvent(new CustomEvent("error", { detail: error, bubbles: true, composed: true }));
  }
}

if (!customElements.get("speech-emotion-meter")) customElements.define("speech-emotion-meter", SpeechEmotionMeter);
