// Compiled (never run) by tests/e2e/embed.test.mjs against the packed package's types with
// `tsc --noEmit --strict`: the README's examples type-check, and misuse does not.
import { SpeechEmotion, SpeechEmotionError, classifyFile, listen, loadModel, type ClipResult, type Prediction } from "speech-emotion";
import type { SpeechEmotionMeter } from "speech-emotion/meter";

export async function readme(file: File): Promise<string | null> {
  const listener = await listen({ onPrediction: (p: Prediction) => console.log(p.label, p.probabilities[0]) });
  listener.stop();
  const result: ClipResult = await classifyFile(file);
  await loadModel("models/emotion8.onnx", "models/emotion8.json");
  const engine = await SpeechEmotion.create({ wasm: "scalar" });
  engine.addEventListener("prediction", (e) => console.log(e.detail.state));
  engine.addEventListener("error", (e) => console.log(e.detail.code));
  try {
    await engine.calibrateLive(15);
  } catch (e) {
    if (e instanceof SpeechEmotionError && e.code === "not-listening") console.log(e.message);
  }
  const meter: SpeechEmotionMeter | null = document.querySelector("speech-emotion-meter");
  meter?.stop();
  return result.label;
}

// @ts-expect-error: not a build the package has
new SpeechEmotion({ wasm: "webgpu" });
// @ts-expect-error: codes are a closed set
const code: SpeechEmotionError["code"] = "mic-unplugged";
export { code };
