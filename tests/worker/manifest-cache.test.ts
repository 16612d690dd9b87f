/**
 * Unit level: the per-isolate manifest cache. Within its TTL it does not ask
 * R2; after it, it asks conditionally on the ETag and re-parses only when the
 * object changed. The bucket here is a small in-memory stand-in that follows
 * R2's conditional-get contract (no body when the ETag still matches).
 */
import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/src/errors.ts";
import { ManifestStore } from "../../worker/src/manifest.ts";
import { fakeSeed } from "./fixtures.ts";

class MemoryBucket {
  text: string | undefined;
  etag = 0;
  gets: { etagDoesNotMatch?: string }[] = [];
  set(text: string | undefined) {
    this.text = text;
    this.etag++;
  }
  async get(_key: string, options: { onlyIf?: { etagDoesNotMatch?: string } } = {}) {
    this.gets.push(options.onlyIf ?? {});
    if (this.text === undefined) return null;
    const etag = String(this.etag);
    if (options.onlyIf?.etagDoesNotMatch === etag) return { etag };
    const text = this.text;
    return { etag, body: null, text: async () => text };
  }
  asR2() {
    return this as unknown as R2Bucket;
  }
}

const one = fakeSeed([{ id: "one", sizes: { int8: 10 } }]).manifest;
const two = fakeSeed([{ id: "two", sizes: { int8: 10 } }]).manifest;

describe("ManifestStore", () => {
  it("serves the cached copy within the TTL, then revalidates on the ETag", async () => {
    const bucket = new MemoryBucket();
    bucket.set(JSON.stringify(one));
    const store = new ManifestStore();
    const first = await store.get(bucket.asR2(), 1000, 0);
    expect(first).toEqual(one);
    expect(await store.get(bucket.asR2(), 1000, 999)).toBe(first);
    expect(bucket.gets).toEqual([{}]);

    expect(await store.get(bucket.asR2(), 1000, 1000)).toBe(first); // unchanged: same object
    expect(bucket.gets[1]).toEqual({ etagDoesNotMatch: "1" });

    bucket.set(JSON.stringify(two));
    expect(await store.get(bucket.asR2(), 1000, 1500)).toBe(first); // still within the TTL
    expect(await store.get(bucket.asR2(), 1000, 2000)).toEqual(two);
  });

  it("reports a missing or invalid manifest as 503 with a reason", async () => {
    const bucket = new MemoryBucket();
    const store = new ManifestStore();
    const failure = (now: number) =>
      store.get(bucket.asR2(), 1000, now).then(
        () => undefined,
        (e: ApiError) => [e.status, e.code],
      );
    expect(await failure(0)).toEqual([503, "manifest_missing"]);
    bucket.set("{not json");
    expect(await failure(0)).toEqual([503, "manifest_invalid"]);
    bucket.set(JSON.stringify({ schemaVersion: 1, models: [{ id: "Bad" }] }));
    const e = await store.get(bucket.asR2(), 1000, 0).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).message).toMatch(/models\.0\.id/);
  });
});
