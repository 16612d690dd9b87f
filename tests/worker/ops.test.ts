/**
 * Operations around the worker: the OpenAPI document covers every route,
 * `npm run seed` fills the local R2 that `wrangler dev` then serves, a missing
 * or broken manifest is reported clearly, and `wrangler deploy --dry-run` builds.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES, SHARE_LIMITS } from "../../models/api.ts";
import { DIRECTIONS, DTYPES } from "../../models/schema.ts";
import { fakeSeed } from "../../scripts/lib/fake-seed.ts";
import { startWorker } from "../../scripts/lib/worker-server.ts";
import { ROOT, seedBucket, withLocalBucket } from "../../worker/local-r2.ts";
import app from "../../worker/src/index.ts";
import { OPENAPI } from "../../worker/src/openapi.ts";
import { errorOf } from "./http.ts";

const run = promisify(execFile);
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "unpaired-ops-"));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe("OpenAPI document", () => {
  /** "GET /api/v1/shares/{id}" for every handler the app registers (not middleware or fallbacks). */
  function registered(): string[] {
    return app.routes
      .filter((r) => r.method !== "ALL")
      .flatMap((r) => {
        const p = r.path.replace(/\/$/, "");
        const alt = /:(\w+)\{([\w|]+)\}/.exec(p);
        const paths = alt ? (alt[2] ?? "").split("|").map((v) => p.replace(alt[0], v)) : [p];
        return paths.map((x) => `${r.method} ${x.replace(/:(\w+)/g, "{$1}")}`);
      });
  }
  const documented = Object.entries(OPENAPI.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
  );

  it("lists exactly the routes the app registers", () => {
    expect(new Set(documented)).toEqual(new Set(registered()));
  });

  const responses = (p: string, method: string): Record<string, { description?: string }> =>
    (OPENAPI.paths as Record<string, Record<string, { responses: object }>>)[p]?.[method]
      ?.responses as Record<string, { description?: string }>;

  it.each([
    ["/api/v1/models", "get", ["manifest_missing", "manifest_invalid"]],
    ["/api/v1/models/{id}", "get", ["manifest_missing", "manifest_invalid"]],
    ["/models/{id}/{file}", "get", ["manifest_missing", "manifest_invalid", "file_inconsistent"]],
    ["/models/{id}/{file}", "head", ["manifest_missing", "manifest_invalid", "file_inconsistent"]],
    ["/api/v1/shares", "post", ["manifest_missing", "manifest_invalid"]],
  ])("documents the 503s of %s %s", (p, method, codes) => {
    const unavailable = responses(p, method)["503"];
    for (const code of codes) expect(unavailable?.description).toContain(code);
  });

  it.each(["/api/v1/shares/{id}/output", "/api/v1/shares/{id}/input"])(
    "documents the 304 of %s",
    (p) => {
      expect(responses(p, "get")["304"]).toBeDefined();
    },
  );

  it("documents the f16 values the API accepts and the 405 for other methods", () => {
    const f16 = OPENAPI.paths["/api/v1/models"].get.parameters.find((q) => q.name === "f16");
    expect(f16?.schema.enum).toEqual(["0", "1"]);
    expect(OPENAPI.info.description).toMatch(/405 method_not_allowed.*Allow/);
  });

  /** The value at a path of keys in the document (JSON), or undefined. */
  const at = (...keys: (string | number)[]): unknown =>
    keys.reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      JSON.parse(JSON.stringify(OPENAPI)),
    );

  it("describes the manifest in full, from models/schema.ts", () => {
    expect(at("components", "schemas", "Manifest", "properties", "models", "items")).toEqual({
      $ref: "#/components/schemas/ModelEntry",
    });
    const entry = (...keys: string[]) => at("components", "schemas", "ModelEntry", ...keys);
    expect(entry("required")).toEqual(
      expect.arrayContaining(["id", "title", "domains", "generators", "provenance", "license"]),
    );
    const generator = entry("properties", "generators", "items", "properties");
    expect((generator as Record<string, { enum?: unknown }>).direction?.enum).toEqual([
      ...DIRECTIONS,
    ]);
    expect(
      at(
        "paths",
        "/api/v1/models/{id}",
        "get",
        "responses",
        "200",
        "content",
        "application/json",
        "schema",
      ),
    ).toEqual({ $ref: "#/components/schemas/ModelEntry" });
  });

  it("describes shares, error codes and limits from models/api.ts", () => {
    const view = (key: string) => at("components", "schemas", "ShareView", "properties", key);
    expect(view("direction")).toEqual({ type: "string", enum: [...DIRECTIONS] });
    expect(view("variant")).toEqual({ type: "string", enum: [...DTYPES] });
    expect(view("inputUrl")).toEqual({ type: ["string", "null"] });
    expect(at("components", "schemas", "ShareCreated", "required")).toEqual([
      "id",
      "url",
      "deleteToken",
      "expiresAt",
    ]);
    expect(
      at("components", "schemas", "Error", "properties", "error", "properties", "code", "enum"),
    ).toEqual([...ERROR_CODES]);
    const form = at(
      "paths",
      "/api/v1/shares",
      "post",
      "requestBody",
      "content",
      "multipart/form-data",
      "schema",
    );
    expect(at("paths", "/api/v1/shares", "post", "summary")).toContain(
      String(SHARE_LIMITS.maxBodyBytes),
    );
    expect(JSON.stringify(form)).toContain(`${SHARE_LIMITS.maxImageSide} px a side`);
    expect((form as { required: string[] }).required).toEqual([
      "modelId",
      "direction",
      "variant",
      "output",
    ]);
  });

  it("every $ref points at a component it has", () => {
    const refs = JSON.stringify(OPENAPI).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) {
      const path = JSON.parse(`{${ref}}`).$ref.replace(/^#\//, "").split("/");
      expect(at(...path), ref).toBeDefined();
    }
  });

  it("is served at /api/v1/openapi.json", async () => {
    const worker = await startWorker({ seed: fakeSeed([{ id: "demo", sizes: { int8: 10 } }]) });
    try {
      const res = await fetch(`${worker.url}/api/v1/openapi.json`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(OPENAPI)));
    } finally {
      await worker.stop();
    }
  });
});

describe("npm run seed", () => {
  const seed = fakeSeed([{ id: "seeded", sizes: { fp32: 3000, int8: 900 } }]);
  let models: string;
  let persistTo: string;
  const seedCli = () =>
    run(process.execPath, [
      path.join(ROOT, "worker/seed.ts"),
      "--persist-to",
      persistTo,
      "--models",
      models,
    ]);

  beforeAll(async () => {
    models = path.join(tmp, "models");
    persistTo = path.join(tmp, "state");
    await mkdir(path.join(models, "seeded"), { recursive: true });
    await writeFile(path.join(models, "manifest.json"), JSON.stringify(seed.manifest));
    for (const [name, bytes] of Object.entries(seed.files))
      await writeFile(path.join(models, name), bytes);
  });

  it("writes the manifest and every file, then skips them when unchanged", async () => {
    expect((await seedCli()).stdout).toMatch(/1 model\(s\): wrote 5 object\(s\), 0 unchanged/);
    expect((await seedCli()).stdout).toMatch(/wrote 0 object\(s\), 5 unchanged/);
  });

  it("records each object's sha256, which the worker checks against the manifest", async () => {
    await withLocalBucket(persistTo, async (bucket) => {
      for (const v of seed.manifest.models[0]?.generators.flatMap((g) => g.variants) ?? []) {
        const stored = await bucket.head(`models/seeded/${v.file}`);
        expect(stored?.customMetadata?.sha256, v.file).toBe(v.sha256);
      }
    });
  });

  it("writes the files before the manifest that lists them", async () => {
    const keys: string[] = [];
    await seedBucket(
      {
        head: async () => null,
        put: async (key) => keys.push(key),
      },
      seed,
    );
    expect(keys.at(-1)).toBe("manifest.json");
    expect(keys).toHaveLength(5);
  });

  it("wrangler dev on that folder serves what was seeded", async () => {
    const worker = await startWorker({ persistTo });
    try {
      const manifest = await (await fetch(`${worker.url}/api/v1/models`)).json();
      expect(manifest).toEqual(seed.manifest);
      const file = await fetch(`${worker.url}/models/seeded/BtoA.int8.onnx`);
      expect(new Uint8Array(await file.arrayBuffer())).toEqual(seed.files["seeded/BtoA.int8.onnx"]);
    } finally {
      await worker.stop();
    }
  });

  it("refuses a file whose sha256 differs from the manifest, naming both", async () => {
    await writeFile(path.join(models, "seeded", "AtoB.fp32.onnx"), new Uint8Array(3000));
    const failed = await seedCli().then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(
      /AtoB\.fp32\.onnx: 3000 bytes, sha256 [0-9a-f]{64}; the manifest says/,
    );
  });
});

describe("manifest problems are 503s with a reason", () => {
  it.each([
    ["missing", undefined, "manifest_missing"],
    ["invalid", { manifest: { schemaVersion: 2, models: "no" }, files: {} }, "manifest_invalid"],
  ] as const)("%s manifest", async (_name, seed, code) => {
    const worker = await startWorker(seed ? { seed } : {});
    try {
      for (const p of ["/api/v1/models", "/api/v1/models/x", "/models/x/y.onnx"]) {
        const res = await fetch(`${worker.url}${p}`);
        expect(res.status, p).toBe(503);
        expect((await errorOf(res)).code).toBe(code);
      }
      // The site itself still loads.
      expect((await fetch(`${worker.url}/`)).status).toBe(200);
    } finally {
      await worker.stop();
    }
  });
});

describe("wrangler deploy --dry-run", () => {
  it("bundles the worker with its bindings", async () => {
    const outdir = path.join(tmp, "dist");
    const { stdout } = await run(
      process.execPath,
      [
        WRANGLER,
        "deploy",
        "--dry-run",
        "--outdir",
        outdir,
        "--config",
        path.join(ROOT, "wrangler.toml"),
      ],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } },
    );
    expect(stdout).toMatch(/--dry-run: exiting now/);
    for (const binding of ["MODELS", "SHARE_LIMITER", "ASSETS", "SITE_ORIGINS"]) {
      expect(stdout).toContain(binding);
    }
  });
});
