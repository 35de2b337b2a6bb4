// Start-up self-check of the Content-Security-Policy where the page's <meta> policy does
// not reach: a Worker's policy comes only from its own response headers, so a static host
// that sends none runs the Worker unrestricted. A probe Worker, served like worker.js from
// the same directory, tries to compile a string (`new Function`): our policy (script-src
// without 'unsafe-eval') forbids that, so success means no policy arrived with the script.
// No request is made (it works offline); when the policy is there, Chromium logs the
// refused evaluation once in the probe's console, which is the check succeeding.
// On failure: a console warning and a small visible note; the page keeps working.
const probe = new Worker(new URL("./csp-probe.js", import.meta.url));
probe.onmessage = ({ data }) => {
  probe.terminate();
  document.documentElement.dataset.workerCsp = data.enforced ? "enforced" : "missing";
  if (data.enforced) return;
  const text =
    "This host sends no Content-Security-Policy header with scripts, so the page's Worker runs " +
    "without one (the page itself keeps its policy). See “Hosting” in the README.";
  console.warn(`speech-emotion: ${text}`);
  const note = document.createElement("p");
  note.id = "csp-note";
  note.className = "muted";
  note.style.fontSize = "0.85em"; // CSSOM, which style-src 'self' allows (a style attribute it would not)
  note.setAttribute("role", "note");
  note.textContent = text;
  (document.querySelector("main > header") ?? document.body).append(note);
};
probe.onerror = () => probe.terminate();
