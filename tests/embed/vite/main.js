// The same page as ../plain, through a bundler: bare specifiers, assets found by Vite.
import "speech-emotion/meter";
import { classifyFile } from "speech-emotion";

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
