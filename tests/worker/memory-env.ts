/**
 * The worker's bindings in memory, for the fast tier: Hono's `app.request` in
 * Node, no workerd. The R2 stand-in follows the parts of R2's contract the
 * worker relies on (conditional gets without a body, ranges, a range past the
 * end refused, etags, metadata); the real one is exercised by the suites that
 * start `wrangler dev`. The assets stand-in answers like the assets binding:
 * GET/HEAD of a known page, 404 otherwise, 405 without `Allow` for other methods.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FakeSeed } from "../../scripts/lib/fake-seed.ts";
import { seedBucket } from "../../worker/local-r2.ts";
import type { Env } from "../../worker/src/env.ts";
import app from "../../worker/src/index.ts";

// workerd's crypto.subtle.timingSafeEqual (delete tokens) is not in Node's WebCrypto; this is Node's own.
if (!("timingSafeEqual" in crypto.subtle)) {
  Object.defineProperty(crypto.subtle, "timingSafeEqual", {
    value: (a: ArrayBufferView, b: ArrayBufferView) =>
      timingSafeEqual(
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
        new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      ),
  });
}

interface Stored {
  bytes: Uint8Array;
  etag: string;
  httpMetadata: R2HTTPMetadata;
  customMetadata: Record<string, string>;
  uploaded: Date;
}

type GetOptions = {
  range?: { offset?: number; length?: number; suffix?: number };
  onlyIf?: { etagDoesNotMatch?: string };
};

export class MemoryBucket {
  readonly objects = new Map<string, Stored>();
  /** The options of every get, in order (what a caller asked R2 for). */
  readonly gets: GetOptions[] = [];

  async head(key: string) {
    const stored = this.objects.get(key);
    return stored ? this.#object(key, stored) : null;
  }

  async get(key: string, options: GetOptions = {}) {
    this.gets.push(options);
    const stored = this.objects.get(key);
    if (!stored) return null;
    if (options.onlyIf?.etagDoesNotMatch === stored.etag) return this.#object(key, stored);
    let bytes = stored.bytes;
    const range = options.range;
    if (range) {
      const offset =
        range.suffix !== undefined ? Math.max(0, bytes.length - range.suffix) : (range.offset ?? 0);
      if (offset >= bytes.length) throw new Error("get: The requested range is not satisfiable");
      bytes = bytes.subarray(
        offset,
        range.length === undefined ? undefined : offset + range.length,
      );
    }
    const copy = bytes.slice();
    return Object.assign(this.#object(key, stored), {
      body: new Blob([copy]).stream(),
      bodyUsed: false,
      arrayBuffer: async () => copy.buffer,
      bytes: async () => copy,
      text: async () => new TextDecoder().decode(copy),
      json: async () => JSON.parse(new TextDecoder().decode(copy)) as unknown,
      blob: async () => new Blob([copy]),
    });
  }

  async put(
    key: string,
    value: string | ArrayBuffer | ArrayBufferView,
    options: { httpMetadata?: R2HTTPMetadata; customMetadata?: Record<string, string> } = {},
  ) {
    const bytes =
      typeof value === "string"
        ? new TextEncoder().encode(value)
        : ArrayBuffer.isView(value)
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice()
          : new Uint8Array(value).slice();
    const stored: Stored = {
      bytes,
      etag: createHash("md5").update(bytes).digest("hex"),
      httpMetadata: options.httpMetadata ?? {},
      customMetadata: options.customMetadata ?? {},
      uploaded: new Date(),
    };
    this.objects.set(key, stored);
    return this.#object(key, stored);
  }

  async delete(keys: string | string[]) {
    for (const key of typeof keys === "string" ? [keys] : keys) this.objects.delete(key);
  }

  /** This bucket where the worker's code wants an R2Bucket. */
  asR2(): R2Bucket {
    return this as unknown as R2Bucket;
  }

  #object(key: string, s: Stored) {
    return {
      key,
      size: s.bytes.length,
      etag: s.etag,
      httpEtag: `"${s.etag}"`,
      httpMetadata: s.httpMetadata,
      customMetadata: s.customMetadata,
      uploaded: s.uploaded,
      version: s.etag,
      checksums: {},
      storageClass: "Standard",
      writeHttpMetadata: (headers: Headers) => {
        if (s.httpMetadata.contentType) headers.set("Content-Type", s.httpMetadata.contentType);
      },
    };
  }
}

/** What the assets binding holds here: two pages, each naming itself. */
export const PAGES: Record<string, string> = {
  "/": "<!doctype html><title>translate page</title>",
  "/share": "<!doctype html><title>share view</title>",
};

const assets = {
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const req = new Request(input, init);
    if (req.method !== "GET" && req.method !== "HEAD") return new Response(null, { status: 405 });
    const page = PAGES[new URL(req.url).pathname];
    if (page === undefined) return new Response("Not Found", { status: 404 });
    return new Response(req.method === "HEAD" ? null : page, {
      headers: { "Content-Type": "text/html" },
    });
  },
};

export interface MemoryWorker {
  bucket: MemoryBucket;
  /** The app at `https://<host><path>` (default host: one no configuration names). */
  request(path: string, init?: RequestInit, host?: string): Promise<Response>;
  /** Work handed to `waitUntil` so far, settled. */
  settle(): Promise<void>;
}

/** The app with these vars over wrangler.toml's SITE_ORIGINS, R2 seeded, the limiter always allowing. */
export async function memoryWorker(
  seed: FakeSeed,
  vars: Partial<Pick<Env, "SITE_ORIGINS" | "SHARE_TTL_SECONDS">> = {},
): Promise<MemoryWorker> {
  const bucket = new MemoryBucket();
  await seedBucket(bucket, seed);
  const env = {
    SITE_ORIGINS: "https://unpaired.example,http://127.0.0.1:8787",
    ...vars,
    // Each file gets its own module instance, so its own manifest cache; revalidate every time.
    MANIFEST_CACHE_SECONDS: "0.001",
    MODELS: bucket.asR2(),
    ASSETS: assets,
    SHARE_LIMITER: { limit: async () => ({ success: true }) },
  };
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    passThroughOnException: () => {},
    props: {},
  };
  return {
    bucket,
    request: async (path, init, host = "forged.example") =>
      app.request(`https://${host}${path}`, init, env, ctx as unknown as ExecutionContext),
    settle: async () => {
      await Promise.allSettled(pending.splice(0));
    },
  };
}
