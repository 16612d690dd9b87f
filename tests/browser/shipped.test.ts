/**
 * Every shipped generator (models/manifest.json) through the site, as a
 * visitor gets it: the static copy made by the build, WebAssembly, compared
 * with onnxruntime-node on the same file and photo; photo models also at full
 * resolution on a real photo, against `npm run infer`. A manifest that lists
 * no model fails (nothing would be checked otherwise).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../models/schema.ts";
import { pickVariant } from "../../models/select.ts";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { openSite, pickModel, setOptions, translate, upload } from "../../scripts/lib/site-page.ts";
import { testPhoto } from "../../scripts/lib/test-photo.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { referencePhotos } from "../../training/datasets/reference-photos.ts";
import { readShippedSeed } from "../../worker/local-r2.ts";
import { runCli } from "../helpers/cli.ts";
import { decodeRgba, diffRgb, referenceTranslate } from "./reference.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** Another models folder (same layout) can be tried without touching the shipped one. */
const MODELS = process.env.UNPAIRED_MODELS_DIR ?? path.join(ROOT, "models");
const manifest = parseManifest(
  JSON.parse(readFileSync(path.join(MODELS, "manifest.json"), "utf8")),
);
const cases = manifest.models.flatMap((entry) => entry.generators.map((g) => ({ entry, g })));
/**
 * Workers static assets stop at 25 MiB per file: the build copies every listed file
 * up to that size into site/dist/static/models/ and leaves larger ones to the worker.
 */
const STATIC_LIMIT_BYTES = 25 * 1024 * 1024;
/** The build copies the repository's models/ only: another folder has no static copy. */
const BUILT_FROM_MODELS = path.resolve(MODELS) === path.join(ROOT, "models");

it("the manifest lists at least one generator to check", () => {
  expect(cases.length, `${MODELS}/manifest.json lists no models`).toBeGreaterThan(0);
});

describe("shipped models in the browser", () => {
  let worker: RunningWorker;
  let browser: Browser;
  const requests: string[] = [];

  beforeAll(async () => {
    worker = await startWorker({ seed: await readShippedSeed(MODELS) });
    browser = await launch();
    browser.page.on("requestfinished", async (r) => {
      const status = (await r.response())?.status();
      requests.push(`${status} ${new URL(r.url()).pathname}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it.each(cases.map((c) => [`${c.entry.id} ${c.g.direction}`, c] as const))(
    "%s matches onnxruntime-node",
    async (_, { entry, g }) => {
      const { page } = browser;
      const variant = pickVariant(g, { provider: "wasm" });
      if (!variant) throw new Error(`${entry.id} ${g.direction} has no WebAssembly variant`);
      await openSite(page, `${worker.url}/?model=${entry.id}&dir=${g.direction}`);
      await pickModel(page, entry.id);
      await setOptions(page, {
        engine: "wasm",
        mode: "fast",
        workingSize: g.io.recommendedMaxSide,
      });
      const photo = await testPhoto(96, 64); // smaller than any working size: no resampling
      const result = await translate(
        page,
        upload(page, "#photo-file", "p.png", "image/png", photo),
        { timeoutMs: 240_000 },
      );
      expect([result.engine, result.dtype]).toEqual(["wasm", variant.dtype]);
      const file = path.join(MODELS, entry.id, variant.file);
      const expected = await referenceTranslate(
        new Uint8Array(readFileSync(file)),
        photo,
        g.io.recommendedMaxSide,
      );
      const diff = diffRgb(await decodeRgba(result.png), expected);
      expect(diff.max).toBeLessThanOrEqual(1);
      expect(diff.changed).toBeLessThan(0.02);
      // The build's static copy serves every file up to 25 MiB; larger ones come from
      // the worker's /models route.
      const staticCopy = path.join(ROOT, "site/dist/static/models", entry.id, variant.file);
      // (Another models folder has no static copy of its own: nothing to require then.)
      if (BUILT_FROM_MODELS && variant.bytes <= STATIC_LIMIT_BYTES) {
        expect(existsSync(staticCopy), `${staticCopy} (run npm run build:site)`).toBe(true);
        expect(readFileSync(staticCopy).length).toBe(variant.bytes);
        expect(requests).toContain(`200 /static/models/${entry.id}/${variant.file}`);
      } else if (BUILT_FROM_MODELS) {
        expect(existsSync(staticCopy)).toBe(false);
        expect(requests).toContain(`200 /models/${entry.id}/${variant.file}`);
      }
    },
    300_000,
  );

  /**
   * Full resolution of a real photo (lossless, 600x400: a statistics pass and
   * 6 tiles at 256) in the page equals `npm run infer` with the same variant,
   * working size and tile: the same driver on two engines (onnxruntime-web
   * wasm vs -node), so only float rounding may differ: at most 1 level, on
   * under 2% of values.
   */
  const photoCases = cases.filter((c) => c.g.io.normStats && c.g.io.recommendedMaxSide >= 256);
  it("some shipped photo model has statistics to check at full resolution", () => {
    expect(photoCases.length).toBeGreaterThan(0);
  });
  it.each(photoCases.map((c) => [`${c.entry.id} ${c.g.direction}`, c] as const))(
    "%s at full resolution equals npm run infer",
    async (_, { entry, g }) => {
      const { page } = browser;
      const variant = pickVariant(g, { provider: "wasm" });
      if (!variant) throw new Error(`${entry.id} ${g.direction} has no WebAssembly variant`);
      const photoFile = (await referencePhotos()).find((f) => f.endsWith("coffee.png")) as string;
      const photo = readFileSync(photoFile);
      const size = String(g.io.recommendedMaxSide);
      const dir = mkdtempSync(path.join(os.tmpdir(), "infer-"));
      try {
        const out = path.join(dir, "out.png");
        const cli = await runCli(
          "training/infer/cli.ts",
          [
            ...["--model", entry.id, "--direction", g.direction, "--dtype", variant.dtype],
            ...["--models", MODELS, "--input", photoFile, "--output", out],
            ...["--working-size", size, "--tile", size],
          ],
          ROOT,
        );
        expect(cli.code, cli.err).toBe(0);
        await openSite(page, `${worker.url}/?model=${entry.id}&dir=${g.direction}`);
        await pickModel(page, entry.id);
        await setOptions(page, {
          engine: "wasm",
          mode: "full",
          workingSize: g.io.recommendedMaxSide,
        });
        const result = await translate(
          page,
          upload(page, "#photo-file", "coffee.png", "image/png", photo),
          {
            timeoutMs: 240_000,
          },
        );
        expect([result.engine, result.dtype]).toEqual(["wasm", variant.dtype]);
        expect(result.note).toMatch(/600×400 in 6 tiles/);
        const diff = diffRgb(await decodeRgba(result.png), await decodeRgba(readFileSync(out)));
        expect(diff.max).toBeLessThanOrEqual(1);
        expect(diff.changed).toBeLessThan(0.02);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    300_000,
  );
});
