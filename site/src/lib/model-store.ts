/**
 * Model files: Cache API first, then a streamed download from the static copy,
 * then from the worker's fallback route. Every byte source is checked against
 * the manifest's size and sha256 before use; a bad copy is never cached.
 */

export interface ModelFileRef {
  id: string;
  file: string;
  bytes: number;
  sha256: string;
}

export type Source = "cache" | "static" | "worker";

export interface Progress {
  loaded: number;
  total: number;
  source: Source;
}

export interface Fetched {
  bytes: ArrayBuffer;
  source: Source;
  /** Set when the file could not be stored (quota, private mode): said to the visitor. */
  warning?: string;
}

export class DownloadError extends Error {
  override name = "DownloadError";
}

const CACHE_NAME = "unpaired-models-v1";

export function sourceUrls(
  ref: Pick<ModelFileRef, "id" | "file">,
): Record<Exclude<Source, "cache">, string> {
  const path = `${encodeURIComponent(ref.id)}/${encodeURIComponent(ref.file)}`;
  return { static: `/static/models/${path}`, worker: `/models/${path}` };
}

/** The cache key names the content, so a new file under the same name is a miss. */
function cacheKey(ref: ModelFileRef): string {
  return `${sourceUrls(ref).static}?sha256=${ref.sha256}`;
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function openCache(): Promise<Cache | undefined> {
  try {
    return typeof caches === "undefined" ? undefined : await caches.open(CACHE_NAME);
  } catch {
    return undefined; // storage disabled (some private modes)
  }
}

/** Stream a response body into one buffer of the expected size, reporting progress. */
async function readBody(
  res: Response,
  ref: ModelFileRef,
  onProgress: (loaded: number) => void,
): Promise<ArrayBuffer> {
  if (!res.body) throw new DownloadError("the response has no body");
  const out = new Uint8Array(ref.bytes);
  const reader = res.body.getReader();
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > ref.bytes) {
      await reader.cancel();
      throw new DownloadError(`the file is larger than the manifest's ${ref.bytes} bytes`);
    }
    out.set(value, loaded);
    loaded += value.length;
    onProgress(loaded);
  }
  if (loaded !== ref.bytes) throw new DownloadError(`got ${loaded} of ${ref.bytes} bytes`);
  return out.buffer;
}

async function download(
  url: string,
  ref: ModelFileRef,
  source: Source,
  onProgress: (p: Progress) => void,
  signal: AbortSignal | undefined,
) {
  let res: Response;
  try {
    res = await fetch(url, { cache: "no-store", ...(signal ? { signal } : {}) });
  } catch (err) {
    throw new DownloadError(`network error (${(err as Error).message})`);
  }
  if (!res.ok) throw new DownloadError(`HTTP ${res.status}`);
  onProgress({ loaded: 0, total: ref.bytes, source });
  const bytes = await readBody(res, ref, (loaded) =>
    onProgress({ loaded, total: ref.bytes, source }),
  );
  const sha = await sha256Hex(bytes);
  if (sha !== ref.sha256)
    throw new DownloadError(`checksum mismatch (sha256 ${sha.slice(0, 12)}...)`);
  return bytes;
}

async function store(
  cache: Cache | undefined,
  ref: ModelFileRef,
  bytes: ArrayBuffer,
): Promise<string | undefined> {
  const notCached = "The model will be downloaded again on your next visit.";
  if (!cache) return `This browser does not allow storing the model. ${notCached}`;
  try {
    // Older versions of this file (other hashes in the key's query) would only take space.
    await cache.delete(sourceUrls(ref).static, { ignoreSearch: true });
    await cache.put(
      cacheKey(ref),
      new Response(bytes, { headers: { "content-type": "application/octet-stream" } }),
    );
    return undefined;
  } catch (err) {
    const quota = (err as Error).name === "QuotaExceededError";
    return `${quota ? "Storage is full" : `Could not store the model (${(err as Error).message})`}: it runs without caching. ${notCached}`;
  }
}

/** Whether this device holds the file (its content key is cached; it is checked in full when used). */
export async function isOnDevice(ref: ModelFileRef): Promise<boolean> {
  const cache = await openCache();
  return (await cache?.match(cacheKey(ref)).catch(() => undefined)) !== undefined;
}

/** The cached copy if it reads back whole and matches the manifest; a bad or unreadable one is dropped. */
async function fromCache(cache: Cache, ref: ModelFileRef): Promise<ArrayBuffer | undefined> {
  try {
    const hit = await cache.match(cacheKey(ref));
    if (!hit) return undefined;
    const bytes = await hit.arrayBuffer();
    if (bytes.byteLength === ref.bytes && (await sha256Hex(bytes)) === ref.sha256) return bytes;
  } catch {
    // Storage that fails to read back (evicted or damaged entry): same as a corrupt copy.
  }
  await cache.delete(cacheKey(ref)).catch(() => false);
  return undefined;
}

export async function fetchModelFile(
  ref: ModelFileRef,
  onProgress: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<Fetched> {
  const cache = await openCache();
  const cached = cache && (await fromCache(cache, ref));
  if (cached) {
    onProgress({ loaded: ref.bytes, total: ref.bytes, source: "cache" });
    return { bytes: cached, source: "cache" };
  }
  const urls = sourceUrls(ref);
  const failures: string[] = [];
  for (const source of ["static", "worker"] as const) {
    try {
      const bytes = await download(urls[source], ref, source, onProgress, signal);
      const warning = await store(cache, ref, bytes);
      return { bytes, source, ...(warning ? { warning } : {}) };
    } catch (err) {
      signal?.throwIfAborted(); // cancelled: no other source, no failure to report
      failures.push(`${urls[source]}: ${(err as Error).message}`);
    }
  }
  throw new DownloadError(
    `Could not download the model ${ref.file}. Tried ${failures.join("; ")}.`,
  );
}
