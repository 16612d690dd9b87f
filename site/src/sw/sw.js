/// <reference lib="webworker" />
/**
 * Offline shell: after one visit the pages, their scripts and styles, and the
 * onnxruntime-web files are served from this cache, so a second visit starts
 * at once and works offline. The build (integrations/static-assets.ts) fills
 * in BUILD (a hash of the asset list: each deploy gets a fresh cache) and
 * ASSETS (every file under /_astro/). Model files are not handled here (the page keeps
 * them in its own checked Cache API store); API calls always go to the network
 * (the page falls back to its cached manifest).
 */
/** @type {ServiceWorkerGlobalScope} */
const sw = /** @type {any} */ (self);
const BUILD = "__BUILD__";
const ASSETS = __ASSETS__;
const CACHE = `unpaired-shell-${BUILD}`;
/** Content-addressed (hashed or versioned names): a cached copy is always right. */
const IMMUTABLE = /^\/(_astro|ort)\//;

const PAGES = ["/", "/share", "/favicon.svg"];

/** Cache the pages and every script and style, so the very next visit works offline. */
async function precache() {
  await (await caches.open(CACHE)).addAll([...PAGES, ...ASSETS]);
}

sw.addEventListener("install", (event) => {
  event.waitUntil(precache().catch(() => undefined));
  sw.skipWaiting();
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("unpaired-shell-") && key !== CACHE) await caches.delete(key);
      }
      await sw.clients.claim();
    })(),
  );
});

async function put(request, response) {
  if (!response.ok || response.status !== 200) return;
  try {
    await (await caches.open(CACHE)).put(request, response);
  } catch {
    // Storage full or disabled: the site still works online.
  }
}

/** Pages: network first (new deploys show at once), the cached copy when offline. */
async function page(request) {
  try {
    const response = await fetch(request);
    await put(new URL(request.url).pathname, response.clone());
    return response;
  } catch (err) {
    const cached = await caches.match(new URL(request.url).pathname, { cacheName: CACHE });
    if (cached) return cached;
    throw err;
  }
}

/** Hashed assets and ORT files: cache first. */
async function asset(request) {
  const cached = await caches.match(request, { cacheName: CACHE });
  if (cached) return cached;
  const response = await fetch(request);
  await put(request, response.clone());
  return response;
}

sw.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== sw.location.origin) return;
  if (request.mode === "navigate") event.respondWith(page(request));
  else if (IMMUTABLE.test(url.pathname) || url.pathname === "/favicon.svg")
    event.respondWith(asset(request));
});
