/**
 * "Your models": generators converted from .pth files, kept on this device
 * in the Cache API (the store the shipped models use, so one quota and one
 * eviction policy). Per model: its variant files and, written last,
 * `model.json` (name, sources with size and sha256, date, the manifest-shaped
 * entry); a model is listed only once its description is there, and a store
 * that fails part way removes what it wrote. Nothing leaves the device.
 */
import type { ModelEntry } from "../../../models/schema.ts";
import { sha256Hex } from "./model-store.ts";
import { hasYourModels, YOUR_MODELS_CACHE } from "./pth-kept.ts";

export { YOUR_MODELS_CACHE };

const PREFIX = "/your-models/";
const DESCRIPTION = "model.json";

export interface SourceFile {
  file: string;
  bytes: number;
  sha256: string;
}

export interface YourModel {
  /** "local-" and the first source's sha256, shortened: opening the same file again finds it. */
  id: string;
  name: string;
  /** ISO date of the conversion. */
  date: string;
  sources: SourceFile[];
  /** Bytes of the converted files kept here. */
  stored: number;
  entry: ModelEntry;
}

/** Storage is full or refused: the model runs for this visit but is not kept. */
export class StorageFullError extends Error {
  override name = "StorageFullError";
}

const keyOf = (id: string, file: string) => `${PREFIX}${encodeURIComponent(id)}/${file}`;

async function open(): Promise<Cache> {
  if (typeof caches === "undefined")
    throw new StorageFullError("this browser offers no storage to this page (private mode?)");
  try {
    return await caches.open(YOUR_MODELS_CACHE);
  } catch (e) {
    throw new StorageFullError(`storage is disabled (${e instanceof Error ? e.message : e})`);
  }
}

export async function listModels(): Promise<YourModel[]> {
  if (!(await hasYourModels())) return [];
  const cache = await open();
  const models: YourModel[] = [];
  for (const req of await cache.keys()) {
    if (!new URL(req.url).pathname.endsWith(`/${DESCRIPTION}`)) continue;
    try {
      models.push((await (await cache.match(req))?.json()) as YourModel);
    } catch {
      // An unreadable description lists nothing; its files go with the next delete of that id.
    }
  }
  return models.filter(Boolean).sort((a, b) => b.date.localeCompare(a.date));
}

function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
}

/** Keep `model` and its files; all or nothing. Throws StorageFullError when it does not fit. */
export async function saveModel(
  model: YourModel,
  files: Record<string, ArrayBuffer>,
): Promise<void> {
  const cache = await open();
  const needed = Object.values(files).reduce((n, b) => n + b.byteLength, 0);
  const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
  if (estimate?.quota !== undefined) {
    const free = estimate.quota - (estimate.usage ?? 0);
    if (free < needed)
      throw new StorageFullError(
        `it needs ${megabytes(needed)} and this site may use ${megabytes(Math.max(0, free))} more of this device's storage`,
      );
  }
  try {
    for (const [file, bytes] of Object.entries(files))
      await cache.put(keyOf(model.id, file), new Response(bytes));
    await cache.put(
      keyOf(model.id, DESCRIPTION),
      new Response(JSON.stringify(model), { headers: { "content-type": "application/json" } }),
    );
  } catch (e) {
    await deleteModel(model.id).catch(() => undefined);
    throw new StorageFullError(
      `the browser refused to store ${megabytes(needed)} (${e instanceof Error ? e.message : e})`,
    );
  }
  // Ask the browser not to evict it under pressure (it may say no; then it is best effort).
  await navigator.storage?.persist?.().catch(() => false);
}

/** One variant file, checked against the sha256 recorded when it was written. */
export async function readModelFile(model: YourModel, file: string): Promise<ArrayBuffer> {
  const cache = await open();
  const variant = model.entry.generators.flatMap((g) => g.variants).find((v) => v.file === file);
  const bytes = await (await cache.match(keyOf(model.id, file)))?.arrayBuffer();
  if (!variant || !bytes)
    throw new Error(`${file} of “${model.name}” is no longer on this device: open the .pth again`);
  if (bytes.byteLength !== variant.bytes || (await sha256Hex(bytes)) !== variant.sha256)
    throw new Error(
      `the stored copy of “${model.name}” is damaged: delete it and open the .pth again`,
    );
  return bytes;
}

export async function renameModel(id: string, name: string): Promise<YourModel> {
  const cache = await open();
  const key = keyOf(id, DESCRIPTION);
  const model = (await (await cache.match(key))?.json()) as YourModel | undefined;
  if (!model) throw new Error("this model is no longer on this device");
  const renamed: YourModel = { ...model, name, entry: { ...model.entry, title: name } };
  await cache.put(key, new Response(JSON.stringify(renamed)));
  return renamed;
}

export async function deleteModel(id: string): Promise<void> {
  const cache = await open();
  const prefix = `${PREFIX}${encodeURIComponent(id)}/`;
  const keys = await cache.keys();
  for (const req of keys) if (new URL(req.url).pathname.startsWith(prefix)) await cache.delete(req);
  // The last one gone: drop the cache, so the next first view does not load "Your models".
  if ((await cache.keys()).length === 0) await caches.delete(YOUR_MODELS_CACHE);
}
