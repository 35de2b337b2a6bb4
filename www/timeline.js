// The session history: a canvas chart of every label's probability over time, a summary,
// and CSV / JSON export. History lives only in memory in this tab.
import { csvRow, textCell } from "./csv.js";

// Familiar colours for known emotions; any other label gets one from the fallback list.
const NAMED = {
  neutral: "#868e96", calm: "#12b886", happy: "#f59f00", sad: "#1c7ed6",
  angry: "#e03131", fearful: "#ae3ec9", disgust: "#2f9e44", surprised: "#e8590c",
};
const FALLBACK = ["#4c6ef5", "#d6336c", "#66a80f", "#1098ad", "#f76707", "#7048e8"];
const colorOf = (label, i) => NAMED[label] ?? FALLBACK[i % FALLBACK.length];
const SPAN_S = 60; // the chart shows the last minute

export class Timeline {
  constructor(canvas, legend) {
    this.canvas = canvas;
    this.legend = legend;
    this.labels = [];
    this.model = null; // {name, fingerprint} of the model that produced the entries
    this.entries = []; // {time_s, state, label, probabilities}; time_s runs on across sessions
    this.offset = 0;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  setLabels(labels) {
    this.labels = labels;
    this.entries = [];
    this.legend.replaceChildren(
      ...labels.map((label, i) => {
        const item = Object.assign(document.createElement("span"), { className: "key", textContent: label });
        item.style.setProperty("--key", colorOf(label, i));
        return item;
      }),
    );
    this.draw();
  }

  /** A new listening session: its clock starts at 0 again, so continue after the last entry. */
  startSession() {
    this.offset = this.entries.length ? this.entries.at(-1).time_s + 1 : 0;
  }

  add(prediction) {
    const { time_s, state, label, probabilities, calibrated } = prediction;
    this.entries.push({ time_s: time_s + this.offset, state, label, probabilities, calibrated });
    this.draw();
  }

  clear() {
    this.entries = [];
    this.offset = 0;
    this.draw();
  }

  /** Mean probabilities over the predictions that had speech, and the top label. */
  summary() {
    const speech = this.entries.filter((e) => e.state !== "no_speech");
    if (speech.length === 0) return null;
    const mean = this.labels.map((_, i) => speech.reduce((s, e) => s + e.probabilities[i], 0) / speech.length);
    const top = mean.indexOf(Math.max(...mean));
    return { label: this.labels[top], probabilities: mean, predictions: speech.length, total: this.entries.length };
  }

  // Like the CLI's exports: every row names the model (and its fingerprint) and whether
  // the speaker was calibrated, so a file on its own says what produced it. Labels and the
  // model name come from a model's metadata, which may be anyone's: quoted, never formulas.
  toCsv() {
    const header = ["time_s", "state", "label", ...this.labels, "calibrated", "model", "model_fingerprint"].map(textCell);
    const rows = [csvRow(header)];
    const { name = "", fingerprint = "" } = this.model ?? {};
    for (const e of this.entries) {
      rows.push(csvRow([e.time_s.toFixed(3), textCell(e.state), textCell(e.label), ...e.probabilities.map((p) => p.toFixed(5)), e.calibrated, textCell(name), textCell(fingerprint)]));
    }
    return rows.join("\n") + "\n";
  }

  toJson() {
    return JSON.stringify({ model: this.model, labels: this.labels, predictions: this.entries }, null, 2);
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    const style = getComputedStyle(document.documentElement);
    g.clearRect(0, 0, width, height);
    g.strokeStyle = style.getPropertyValue("--grid").trim();
    g.lineWidth = 1;
    for (const y of [0.25, 0.5, 0.75]) {
      g.beginPath();
      g.moveTo(0, height * (1 - y));
      g.lineTo(width, height * (1 - y));
      g.stroke();
    }
    if (this.entries.length === 0) return;
    // The axis grows with the session up to the last minute, then scrolls.
    const end = this.entries.at(-1).time_s;
    const span = Math.min(SPAN_S, Math.max(10, end - this.entries[0].time_s));
    const start = end - span;
    const x = (t) => (width * (t - start)) / span;
    g.fillStyle = style.getPropertyValue("--muted").trim();
    g.font = "11px system-ui, sans-serif";
    g.fillText(`${Math.max(0, start).toFixed(0)} s`, 2, height - 4);
    const endText = `${end.toFixed(0)} s`;
    g.fillText(endText, width - g.measureText(endText).width - 2, height - 4);
    const shown = this.entries.filter((e) => e.time_s >= start);
    // No-speech stretches are shaded rather than drawn as probabilities.
    g.fillStyle = style.getPropertyValue("--no-speech").trim();
    for (const e of shown) if (e.state === "no_speech") g.fillRect(x(e.time_s) - 2, 0, 4, height);
    g.lineWidth = 2;
    this.labels.forEach((label, i) => {
      g.strokeStyle = colorOf(label, i);
      g.beginPath();
      let drawing = false;
      for (const e of shown) {
        if (e.state === "no_speech") {
          drawing = false;
          continue;
        }
        const px = x(e.time_s);
        const py = height * (1 - e.probabilities[i]);
        if (drawing) g.lineTo(px, py);
        else g.moveTo(px, py);
        drawing = true;
      }
      g.stroke();
    });
  }
}

export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
