/// <reference lib="webworker" />
/**
 * Offline shell: after one visit the pages, their scripts and styles, and the
 * onnxruntime-web files (once used) are served from this device, so a second
 * visit starts at once and works offline. The build
 * (integrations/static-assets.ts) fills in BUILD (a hash of the asset list
 * and of this file), ASSETS (every file under /_astro/) and ORT_VERSION.
 *
 * Two caches: the shell, one per build, and the ORT files (14-17 MB, fetched
 * on first use), one per ORT version, so a deploy that keeps the version keeps
 * them. A new build's worker does not skip waiting: it takes over only when no
 * page runs the previous one, and only then deletes the previous shell, which
 * such a page's lazily loaded chunks may still need.
 *
 * Model files are not handled here (the page keeps them in its own checked
 * Cache API store); the style cards' sample thumbnails (small JPEGs) are, network
 * first, so cards are not blank offline; API calls always go to the network
 * (the page falls back to its cached manifest). Only navigations to the shell's pages are handled: any
 * other one (a shared image opened in a tab, /s/<id>, a model file) goes to
 * the network untouched, so nobody's shared photo outlives its deletion here
 * and no large file fills the shell.
 */
/** @type {ServiceWorkerGlobalScope} */
const sw = /** @type {any} */ (self);
const BUILD = "__BUILD__";
const ASSETS = __ASSETS__;
const ORT_VERSION = "__ORT_VERSION__";
const SHELL = `unpaired-shell-${BUILD}`;
const ORT = `unpaired-ort-${ORT_VERSION}`;
/** The caches this worker owns (unpaired-models-v1 is the page's). */
const OWN = /^unpaired-(shell|ort)-/;
/** Content-addressed (hashed names): a cached copy is always right. */
const HASHED = /^\/_astro\//;
const ORT_FILES = `/ort/${ORT_VERSION}/`;
/** A card thumbnail: a manifest sample in the site's static copy of the models. */
const SAMPLE = /^\/static\/models\/[^/]+\/sample-[^/]+\.(jpg|png|webp)$/;

/** The pages of the shell: the only navigations this worker answers. */
const PAGES = ["/", "/share"];
const ICON = "/favicon.svg";

/** Cache the pages and every script and style; a failure fails the install (it is retried later). */
async function precache() {
  await (await caches.open(SHELL)).addAll([...PAGES, ICON, ...ASSETS]);
}

sw.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (OWN.test(key) && key !== SHELL && key !== ORT) await caches.delete(key);
      }
      // Controls the page that registered it on a first visit, so the ORT files it
      // fetches get cached. Safe: without skipWaiting, no page runs an older worker now.
      await sw.clients.claim();
    })(),
  );
});

async function put(cacheName, request, response) {
  if (!response.ok || response.status !== 200) return;
  try {
    await (await caches.open(cacheName)).put(request, response);
  } catch {
    // Storage full or disabled: the site still works online.
  }
}

/**
 * Pages and thumbnails: network first (new deploys show at once), the cached
 * copy when offline. `key`: what the copy is stored under.
 */
async function networkFirst(request, key) {
  try {
    const response = await fetch(request);
    await put(SHELL, key, response.clone());
    return response;
  } catch (err) {
    const cached = await caches.match(key, { cacheName: SHELL });
    if (cached) return cached;
    throw err;
  }
}

/** Hashed assets and this version's ORT files: cache first. */
async function asset(cacheName, request) {
  const cached = await caches.match(request, { cacheName });
  if (cached) return cached;
  const response = await fetch(request);
  await put(cacheName, request, response.clone());
  return response;
}

sw.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== sw.location.origin) return;
  if (request.mode === "navigate") {
    if (PAGES.includes(url.pathname)) event.respondWith(networkFirst(request, url.pathname));
  } else if (SAMPLE.test(url.pathname)) event.respondWith(networkFirst(request, url.pathname));
  else if (url.pathname.startsWith(ORT_FILES)) event.respondWith(asset(ORT, request));
  else if (HASHED.test(url.pathname) || url.pathname === ICON)
    event.respondWith(asset(SHELL, request));
});
