// Offline support with one download per file version. The list of files and the SHA-256 of
// each comes from asset-manifest.js, which the build generates (scripts/asset-manifest.mjs);
// a deploy changes it, so the browser's own update check of this script and its imports is
// the only request a visit makes when nothing changed.
// - install: one cache per manifest version. Files whose hash is unchanged are copied from
//   the previous version's cache; the others are fetched (the HTTP cache first: on a first
//   visit the Worker has usually just downloaded the wasm) and kept only if their content
//   has the manifest's hash, so a cache never mixes versions.
// - fetch: files of the manifest come from this version's cache, never from the network
//   while it is there; anything else goes to the network untouched. Only same-origin GETs.
// - a new version waits until no page uses the old one (a reload of the only tab switches),
//   so a page never runs old JS against a new wasm or the reverse.
importScripts("speech-emotion/wasm-build.js", "asset-manifest.js");

const MANIFEST = self.ASSET_MANIFEST;
const PREFIX = "speech-emotion-";
const CACHE = `${PREFIX}${MANIFEST.version}`;
const HASH_HEADER = "X-Asset-Sha256";
// Only the build this browser runs is precached: the other would double the download.
const build = self.speechEmotionWasm.dir(null);
const PRECACHE = { ...MANIFEST.shell, ...MANIFEST.builds[build] };
const KNOWN = { ...MANIFEST.shell, ...MANIFEST.builds.pkg, ...MANIFEST.builds["pkg-scalar"], ...MANIFEST.lazy };
const scope = new URL(self.registration.scope);
const urlOf = (path) => new URL(path, scope).href;

async function sha256(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, MANIFEST.hashDigits);
}

/** The response with its body checked against the manifest, or null. */
async function verified(response, hash) {
  if (!response.ok || response.type !== "basic") return null;
  const body = await response.arrayBuffer();
  if ((await sha256(body)) !== hash) return null;
  const headers = new Headers(response.headers); // Content-Security-Policy included: a Worker's policy
  headers.delete("Content-Encoding"); // the body is decoded now
  headers.delete("Content-Length");
  headers.set(HASH_HEADER, hash);
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** HTTP cache first (no bytes when the page just fetched it), then revalidated, then forced.
 * The page is fetched as the scope's URL, the one a visit has just loaded. */
async function download(path, hash) {
  const url = path === "index.html" ? scope.href : urlOf(path);
  for (const cache of ["force-cache", "no-cache", "reload"]) {
    const response = await verified(await fetch(url, { cache, credentials: "same-origin" }), hash);
    if (response) return response;
  }
  throw new Error(`${path}: the server's content does not match version ${MANIFEST.version}`);
}

async function previousCopy(path, hash) {
  for (const name of await caches.keys()) {
    if (name === CACHE || !name.startsWith(PREFIX)) continue;
    const hit = await (await caches.open(name)).match(urlOf(path));
    if (hit?.headers.get(HASH_HEADER) === hash) return hit;
  }
  return null;
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const add = async ([path, hash]) => {
      if ((await cache.match(urlOf(path)))?.headers.get(HASH_HEADER) === hash) return;
      await cache.put(urlOf(path), (await previousCopy(path, hash)) ?? (await download(path, hash)));
    };
    // Small files first, the wasm last: by then the Worker's own request has usually
    // finished and the HTTP cache answers.
    const entries = Object.entries(PRECACHE);
    await Promise.all(entries.filter(([path]) => !path.endsWith(".wasm")).map(add));
    for (const entry of entries.filter(([path]) => path.endsWith(".wasm"))) await add(entry);
    // The first version takes over at once (there is nothing to mix with); later ones wait.
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE && name.startsWith(PREFIX)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

/** Path of a same-origin URL relative to the scope ("" for the scope itself), or null. */
function pathOf(url) {
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  return decodeURIComponent(url.pathname.slice(scope.pathname.length));
}

async function fromCache(path, request, event) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(urlOf(path));
  if (hit) return hit;
  // Not precached (a model fetched on demand, the other wasm build) or evicted: the network,
  // kept when it is this version's content.
  const response = await fetch(request);
  const copy = response.clone();
  event.waitUntil(verified(copy, KNOWN[path]).then((ok) => ok && cache.put(urlOf(path), ok)).catch(() => {}));
  return response;
}

async function navigate(event, path) {
  // A waiting version and this is the only tab: switch now and load the page again, so
  // everything comes from the new version.
  const waiting = self.registration.waiting;
  if (waiting && (await self.clients.matchAll({ type: "window" })).length <= 1) {
    waiting.postMessage("skip-waiting");
    return new Response("", { headers: { "Content-Type": "text/html", Refresh: "0" } });
  }
  return fromCache(path, event.request, event);
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET") return;
  let path = pathOf(url);
  if (path === null) return;
  if (request.mode === "navigate" && (path === "" || path.endsWith("/"))) path += "index.html";
  if (!(path in KNOWN)) return; // not ours: the network, as if there were no service worker
  event.respondWith(request.mode === "navigate" && path === "index.html" ? navigate(event, path) : fromCache(path, request, event));
});
