/** Model files in the Cache API: one version per file, and a copy that cannot be read is a miss. */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fetchModelFile, type ModelFileRef } from "../../site/src/lib/model-store.ts";
import { type FakeCache, FakeCacheStorage } from "./fake-caches.ts";

function refOf(bytes: Uint8Array): ModelFileRef {
  return {
    id: "tiny",
    file: "AtoB.int8.onnx",
    bytes: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

describe("model store", () => {
  let storage: FakeCacheStorage;
  let cache: FakeCache;
  let served: Uint8Array;
  const requested: string[] = [];

  beforeEach(async () => {
    storage = new FakeCacheStorage();
    cache = await storage.open("unpaired-models-v1");
    requested.length = 0;
    vi.stubGlobal("caches", storage);
    vi.stubGlobal("fetch", async (url: string) => {
      requested.push(url);
      return new Response(served.slice());
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("keeps one version of a model file: storing a new one drops the older", async () => {
    const v1 = Uint8Array.from([1, 2, 3, 4]);
    const v2 = Uint8Array.from([5, 6, 7, 8, 9]);
    served = v1;
    await fetchModelFile(refOf(v1), () => {});
    served = v2;
    const got = await fetchModelFile(refOf(v2), () => {});
    expect(got.source).toBe("static");
    expect(cache.paths()).toEqual([
      `/static/models/tiny/AtoB.int8.onnx?sha256=${refOf(v2).sha256}`,
    ]);
    // The kept one is the new one, served from the cache next time.
    expect((await fetchModelFile(refOf(v2), () => {})).source).toBe("cache");
  });

  it("downloads again when the cached copy cannot be read back", async () => {
    served = Uint8Array.from([1, 2, 3, 4]);
    const ref = refOf(served);
    await fetchModelFile(ref, () => {});
    const [path] = cache.paths();
    cache.putUnreadable(path as string, new Error("the entry's data is gone"));
    requested.length = 0;
    const got = await fetchModelFile(ref, () => {});
    expect(got.source).toBe("static");
    expect(new Uint8Array(got.bytes)).toEqual(served);
    expect(requested).toEqual(["/static/models/tiny/AtoB.int8.onnx"]);
    expect((await fetchModelFile(ref, () => {})).source).toBe("cache"); // stored again, readable
  });

  it("stops at once when cancelled, without trying the other source", async () => {
    served = Uint8Array.from([1, 2, 3, 4]);
    const controller = new AbortController();
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      requested.push(url);
      controller.abort();
      init.signal?.throwIfAborted();
      return new Response(served.slice());
    });
    await expect(fetchModelFile(refOf(served), () => {}, controller.signal)).rejects.toThrow(
      /aborted/,
    );
    expect(requested).toEqual(["/static/models/tiny/AtoB.int8.onnx"]);
  });
});
