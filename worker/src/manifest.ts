/**
 * The manifest lives in R2 (`manifest.json`) so deployments and tests seed
 * their own without a rebuild. Each isolate keeps the parsed copy for a short
 * time, then revalidates it with a conditional R2 read on its ETag.
 */
import { type Manifest, ManifestError, parseManifest } from "../../models/schema.ts";
import { type Env, settings } from "./env.ts";
import { ApiError } from "./errors.ts";
import { MANIFEST_KEY } from "./keys.ts";

interface Cached {
  manifest: Manifest;
  /** R2's ETag of the object the manifest was parsed from. */
  etag: string;
  checkedAt: number;
}

export class ManifestStore {
  #cached: Cached | undefined;

  /** `ttlMs`: how long the cached copy is served without asking R2. */
  async get(bucket: R2Bucket, ttlMs: number, now = Date.now()): Promise<Manifest> {
    const cached = this.#cached;
    if (cached && now - cached.checkedAt < ttlMs) return cached.manifest;
    const object = await bucket.get(
      MANIFEST_KEY,
      cached ? { onlyIf: { etagDoesNotMatch: cached.etag } } : {},
    );
    if (object === null) {
      this.#cached = undefined;
      throw new ApiError(
        503,
        "manifest_missing",
        "No model manifest in storage: seed it with `npm run seed` (local) or upload manifest.json to the bucket.",
      );
    }
    if (cached && !("body" in object)) {
      cached.checkedAt = now; // unchanged in R2
      return cached.manifest;
    }
    const text = await (object as R2ObjectBody).text();
    let manifest: Manifest;
    try {
      manifest = parseManifest(JSON.parse(text));
    } catch (e) {
      const why = e instanceof ManifestError || e instanceof SyntaxError ? e.message : String(e);
      throw new ApiError(503, "manifest_invalid", `The stored model manifest is invalid: ${why}`);
    }
    this.#cached = { manifest, etag: object.etag, checkedAt: now };
    return manifest;
  }
}

/** How routes ask for the manifest (the store and its settings bound in once). */
export type LoadManifest = (c: { env: Env }) => Promise<Manifest>;

export function manifestLoader(store = new ManifestStore()): LoadManifest {
  return (c) => store.get(c.env.MODELS, settings(c.env).manifestCacheSeconds * 1000);
}
