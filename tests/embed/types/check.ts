// Compiled (never run) by tests/e2e/embed.test.mjs against the packed package's types with
// `tsc --noEmit --strict`: the README's examples type-check, and misuse does not.
import { SpeechEmotion, SpeechEmotionError, classifyFile, createProfile, listen, loadModel, type ClipResult, type Prediction, type ProfileSummary } from "speech-emotion";
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

export async function profileReadme(samples: Float32Array, file: File): Promise<string | undefined> {
  const me = createProfile();
  const status = await me.enrol(samples, 48000, "happy");
  console.log(status[0].label, status[0].clips, status[0].audio_seconds, me.missing[0]?.clips);
  await me.enrolFile(file, "neutral");
  await me.enrolLive("sad", 4);
  const listener = await listen({ profile: me, onPrediction: (p: Prediction) => console.log(p.label, p.personal) });
  listener.stop();
  const result = await classifyFile(file, { profile: me });
  const text: string = await me.export();
  const engine = await SpeechEmotion.create();
  const used: ProfileSummary | null = await engine.useProfile(text);
  console.log(used?.labels[0].speech_seconds, engine.profile?.calibrated);
  const meter = document.querySelector("speech-emotion-meter");
  if (meter) meter.profile = text;
  return result.personal;
}

// @ts-expect-error: a profile is a Profile, its JSON text or a Blob
listen({ profile: 42 });

// @ts-expect-error: not a build the package has
new SpeechEmotion({ wasm: "webgpu" });
// @ts-expect-error: codes are a closed set
const code: SpeechEmotionError["code"] = "mic-unplugged";
export { code };
