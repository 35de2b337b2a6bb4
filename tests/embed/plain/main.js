// A file classified through the package's one-line API.
import { classifyFile } from "./node_modules/speech-emotion/index.js";

const out = document.getElementById("label");
document.getElementById("file").addEventListener("change", async (e) => {
  try {
    const result = await classifyFile(e.target.files[0]);
    out.dataset.label = result.label ?? "none";
    out.textContent = `${result.label ?? "no speech"} (${Math.round(100 * result.confidence)} %)`;
  } catch (error) {
    out.dataset.error = error.code;
    out.textContent = error.message;
  }
});
