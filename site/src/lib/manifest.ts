/**
 * The model manifest as the page sees it: from the API (the worker validates
 * it with parseManifest before serving it, so the page keeps zod out of its
 * bundle), with the last good copy in the Cache API for offline visits.
 */
import type { Direction, Generator, Manifest, ModelEntry } from "../../../models/schema.ts";

const API = "/api/v1/models";
const CACHE_NAME = "unpaired-site-v1";

function looksLikeManifest(json: unknown): json is Manifest {
  const m = json as Partial<Manifest> | null;
  return !!m && m.schemaVersion === 1 && Array.isArray(m.models);
}

async function fromCache(): Promise<Manifest | undefined> {
  try {
    const hit = await (await caches.open(CACHE_NAME)).match(API);
    const json: unknown = await hit?.json();
    return looksLikeManifest(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

export async function loadManifest(): Promise<{ manifest: Manifest; offline: boolean }> {
  try {
    const res = await fetch(API, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const json: unknown = await res.clone().json();
    if (!looksLikeManifest(json))
      throw new Error("the server sent something that is not a model manifest");
    caches
      .open(CACHE_NAME)
      .then((c) => c.put(API, res))
      .catch(() => undefined); // offline copy is a bonus
    return { manifest: json, offline: false };
  } catch (err) {
    const cached = await fromCache();
    if (cached) return { manifest: cached, offline: true };
    throw new Error(`Could not load the list of models (${(err as Error).message}).`);
  }
}

export function findGenerator(entry: ModelEntry, direction: Direction): Generator | undefined {
  return entry.generators.find((g) => g.direction === direction);
}

/** Settings a link can carry: `/?model=ID&dir=AtoB`. */
export function settingsFromUrl(url: URL): { model?: string; dir?: Direction } {
  const model = url.searchParams.get("model") ?? undefined;
  const dir = url.searchParams.get("dir");
  return {
    ...(model ? { model } : {}),
    ...(dir === "AtoB" || dir === "BtoA" ? { dir } : {}),
  };
}
