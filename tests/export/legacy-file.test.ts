/**
 * A file written before the statistics contract (models/norm-stats.ts) keeps
 * working, as it always did: tests/fixtures/legacy-no-stats.fp32.onnx was
 * written by the exporter of the commit before 0810bdf (tests/fixtures/README.md).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { translateFullResolution } from "../../models/full-resolution.ts";
import { defaultOverlap, translateTiled } from "../../models/tiling.ts";
import {
  type OnnxRunner,
  onnxRunner,
  statsEngine,
  tfjsRunner,
  useTfjsBackend,
} from "../../training/export/infer.ts";
import { compareOutputs } from "../../training/export/metrics.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { resnetGenerator } from "../../training/networks/resnet.ts";
import { seededNormal } from "../../training/util/seeded.ts";
import { runCli } from "../helpers/cli.ts";

const REPO = path.resolve(import.meta.dirname, "../..");
const FIXTURE = path.join(REPO, "tests/fixtures/legacy-no-stats.fp32.onnx");
/** What the fixture was written from (tests/fixtures/README.md). */
const spec = resnetGenerator({ ngf: 4, nBlocks: 1 });
const weights = randomWeights(spec, { seed: 14, gain: 0.2 });

/** A smooth picture with texture, RGB, 150x110: two 64 px tiles each way and more. */
function picture(width: number, height: number) {
  const randn = seededNormal(5);
  const pixels = new Uint8ClampedArray(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        const base = 128 + 90 * Math.sin((x + 2 * y) / (17 + 9 * c));
        pixels[(y * width + x) * 3 + c] = base + 20 * randn();
      }
  return { pixels, width, height, channels: 3 as const };
}

let runner: OnnxRunner;
let dir = "";
beforeAll(async () => {
  runner = await onnxRunner(readFileSync(FIXTURE), 4, 1);
  dir = mkdtempSync(path.join(os.tmpdir(), "legacy-file-"));
});
afterAll(async () => {
  await runner.release();
  rmSync(dir, { recursive: true, force: true });
});

describe("a file without statistics I/O", () => {
  it("has no statistics, runs, and still computes the generator it was written from", async () => {
    expect(runner.statsLength).toBe(0);
    const randn = seededNormal(3);
    const image = {
      data: new Float32Array(3 * 24 * 20).map(() => Math.tanh(randn())),
      width: 24,
      height: 20,
    };
    const out = await runner.run(image);
    expect([out.width, out.height]).toEqual([24, 20]);
    expect(out.stats).toBeUndefined();
    await useTfjsBackend("cpu");
    const ref = tfjsRunner(spec, weights);
    const expected = await ref.run(image);
    ref.dispose();
    expect(compareOutputs(out.data, expected.data).maxAbsDiff).toBeLessThanOrEqual(1e-4);
    await expect(runner.run(image, new Float32Array(8))).rejects.toThrow(
      /no normalisation statistics to freeze/,
    );
  });

  it("full resolution runs it per tile on each tile's own statistics, exactly as tiling alone", async () => {
    const src = picture(150, 110);
    const options = { tileSize: 64, overlap: 8 };
    const engine = statsEngine(runner);
    const steps: [number, number][] = [];
    const full = await translateFullResolution(
      src,
      { workingSize: 64, ...options },
      engine,
      (done, total) => steps.push([done, total]),
    );
    expect([full.statsWidth, full.statsHeight, full.statsMs]).toEqual([0, 0, 0]);
    expect(full.tiles).toBeGreaterThanOrEqual(6);
    expect(steps.at(-1)).toEqual([full.tiles, full.tiles]);
    const tiled = await translateTiled(
      src,
      options,
      async (chw, w, h) => (await runner.run({ data: chw, width: w, height: h })).data,
    );
    expect(full.pixels).toEqual(tiled);
  });

  it("npm run infer translates with it and says the file has no statistics I/O", async () => {
    const src = picture(150, 110);
    const input = path.join(dir, "in.png");
    const output = path.join(dir, "out.png");
    await sharp(Buffer.from(src.pixels), { raw: { width: 150, height: 110, channels: 3 } })
      .png()
      .toFile(input);
    const r = await runCli(
      "training/infer/cli.ts",
      ["--model", FIXTURE, "--input", input, "--output", output, "--tile", "64", "--threads", "1"],
      REPO,
    );
    expect(r.err).toMatch(/no statistics I\/O: exported before it existed/);
    expect(r.code).toBe(0);
    const { data, info } = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([150, 110, 3]);
    // the same per-tile translation as in-process (default overlap of a 64 px tile)
    const tiled = await translateTiled(
      src,
      { tileSize: 64, overlap: defaultOverlap(64) },
      async (chw, w, h) => (await runner.run({ data: chw, width: w, height: h })).data,
    );
    expect(new Uint8ClampedArray(data)).toEqual(tiled);
  });
});
