// One horizontal bar per label; created once per label set, then only updated.
export const percent = (p) => `${(100 * p).toFixed(0)} %`;

export function renderBars(container, labels, probabilities, top) {
  if (container.dataset.labels !== labels.join(",")) {
    container.replaceChildren(
      ...labels.map((label) => {
        const row = document.createElement("div");
        row.className = "bar";
        row.dataset.label = label;
        row.setAttribute("role", "meter");
        row.setAttribute("aria-label", label);
        row.setAttribute("aria-valuemin", "0");
        row.setAttribute("aria-valuemax", "100");
        const name = Object.assign(document.createElement("span"), { className: "name", textContent: label });
        const track = Object.assign(document.createElement("span"), { className: "track" });
        track.append(Object.assign(document.createElement("span"), { className: "fill" }));
        row.append(name, track, Object.assign(document.createElement("span"), { className: "value" }));
        return row;
      }),
    );
    container.dataset.labels = labels.join(",");
  }
  [...container.children].forEach((row, i) => {
    const p = probabilities ? probabilities[i] : 0;
    row.classList.toggle("top", row.dataset.label === top);
    row.setAttribute("aria-valuenow", (100 * p).toFixed(0));
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".value").textContent = probabilities ? percent(p) : "–";
  });
}
