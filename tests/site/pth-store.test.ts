/**
 * Your models (site/src/lib/pth-store.ts) on an in-memory Cache API: kept all
 * or nothing, listed only once complete, renamed, deleted (the cache with the
 * last one), refused up front when the quota estimate has no room, cleaned up
 * when the browser refuses a write part way, and a damaged copy is caught on read.
 */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelEntry } from "../../models/schema.ts";
import {
  deleteModel,
  listModels,
  readModelFile,
  renameModel,
  StorageFullError,
  saveModel,
  YOUR_MODELS_CACHE,
  type YourModel,
} from "../../site/src/lib/pth-store.ts";
import { FakeCache, FakeCacheStorage, href } from "./fake-caches.ts";

/** The fake with what the store also uses: Cache.keys() and CacheStorage.has(). */
class Cache extends FakeCache {
  failAfter = Number.POSITIVE_INFINITY;
  async keys(): Promise<{ url: string }[]> {
    return [...this.entries.keys()].map((url) => ({ url }));
  }
  override async put(key: Parameters<FakeCache["put"]>[0], res: Response): Promise<void> {
    if (this.failAfter-- <= 0) throw new DOMException("Quota exceeded.", "QuotaExceededError");
    return super.put(key, res);
  }
}
class Storage extends FakeCacheStorage {
  override async open(name: string): Promise<Cache> {
    let cache = this.caches.get(name) as Cache | undefined;
    if (!cache) {
      cache = new Cache((...a) => fetch(...a));
      this.caches.set(name, cache);
    }
    return cache;
  }
  async has(name: string): Promise<boolean> {
    return this.caches.has(name);
  }
}

const files = {
  "AtoB.fp32.onnx": Uint8Array.from([1, 2, 3, 4]).buffer,
  "AtoB.int8.onnx": Uint8Array.from([5]).buffer,
};
const sha = (b: ArrayBuffer) => createHash("sha256").update(new Uint8Array(b)).digest("hex");

function model(id = "local-abc"): YourModel {
  const variant = (file: keyof typeof files, dtype: "fp32" | "int8") => ({
    dtype,
    file,
    bytes: files[file].byteLength,
    sha256: sha(files[file]),
    opset: 17,
    providers: ["wasm" as const],
    requires: [],
    check: { maxAbsDiff: 0, psnrDb: 200 },
  });
  const entry = {
    id,
    title: "g6",
    generators: [
      {
        direction: "AtoB",
        variants: [variant("AtoB.fp32.onnx", "fp32"), variant("AtoB.int8.onnx", "int8")],
      },
    ],
  } as unknown as ModelEntry;
  const sources = [{ file: "g6.pth", bytes: 10, sha256: "0".repeat(64) }];
  return { id, name: "g6", date: new Date(0).toISOString(), sources, stored: 5, entry };
}

describe("Your models store", () => {
  let storage: Storage;
  beforeEach(() => {
    storage = new Storage();
    vi.stubGlobal("caches", storage);
    vi.stubGlobal("navigator", { storage: { estimate: async () => ({ quota: 1e9, usage: 0 }) } });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("keeps, lists, reads back, renames and deletes a model", async () => {
    expect(await listModels()).toEqual([]);
    await saveModel(model(), files);
    expect((await listModels()).map((m) => m.name)).toEqual(["g6"]);
    expect(new Uint8Array(await readModelFile(model(), "AtoB.fp32.onnx"))).toEqual(
      Uint8Array.from([1, 2, 3, 4]),
    );
    await renameModel("local-abc", "Horses");
    const [renamed] = await listModels();
    expect([renamed?.name, renamed?.entry.title]).toEqual(["Horses", "Horses"]);
    await deleteModel("local-abc");
    expect(await storage.has(YOUR_MODELS_CACHE)).toBe(false);
    expect(await listModels()).toEqual([]);
  });

  it("writes the description last and deletes only its own model", async () => {
    await saveModel(model("local-one"), files);
    await saveModel(model("local-two"), files);
    const cache = await storage.open(YOUR_MODELS_CACHE);
    expect(
      cache
        .paths()
        .filter((p) => p.startsWith("/your-models/local-one/"))
        .sort(),
    ).toEqual([
      "/your-models/local-one/AtoB.fp32.onnx",
      "/your-models/local-one/AtoB.int8.onnx",
      "/your-models/local-one/model.json",
    ]);
    await deleteModel("local-one");
    expect((await listModels()).map((m) => m.id)).toEqual(["local-two"]);
    expect(await storage.has(YOUR_MODELS_CACHE)).toBe(true);
  });

  it("refuses up front when the estimate leaves no room, storing nothing", async () => {
    vi.stubGlobal("navigator", {
      storage: { estimate: async () => ({ quota: 1000, usage: 998 }) },
    });
    await expect(saveModel(model(), files)).rejects.toThrow(StorageFullError);
    await expect(saveModel(model(), files)).rejects.toThrow(
      /it needs 0\.0 MB and this site may use 0\.0 MB more/,
    );
    expect(await listModels()).toEqual([]);
  });

  it("removes what it wrote when the browser refuses a write part way", async () => {
    const cache = await storage.open(YOUR_MODELS_CACHE);
    cache.failAfter = 1; // the first variant is stored, the second refused
    await expect(saveModel(model(), files)).rejects.toThrow(
      /the browser refused to store .* \(Quota exceeded\.\)/,
    );
    expect(cache.paths()).toEqual([]);
    expect(await listModels()).toEqual([]);
  });

  it("says a damaged stored copy is damaged instead of running it", async () => {
    await saveModel(model(), files);
    const cache = await storage.open(YOUR_MODELS_CACHE);
    cache.entries.set(href("/your-models/local-abc/AtoB.fp32.onnx"), {
      body: Uint8Array.from([1, 2, 3, 9]),
      status: 200,
    });
    await expect(readModelFile(model(), "AtoB.fp32.onnx")).rejects.toThrow(
      /the stored copy of “g6” is damaged/,
    );
    await cache.delete("/your-models/local-abc/AtoB.int8.onnx");
    await expect(readModelFile(model(), "AtoB.int8.onnx")).rejects.toThrow(
      /no longer on this device/,
    );
  });
});
