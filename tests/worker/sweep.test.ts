/**
 * No bad request ever yields a 5xx: a sweep of wrong methods, odd paths,
 * junk headers and malformed bodies against a seeded worker. API errors keep
 * the `{error: {code, message}}` shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSeed } from "../../scripts/lib/fake-seed.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { errorOf, rawRequest } from "./http.ts";

const seed = fakeSeed([{ id: "demo", sizes: { fp32: 2000, int8: 500 } }]);
const FILE = "/models/demo/AtoB.fp32.onnx";
const SHARE = "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA";

interface Case {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

const methods = ["PUT", "PATCH", "DELETE", "POST", "OPTIONS", "PROPFIND"];
const paths = [
  "/api/v1/models",
  "/api/v1/models/demo",
  FILE,
  "/api/v1/shares",
  SHARE,
  `${SHARE}/output`,
  "/s/AAAAAAAAAAAAAAAAAAAAAA",
  "/api/v1/openapi.json",
  "/api/v2/models",
];

const cases: Case[] = [
  ...methods.flatMap((method) => paths.map((path) => ({ method, path }))),
  ...[
    "/api/v1/models?provider=%00",
    "/api/v1/models?provider=webgpu&provider=wasm",
    "/api/v1/models?f16=%FF",
    "/api/v1/models/%FF%FE",
    "/api/v1/models/%",
    "/api/v1/models/%E0%A4%A",
    `/api/v1/models/${"a".repeat(4000)}`,
    "/models/%",
    "/models/demo/%",
    "/models/%C0%AE%C0%AE/%C0%AE%C0%AE",
    `/models/demo/${"x".repeat(4000)}.onnx`,
    "/api/v1/shares/%",
    "/api/v1/shares/%00/output",
    "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA/thumbnail",
    "/s/%",
    "/s/%3Cscript%3E",
    "/%",
    "/static/%2e%2e/%2e%2e/wrangler.toml",
  ].map((path) => ({ path })),
  ...[
    { Range: "bytes=" },
    { Range: "bytes=--1" },
    { Range: `bytes=0-${"9".repeat(400)}` },
    { Range: `bytes=${"9".repeat(400)}-` },
    { Range: "bytes=0-1,".repeat(500) },
    { "If-None-Match": "\u00ff\u00fe" },
    { "If-None-Match": "," },
    { "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT", Range: "bytes=0-1" },
    { Origin: "null" },
    { Origin: "http://127.0.0.1:8787\u00e9" },
  ].map((headers) => ({ path: FILE, headers })),
  ...[
    { Authorization: "Bearer" },
    { Authorization: "Bearer a b c" },
    { Authorization: `Bearer ${"x".repeat(8000)}` },
    { Authorization: "\u00ff" },
  ].map((headers) => ({ method: "DELETE", path: SHARE, headers })),
  ...[
    { "Content-Type": "multipart/form-data" },
    { "Content-Type": "multipart/form-data; boundary=" },
    { "Content-Type": "multipart/form-data; boundary=x" },
    { "Content-Type": "multipart/form-data; boundary=x; charset=\u00ff" },
    { "Content-Type": "text/plain" },
    { "Content-Type": "application/x-www-form-urlencoded" },
    {},
  ].flatMap((headers) =>
    [
      "",
      "--x\r\n",
      "--x--\r\n",
      '--x\r\nContent-Disposition: form-data; name="output"\r\n\r\nabc\r\n--x--\r\n',
      "\u0000".repeat(100),
    ].map((body) => ({ method: "POST", path: "/api/v1/shares", headers, body })),
  ),
  {
    method: "POST",
    path: "/api/v1/shares",
    headers: { "Content-Type": "multipart/form-data; boundary=x" },
    body: '--x\r\nContent-Disposition: form-data; name="output"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--x--\r\n',
  },
];

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startWorker({ seed });
});
afterAll(() => worker?.stop());

describe("bad requests", () => {
  it(`none of ${cases.length} bad requests yields a 5xx`, async () => {
    const failures: string[] = [];
    let i = 0;
    for (const c of cases) {
      const headers = {
        "CF-Connecting-IP": `10.9.${Math.floor(i / 200)}.${i % 200}`,
        ...c.headers,
      };
      i++;
      const body = typeof c.body === "string" ? Buffer.from(c.body, "latin1") : c.body;
      const method = c.method ?? "GET";
      const res = await rawRequest(worker.url, c.path, { method, headers, body });
      const label = `${method} ${c.path.slice(0, 80)} ${JSON.stringify(c.headers ?? {}).slice(0, 80)}`;
      if (res.status >= 500 || res.status < 200) failures.push(`${res.status} ${label}`);
      const isApi = c.path.startsWith("/api/") || c.path.startsWith("/models/");
      if (isApi && res.status >= 400 && method !== "HEAD") {
        const text = res.body.toString();
        if (!/^\{"error":\{"code":"[a-z_]+","message":"/.test(text)) {
          failures.push(`bad error body ${res.status} ${label}: ${text.slice(0, 100)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("a method a route does not have", () => {
  it.each([
    ["PUT", SHARE, "GET, HEAD, DELETE, OPTIONS"],
    ["PATCH", `${SHARE}/output`, "GET, HEAD, OPTIONS"],
    ["POST", "/api/v1/models", "GET, HEAD, OPTIONS"],
    ["DELETE", "/api/v1/models/demo", "GET, HEAD, OPTIONS"],
    ["GET", "/api/v1/shares", "POST, OPTIONS"],
    ["POST", FILE, "GET, HEAD, OPTIONS"],
    ["PUT", "/models/demo/not-listed.onnx", "GET, HEAD, OPTIONS"],
    ["POST", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"],
    // No CORS on the share link page, so OPTIONS is not allowed there either.
    ["POST", "/s/AAAAAAAAAAAAAAAAAAAAAA", "GET, HEAD"],
    ["OPTIONS", "/s/AAAAAAAAAAAAAAAAAAAAAA", "GET, HEAD"],
  ])("%s %s: 405 method_not_allowed with Allow: %s", async (method, path, allow) => {
    const res = await fetch(`${worker.url}${path}`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const err = await errorOf(res);
    expect(err.code).toBe("method_not_allowed");
    expect(err.message).toContain(method);
  });

  it.each([
    ["POST", "/"],
    ["PUT", "/share"],
    ["DELETE", "/favicon.svg"],
  ])(
    "%s %s (a static file): the assets binding's 405 gets Allow: GET, HEAD",
    async (method, path) => {
      const res = await fetch(`${worker.url}${path}`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    },
  );

  it("HEAD on a POST-only route is a 405 too", async () => {
    const res = await fetch(`${worker.url}/api/v1/shares`, { method: "HEAD" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it.each([
    ["POST", "/api/v1/nope"],
    ["PUT", "/api/v2/models"],
    ["POST", "/models/demo/AtoB.fp32.onnx/extra"],
    ["DELETE", "/api/v1/shares/x/thumbnail"],
  ])("%s %s (no such route) stays a 404", async (method, path) => {
    const res = await fetch(`${worker.url}${path}`, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get("allow")).toBeNull();
    expect((await errorOf(res)).code).toBe("not_found");
  });
});
