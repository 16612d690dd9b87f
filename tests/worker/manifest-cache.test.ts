/**
 * Unit level: the per-isolate manifest cache. Within its TTL it does not ask
 * R2; after it, it asks conditionally on the ETag and re-parses only when the
 * object changed. The bucket here is a small in-memory stand-in that follows
 * R2's conditional-get contract (no body when the ETag still matches).
 */
import { describe, expect, it } from "vitest";
import { fakeSeed } from "../../scripts/lib/fake-seed.ts";
import { ApiError } from "../../worker/src/errors.ts";
import { ManifestStore } from "../../worker/src/manifest.ts";
import { MemoryBucket } from "./memory-env.ts";

/** The bucket with the manifest stored as `text` (none for undefined), and its R2 etag. */
async function store(bucket: MemoryBucket, text: string | undefined): Promise<string> {
  if (text === undefined) await bucket.delete("manifest.json");
  else await bucket.put("manifest.json", text);
  return (await bucket.head("manifest.json"))?.etag ?? "";
}

const one = fakeSeed([{ id: "one", sizes: { int8: 10 } }]).manifest;
const two = fakeSeed([{ id: "two", sizes: { int8: 10 } }]).manifest;

describe("ManifestStore", () => {
  it("serves the cached copy within the TTL, then revalidates on the ETag", async () => {
    const bucket = new MemoryBucket();
    const etag = await store(bucket, JSON.stringify(one));
    const manifests = new ManifestStore();
    const first = await manifests.get(bucket.asR2(), 1000, 0);
    expect(first).toEqual(one);
    expect(await manifests.get(bucket.asR2(), 1000, 999)).toBe(first);
    expect(bucket.gets).toEqual([{}]);

    expect(await manifests.get(bucket.asR2(), 1000, 1000)).toBe(first); // unchanged: same object
    expect(bucket.gets[1]).toEqual({ onlyIf: { etagDoesNotMatch: etag } });

    await store(bucket, JSON.stringify(two));
    expect(await manifests.get(bucket.asR2(), 1000, 1500)).toBe(first); // still within the TTL
    expect(await manifests.get(bucket.asR2(), 1000, 2000)).toEqual(two);
  });

  it("reports a missing or invalid manifest as 503 with a reason", async () => {
    const bucket = new MemoryBucket();
    const manifests = new ManifestStore();
    const failure = (now: number) =>
      manifests.get(bucket.asR2(), 1000, now).then(
        () => undefined,
        (e: ApiError) => [e.status, e.code],
      );
    expect(await failure(0)).toEqual([503, "manifest_missing"]);
    await store(bucket, "{not json");
    expect(await failure(0)).toEqual([503, "manifest_invalid"]);
    await store(bucket, JSON.stringify({ schemaVersion: 1, models: [{ id: "Bad" }] }));
    const e = await manifests.get(bucket.asR2(), 1000, 0).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).message).toMatch(/models\.0\.id/);
  });
});
