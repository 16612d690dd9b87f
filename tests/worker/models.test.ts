/**
 * Manifest API, model file downloads and the headers on every response, in
 * the real Workers runtime (wrangler dev + local R2).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../models/schema.ts";
import { fakeSeed } from "../../scripts/lib/fake-seed.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { errorOf, rawRequest } from "./http.ts";

const seed = fakeSeed([
  { id: "demo", sizes: { fp32: 70_000, fp16: 40_000, int8: 20_000 } },
  { id: "wasm-only", sizes: { int8: 1000 }, providers: { int8: ["wasm"] } },
  { id: "broken", sizes: { fp32: 5000, fp16: 3000, int8: 1000 } },
]);
// Storage out of step with the manifest: a short object, one with the listed
// size but other bytes (seeding records their real sha256), and one missing.
const SHORT = "/models/broken/AtoB.fp32.onnx";
const OTHER_BYTES = "/models/broken/AtoB.fp16.onnx";
const MISSING = "/models/broken/AtoB.int8.onnx";
seed.files["broken/AtoB.fp32.onnx"] = seed.files["broken/AtoB.fp32.onnx"]?.slice(
  0,
  1000,
) as Uint8Array;
seed.files["broken/AtoB.fp16.onnx"] = new Uint8Array(3000);
delete seed.files["broken/AtoB.int8.onnx"];
const FILE = "AtoB.fp32.onnx";
const bytes = seed.files[`demo/${FILE}`] as Uint8Array;
const size = bytes.byteLength;
const sha = createHash("sha256").update(bytes).digest();
const SITE = "http://127.0.0.1:8787"; // listed in wrangler.toml SITE_ORIGINS

let worker: RunningWorker;
const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  fetch(`${worker.url}${path}`, { method, headers });

beforeAll(async () => {
  worker = await startWorker({ seed });
});
afterAll(() => worker?.stop());

function expectIsolationHeaders(res: Response) {
  expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(res.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("worker-src 'self' blob:");
  expect(csp).toContain("default-src 'self'");
  // No inline styles: the site's stylesheets are files (inlineStylesheets: "never").
  expect(csp).toMatch(/(^|; )style-src 'self'(;|$)/);
  expect(csp).not.toContain("unsafe-inline");
}

describe("GET /api/v1/models", () => {
  it("returns the seeded manifest with a strong ETag and short revalidated caching", async () => {
    const res = await get("/api/v1/models");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(parseManifest(await res.json())).toEqual(seed.manifest);
    const etag = res.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[^"]+"$/); // strong: no W/
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+.*must-revalidate/);
    expectIsolationHeaders(res);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });

  it("answers If-None-Match with 304 and no body", async () => {
    const etag = (await get("/api/v1/models")).headers.get("etag") ?? "";
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await get("/api/v1/models", { "If-None-Match": inm });
      expect(res.status, inm).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("etag")).toBe(etag);
    }
    expect((await get("/api/v1/models", { "If-None-Match": '"nope"' })).status).toBe(200);
  });

  // Worked out by hand from the seed above (models/select.ts's rule, not its code):
  // WebGPU with shader-f16 prefers fp16, then fp32, then int8; WebGPU without it fp32,
  // then int8 (never fp16); WebAssembly the smallest download, int8. "wasm-only" has
  // one int8 file checked on WebAssembly only, so no WebGPU client gets it. Both
  // directions of a model narrow the same way.
  it.each([
    ["provider=webgpu&f16=1", { demo: "fp16", broken: "fp16" }],
    ["provider=webgpu", { demo: "fp32", broken: "fp32" }],
    ["provider=webgpu&f16=0", { demo: "fp32", broken: "fp32" }],
    ["provider=wasm", { demo: "int8", "wasm-only": "int8", broken: "int8" }],
  ] as const)(
    "?%s narrows each generator to the one variant worked out by hand",
    async (query, dtypes) => {
      const res = await get(`/api/v1/models?${query}`);
      expect(res.status).toBe(200);
      const narrowed = parseManifest(await res.json());
      expect(narrowed.models.map((m) => m.id)).toEqual(Object.keys(dtypes));
      for (const m of narrowed.models) {
        const dtype = dtypes[m.id as keyof typeof dtypes];
        const original = seed.manifest.models.find((o) => o.id === m.id);
        expect(m.generators.map((g) => g.direction)).toEqual(["AtoB", "BtoA"]);
        for (const g of m.generators) {
          expect(
            g.variants.map((v) => v.dtype),
            `${m.id} ${g.direction}`,
          ).toEqual([dtype]);
          // The variant is the seeded one, untouched (file, size, checksum, providers).
          const seeded = original?.generators.find((o) => o.direction === g.direction);
          expect(g.variants[0]).toEqual(seeded?.variants.find((v) => v.dtype === dtype));
          expect(g.variants[0]?.file).toBe(`${g.direction}.${dtype}.onnx`);
          expect({ ...g, variants: [] }).toEqual({ ...seeded, variants: [] });
        }
        expect({ ...m, generators: [] }).toEqual({ ...original, generators: [] });
      }
      const full = await get("/api/v1/models");
      expect(res.headers.get("etag")).not.toBe(full.headers.get("etag"));
    },
  );

  it.each([
    ["provider=cuda", /Unsupported provider "cuda". Should be one of: webgpu, wasm/],
    ["provider=webgpu&f16=maybe", /Unsupported f16/],
    ["f16=1", /f16 needs provider=webgpu/],
    ["provider=wasm&f16=1", /f16 needs provider=webgpu/],
    ["provider=webgpu&f16=true", /Unsupported f16 "true". Should be one of: 0, 1/],
    ["provider=webgpu&f16=constructor", /Unsupported f16/],
  ])("?%s is a 400 that says what is valid", async (query, message) => {
    const res = await get(`/api/v1/models?${query}`);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("bad_query");
    expect(err.message).toMatch(message);
  });
});

describe("GET /api/v1/models/:id", () => {
  it("returns one entry, with ETag and 304", async () => {
    const res = await get("/api/v1/models/demo");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(seed.manifest.models[0]);
    const again = await get("/api/v1/models/demo", {
      "If-None-Match": res.headers.get("etag") ?? "",
    });
    expect(again.status).toBe(304);
  });

  it("narrows with ?provider and 404s when nothing fits", async () => {
    const res = await get("/api/v1/models/demo?provider=wasm");
    const entry = (await res.json()) as { generators: { variants: { dtype: string }[] }[] };
    expect(entry.generators.map((g) => g.variants.map((v) => v.dtype))).toEqual([
      ["int8"],
      ["int8"],
    ]);
    const none = await get("/api/v1/models/wasm-only?provider=webgpu");
    expect(none.status).toBe(404);
    expect((await errorOf(none)).code).toBe("no_fitting_variant");
  });

  it.each(["nope", "DEMO", "demo%2F..", "..%2Fmanifest.json", "%2e%2e", "demo%00"])(
    "404s for the unknown id %s",
    async (id) => {
      const res = await get(`/api/v1/models/${id}`);
      expect(res.status).toBe(404);
      expect((await errorOf(res)).code).toMatch(/unknown_model|not_found/);
    },
  );
});

describe("GET|HEAD /models/:id/:file", () => {
  const path = `/models/demo/${FILE}`;

  // File names are reused when a model is re-exported, so caches must revalidate.
  it("serves the whole file with revalidated caching, ETag, digest, CORP and length", async () => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-length")).toBe(String(size));
    expect(res.headers.get("etag")).toBe(`"${sha.toString("hex")}"`);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300, must-revalidate");
    expect(res.headers.get("repr-digest")).toBe(`sha-256=:${sha.toString("base64")}:`);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expectIsolationHeaders(res);
  });

  it("HEAD gives the same headers and no body", async () => {
    const res = await get(path, {}, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(size));
    expect(res.headers.get("etag")).toBe(`"${sha.toString("hex")}"`);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers If-None-Match with 304", async () => {
    const res = await get(path, { "If-None-Match": `"${sha.toString("hex")}"` });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe("");
    expect(res.headers.get("etag")).toBe(`"${sha.toString("hex")}"`);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300, must-revalidate");
  });

  it.each([
    ["bytes=0-99", 0, 99],
    ["bytes=100-100", 100, 100],
    ["bytes=-100", size - 100, size - 1], // suffix
    [`bytes=-${size + 50}`, 0, size - 1], // suffix longer than the file
    ["bytes=69000-", 69000, size - 1], // open-ended
    ["bytes=10-99999999999999999999", 10, size - 1], // end clamped
    [`bytes=${size - 1}-`, size - 1, size - 1],
    ["Bytes=0-9", 0, 9], // range units are case-insensitive
    ["BYTES=-10", size - 10, size - 1],
    ["bytes=5-9 ", 5, 9], // whitespace around the whole value is not part of it
  ])("Range %s -> 206 with the right Content-Range and bytes", async (range, first, last) => {
    const res = await get(path, { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${first}-${last}/${size}`);
    expect(res.headers.get("content-length")).toBe(String(last - first + 1));
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes.subarray(first, last + 1));
    expect(res.headers.get("etag")).toBe(`"${sha.toString("hex")}"`);
  });

  it.each([`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, "bytes=-0"])(
    "Range %s is unsatisfiable: 416 with bytes */size",
    async (range) => {
      const res = await get(path, { Range: range });
      expect(res.status).toBe(416);
      expect(res.headers.get("content-range")).toBe(`bytes */${size}`);
      expect((await errorOf(res)).code).toBe("range_not_satisfiable");
    },
  );

  // Documented: several ranges, other units and invalid syntax are ignored (RFC 9110 allows it).
  it.each([
    "bytes=0-1,5-6",
    "bytes=0-1, -5",
    "items=0-1",
    "bytes=abc",
    "bytes=9-1",
    "bytes=-",
    "bytes",
    "bytes=1 0-20", // no whitespace inside a range spec (RFC 9110 §14.1.1)
    " bytes = 5 - 9 ",
    "bytes =0-9",
    "bytes= 0-9",
  ])("Range %s is ignored: 200 with the whole file", async (range) => {
    const res = await get(path, { Range: range });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(size);
  });

  // RFC 9110 §14.2: range handling is defined for GET only; HEAD ignores Range.
  it.each(["bytes=0-9", `bytes=${size}-`])(
    "HEAD with Range %s gives the whole file's headers",
    async (range) => {
      const res = await get(path, { Range: range }, "HEAD");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-range")).toBeNull();
      expect(res.headers.get("content-length")).toBe(String(size));
      expect(res.headers.get("etag")).toBe(`"${sha.toString("hex")}"`);
    },
  );

  it("honours If-Range only while the ETag matches", async () => {
    const etag = `"${sha.toString("hex")}"`;
    expect((await get(path, { Range: "bytes=0-9", "If-Range": etag })).status).toBe(206);
    const stale = await get(path, { Range: "bytes=0-9", "If-Range": '"old"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(size);
  });

  it.each([
    "/models/demo/AtoB.fp32.onnx.bak",
    "/models/demo/BtoA.fp64.onnx",
    "/models/DEMO/AtoB.fp32.onnx",
    "/models/wasm-only/AtoB.fp32.onnx", // another model's file name
    "/models/demo/AtoB%2Efp32%2Eonnx", // encoded form of a listed name
    "/models/demo/..%2F..%2Fmanifest.json",
    "/models/demo/%2e%2e/%2e%2e/manifest.json",
    "/models/demo/%252e%252e%252fmanifest.json",
    "/models/demo/AtoB.fp32.onnx%00",
    "/models/demo/AtoB.fp32.onnx/extra",
    "/models/demo/",
    "/models/demo",
    "/models/manifest.json",
    "/models/demo/../../manifest.json",
    "/models/demo/..\\..\\manifest.json",
    "/manifest.json",
    "/models//demo/AtoB.fp32.onnx",
  ])("%s -> 404", async (rawPath) => {
    const res = await rawRequest(worker.url, rawPath);
    expect(res.status).toBe(404);
    expect(res.body.includes(Buffer.from(bytes.subarray(0, 64)))).toBe(false);
  });
});

describe("storage out of step with the manifest", () => {
  const expectError = async (res: Response, status: number, code: string, method: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-range")).toBeNull();
    if (method === "GET") expect((await errorOf(res)).code).toBe(code);
  };

  it.each(["GET", "HEAD"])(
    "%s of a listed file missing from storage: 404 file_missing",
    async (method) => {
      await expectError(await get(MISSING, {}, method), 404, "file_missing", method);
      await expectError(
        await get(MISSING, { Range: "bytes=0-9" }, method),
        404,
        "file_missing",
        method,
      );
    },
  );

  it.each([
    ["GET", {}],
    ["HEAD", {}],
    ["GET", { Range: "bytes=0-9" }], // inside the stored bytes
    ["GET", { Range: "bytes=2000-2009" }], // past the stored end, inside the listed size
    ["GET", { Range: "bytes=-10" }],
    ["HEAD", { Range: "bytes=2000-2009" }],
  ] as const)("%s %j of a shorter object: 503 file_inconsistent", async (method, headers) => {
    const res = await get(SHORT, headers, method);
    await expectError(res, 503, "file_inconsistent", method);
  });

  it.each([
    ["GET", {}],
    ["HEAD", {}],
    ["GET", { Range: "bytes=0-9" }],
  ] as const)(
    "%s %j of an object whose sha256 differs: 503 file_inconsistent",
    async (method, headers) => {
      const res = await get(OTHER_BYTES, headers, method);
      await expectError(res, 503, "file_inconsistent", method);
    },
  );

  it("names both hashes", async () => {
    const message = (await errorOf(await get(OTHER_BYTES))).message;
    const stored = createHash("sha256").update(new Uint8Array(3000)).digest("hex");
    const listed = seed.manifest.models[2]?.generators[0]?.variants.find((v) => v.dtype === "fp16");
    expect(message).toContain(stored);
    expect(message).toContain(listed?.sha256);
  });
});

describe("CORS", () => {
  it("allows the configured site origin and exposes the download headers", async () => {
    const res = await get(`/models/demo/${FILE}`, { Origin: SITE, Range: "bytes=0-0" });
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    for (const h of ["content-length", "content-range", "etag"]) expect(exposed).toContain(h);
    expect(res.headers.get("vary")).toMatch(/origin/i);
  });

  it("keeps the CORS headers on 304s", async () => {
    const manifest = await get("/api/v1/models", { Origin: SITE });
    const file = `/models/demo/${FILE}`;
    for (const [p, etag] of [
      ["/api/v1/models", manifest.headers.get("etag") ?? ""],
      [file, `"${sha.toString("hex")}"`],
    ] as const) {
      const res = await get(p, { Origin: SITE, "If-None-Match": etag });
      expect(res.status, p).toBe(304);
      expect(res.headers.get("access-control-allow-origin"), p).toBe(SITE);
      expect(res.headers.get("access-control-expose-headers") ?? "", p).toMatch(/ETag/i);
      expect(res.headers.get("vary") ?? "", p).toMatch(/origin/i);
    }
  });

  it("exposes the API headers a page needs", async () => {
    const res = await get("/api/v1/models", { Origin: SITE });
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    for (const h of ["etag", "location", "retry-after", "www-authenticate"]) {
      expect(exposed).toContain(h);
    }
  });

  it.each([
    ["/api/v1/models", "GET", ["if-none-match"]],
    ["/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA", "DELETE", ["authorization"]],
    [`/models/demo/${FILE}`, "GET", ["range", "if-range", "if-none-match"]],
  ])("preflight for %s allows the conditional and range headers", async (p, method, wanted) => {
    const res = await fetch(`${worker.url}${p}`, {
      method: "OPTIONS",
      headers: {
        Origin: SITE,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "x-not-allowed",
      },
    });
    expect(res.status).toBe(204);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const h of wanted) expect(allowed.split(",")).toContain(h);
    expect(allowed).not.toContain("x-not-allowed");
  });

  it("gives other origins nothing", async () => {
    for (const path of ["/api/v1/models", `/models/demo/${FILE}`]) {
      const res = await get(path, { Origin: "https://evil.example" });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("answers a preflight for share creation", async () => {
    const res = await fetch(`${worker.url}/api/v1/shares`, {
      method: "OPTIONS",
      headers: { Origin: SITE, "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });
});

describe("static site through the worker", () => {
  it("serves site/dist with the isolation and CSP headers", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/<html/i);
    expectIsolationHeaders(res);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });

  it("404s for missing static files, still with the headers", async () => {
    const res = await get("/no/such/page.js");
    expect(res.status).toBe(404);
    expectIsolationHeaders(res);
  });
});
