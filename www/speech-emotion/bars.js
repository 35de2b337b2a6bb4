// The bars and the words for a prediction, in one place for the custom element (meter.js)
// and the demo page (www/app.js). No styles here: each host styles the classes
// (.bar, .name, .track, .fill, .value, .top) and parts (bar, fill) itself.

export const STATE_TEXT = { idle: "Not listening", starting: "Starting…", listening: "Listening…", no_speech: "No speech", uncertain: "Uncertain" };

/** 0.426 → "43 %". */
export const percent = (p) => `${Math.round(100 * p)} %`;

/** What a prediction or clip result says: "happy", "Uncertain (maybe happy)", "No speech". */
export function stateText(p) {
  if (p.state === "emotion") return p.label;
  return STATE_TEXT[p.state] + (p.state === "uncertain" && p.label ? ` (maybe ${p.label})` : "");
}

function row(label) {
  const bar = document.createElement("div");
  bar.className = "bar";
  bar.dataset.label = label;
  bar.setAttribute("role", "meter");
  bar.setAttribute("aria-label", label);
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.setAttribute("aria-valuenow", "0");
  const track = Object.assign(document.createElement("span"), { className: "track" });
  track.part = "bar";
  const fill = Object.assign(document.createElement("span"), { className: "fill" });
  fill.part = "fill";
  track.append(fill);
  const name = Object.assign(document.createElement("span"), { className: "name", textContent: label });
  bar.append(name, track, Object.assign(document.createElement("span"), { className: "value", textContent: "–" }));
  return bar;
}

/** One bar per label in `container` (made when the labels change, then only updated);
 * `probabilities` null shows none ("–"), `top` is the label to emphasise. */
export function renderBars(container, labels, probabilities, top) {
  if (container.dataset.labels !== labels.join(",")) {
    container.replaceChildren(...labels.map(row));
    container.dataset.labels = labels.join(",");
  }
  [...container.children].forEach((bar, i) => {
    const p = probabilities ? probabilities[i] : 0;
    bar.classList.toggle("top", probabilities !== null && bar.dataset.label === top);
    bar.setAttribute("aria-valuenow", String(Math.round(100 * p)));
    bar.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    bar.querySelector(".value").textContent = probabilities ? percent(p) : "–";
  });
}
