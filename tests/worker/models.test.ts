/**
 * Manifest API, model file downloads and the headers on every response, in
 * the real Workers runtime (wrangler dev + local R2).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../models/schema.ts";
import { pickVariant } from "../../models/select.ts";
import { type RunningWorker, startWorker } from "../helpers/server.ts";
import { fakeSeed } from "./fixtures.ts";
import { errorOf, rawRequest } from "./http.ts";

const seed = fakeSeed([
  { id: "demo", sizes: { fp32: 70_000, fp16: 40_000, int8: 20_000 } },
  { id: "wasm-only", sizes: { int8: 1000 }, providers: { int8: ["wasm"] } },
]);
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

  it.each([
    ["provider=webgpu&f16=1", { provider: "webgpu", shaderF16: true }],
    ["provider=webgpu", { provider: "webgpu", shaderF16: false }],
    ["provider=webgpu&f16=0", { provider: "webgpu", shaderF16: false }],
    ["provider=wasm", { provider: "wasm", shaderF16: false }],
  ] as const)(
    "?%s narrows each generator to the shared pickVariant choice",
    async (query, caps) => {
      const res = await get(`/api/v1/models?${query}`);
      expect(res.status).toBe(200);
      const narrowed = parseManifest(await res.json());
      const expected = seed.manifest.models.flatMap((m) => {
        const generators = m.generators.flatMap((g) => {
          const v = pickVariant(g, caps);
          return v ? [{ ...g, variants: [v] }] : [];
        });
        return generators.length ? [{ ...m, generators }] : [];
      });
      expect(narrowed.models).toEqual(expected);
      expect(narrowed.models.find((m) => m.id === "wasm-only") !== undefined).toBe(
        caps.provider === "wasm",
      );
      const full = await get("/api/v1/models");
      expect(res.headers.get("etag")).not.toBe(full.headers.get("etag"));
    },
  );

  it.each([
    ["provider=cuda", /Unsupported provider "cuda". Should be one of: webgpu, wasm/],
    ["provider=webgpu&f16=maybe", /Unsupported f16/],
    ["f16=1", /f16 needs provider=webgpu/],
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

  it("serves the whole file with its immutable caching, ETag, digest, CORP and length", async () => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-length")).toBe(String(size));
    expect(res.headers.get("etag")).toBe(`"${sha.toString("hex")}"`);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
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
  });

  it.each([
    ["bytes=0-99", 0, 99],
    ["bytes=100-100", 100, 100],
    ["bytes=-100", size - 100, size - 1], // suffix
    [`bytes=-${size + 50}`, 0, size - 1], // suffix longer than the file
    ["bytes=69000-", 69000, size - 1], // open-ended
    ["bytes=10-99999999999999999999", 10, size - 1], // end clamped
    [`bytes=${size - 1}-`, size - 1, size - 1],
    [" bytes = 5 - 9 ", 5, 9], // whitespace tolerated
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
  ])("Range %s is ignored: 200 with the whole file", async (range) => {
    const res = await get(path, { Range: range });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(size);
  });

  it("HEAD with Range gives 206 headers only", async () => {
    const res = await get(path, { Range: "bytes=0-9" }, "HEAD");
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 0-9/${size}`);
    expect(res.headers.get("content-length")).toBe("10");
  });

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

describe("CORS", () => {
  it("allows the configured site origin and exposes the download headers", async () => {
    const res = await get(`/models/demo/${FILE}`, { Origin: SITE, Range: "bytes=0-0" });
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    for (const h of ["content-length", "content-range", "etag"]) expect(exposed).toContain(h);
    expect(res.headers.get("vary")).toMatch(/origin/i);
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
