// Offline support: the page, its scripts, the wasm and the models are cached on the first
// visit and served from the cache afterwards, refreshed in the background when online.
// Only same-origin GET requests are handled; nothing is ever sent anywhere.
const CACHE = "speech-emotion-v2";
const SHELL = [
  "./", "index.html", "app.js", "bars.js", "live.js", "timeline.js", "worker.js", "capture-worklet.js",
  "style.css", "favicon.svg", "manifest.webmanifest", "wasm-build.js",
];
importScripts("wasm-build.js");
// Only the build this browser runs is cached: the other would double the download.
const build = self.speechEmotionWasm.dir(null);
SHELL.push(`${build}/speech_emotion.js`, `${build}/speech_emotion_bg.wasm`);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(event.request, { ignoreSearch: true });
      const fresh = fetch(event.request)
        .then((response) => {
          if (response.ok) cache.put(event.request, response.clone());
          return response;
        })
        .catch(() => cached ?? Response.error());
      return cached ?? fresh;
    }),
  );
});
