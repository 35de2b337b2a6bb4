// What the package README asks of a Vite project:
// - module workers (the classifier Worker loads one of two wasm builds on demand, which
//   classic workers cannot split);
// - the AudioWorklet module kept as a file: Vite inlines small assets as data: URLs, which a
//   Content-Security-Policy with script-src 'self' refuses to load as a worklet.
export default {
  worker: { format: "es" },
  build: {
    target: "es2022",
    assetsInlineLimit: (file) => (file.endsWith("capture-worklet.js") ? false : undefined),
  },
};
