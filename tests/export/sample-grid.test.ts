import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest, type Sample } from "../../models/schema.ts";
import { useTfjsBackend } from "../../training/export/infer.ts";
import { exportModel } from "../../training/export/pipeline.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { composeGrid, GUTTER, planGrid } from "../../training/export/sample-grid.ts";
import { syntheticImage } from "../../training/export/samples.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { writeSampleFolder } from "./sample-folder.ts";

describe("planGrid", () => {
  const square = Array.from({ length: 6 }, () => ({ width: 256, height: 256 }));
  it("puts square photos in two rows, inputs on top, with gutters around every cell", () => {
    const plan = planGrid(square);
    expect(plan.layout).toBe("rows");
    expect([plan.width, plan.height]).toEqual([6 * 256 + 7 * GUTTER, 2 * 256 + 3 * GUTTER]);
    expect(plan.cells[1]).toEqual({
      input: { left: 256 + 2 * GUTTER, top: GUTTER },
      output: { left: 256 + 2 * GUTTER, top: 256 + 2 * GUTTER },
    });
  });
  it("turns wide photos, or a rows picture over 1600 px, into two columns", () => {
    const wide = planGrid([
      { width: 256, height: 144 },
      { width: 256, height: 168 },
    ]);
    expect(wide.layout).toBe("columns");
    expect([wide.width, wide.height]).toEqual([2 * 256 + 3 * GUTTER, 144 + 168 + 3 * GUTTER]);
    expect(wide.cells[1]).toEqual({
      input: { left: GUTTER, top: 144 + 2 * GUTTER },
      output: { left: 256 + 2 * GUTTER, top: 144 + 2 * GUTTER },
    });
    const big = square.map(() => ({ width: 320, height: 320 }));
    expect(planGrid(big).layout).toBe("columns");
  });
  it("centres a smaller sample in its slot", () => {
    const plan = planGrid([
      { width: 32, height: 32 },
      { width: 16, height: 24 },
    ]);
    expect(plan.cells[1]?.input).toEqual({ left: 32 + 2 * GUTTER, top: GUTTER + 4 });
    expect(() => planGrid([])).toThrow(/at least one/);
  });
  it("composes the same bytes every time", async () => {
    const pairs = [1, 2].map((seed) => ({
      input: syntheticImage(16, seed),
      output: syntheticImage(16, seed + 10),
    }));
    const [a, b] = [await composeGrid(pairs), await composeGrid(pairs)];
    expect(a.jpeg.equals(b.jpeg)).toBe(true);
    expect([a.plan.width, a.plan.height]).toEqual([2 * 16 + 3 * GUTTER, 2 * 16 + 3 * GUTTER]);
  });
});

describe("the exported sample grid", () => {
  const spec = buildGenerator("resnet_6blocks", { ngf: 4 });
  let root = "";

  beforeAll(async () => {
    await useTfjsBackend("cpu");
    root = mkdtempSync(path.join(os.tmpdir(), "sample-grid-"));
    // Smooth colour ramps (JPEG keeps them within a few levels), in two sizes: testA's second
    // image is landscape, so its cells are lower than their slot and centred in it.
    await writeSampleFolder(
      path.join(root, "data"),
      {
        testA: [
          [32, 32],
          [32, 20],
          [32, 32],
        ],
        testB: [[32, 32]],
      },
      (x, y, c, i) => [40 + 5 * x, 60 * i + 4 * y, 200 - 3 * (x + y)][c] as number,
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const decode = (file: string) =>
    sharp(readFileSync(file)).raw().toBuffer({ resolveWithObject: true });

  it("is one JPEG per direction made of the sample JPEGs, listed in the manifest and the card", async () => {
    const models = path.join(root, "models");
    const generator = (direction: "AtoB" | "BtoA", seed: number) => ({
      direction,
      netG: "resnet_6blocks",
      ngf: 4,
      spec,
      weights: randomWeights(spec, { seed, gain: 0.2 }),
    });
    const result = await exportModel({
      id: "grid",
      title: "Grid",
      description: "",
      domains: { A: { name: "a", description: "" }, B: { name: "b", description: "" } },
      generators: [generator("AtoB", 1), generator("BtoA", 2)],
      dtypes: ["fp32"],
      provenance: {
        kind: "imported",
        source: "test",
        sha256: "0".repeat(64),
        date: "2025-01-01T00:00:00.000Z",
      },
      license: { spdx: "MIT", attribution: "tests" },
      metrics: [],
      samplesDir: path.join(root, "data"),
      sampleCount: 6,
      checkSide: 32,
      trainedSize: 32,
      recommendedMaxSide: 64,
      modelsDir: models,
      manifestPath: path.join(models, "manifest.json"),
    });
    expect(result.written).toBe(true);
    const entry = parseManifest(
      JSON.parse(readFileSync(path.join(models, "manifest.json"), "utf8")),
    ).models[0];
    const dir = path.join(models, "grid");
    expect(entry?.sampleGrids?.map((g) => [g.direction, g.file, g.count])).toEqual([
      ["AtoB", "samples-AtoB.jpg", 3],
      ["BtoA", "samples-BtoA.jpg", 1],
    ]);
    const card = readFileSync(path.join(dir, "README.md"), "utf8");
    for (const grid of entry?.sampleGrids ?? []) {
      const bytes = readFileSync(path.join(dir, grid.file));
      expect(grid.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(card).toContain(`![${grid.direction} samples](${grid.file})`);
      // The pairs are still listed (the site shows them), just not on the card.
      expect(card).not.toContain(`sample-${grid.direction}-1.in.jpg`);
    }

    // AtoB: 32x32, 32x20, 32x32: square enough for rows, inputs above outputs.
    const pairs = entry?.samples.filter((s) => s.direction === "AtoB") ?? [];
    expect(pairs.map((s) => [s.width, s.height])).toEqual([
      [32, 32],
      [32, 20],
      [32, 32],
    ]);
    const atob = entry?.sampleGrids?.[0];
    const grid = await decode(path.join(dir, "samples-AtoB.jpg"));
    const [width, height] = [3 * 32 + 4 * GUTTER, 2 * 32 + 3 * GUTTER];
    expect([grid.info.width, grid.info.height, grid.info.channels]).toEqual([width, height, 3]);
    expect([atob?.width, atob?.height, atob?.layout]).toEqual([width, height, "rows"]);

    // Mean abs difference of a sample JPEG from the grid's region at (left, top), 2 px in from
    // the edges, where the white gutters bleed into the cells through JPEG's blocks.
    const cellError = async (file: string, left: number, top: number) => {
      const cell = await decode(path.join(dir, file));
      const { width: w, height: h } = cell.info;
      let e = 0;
      for (let y = 2; y < h - 2; y++)
        for (let x = 6; x < w * 3 - 6; x++)
          e += Math.abs(
            (cell.data[y * w * 3 + x] as number) -
              (grid.data[((top + y) * width + left) * 3 + x] as number),
          );
      return e / (w * h * 3);
    };
    const at = (s: Sample | undefined, side: "input" | "output") => s?.[side] ?? "";
    const second = { left: 32 + 2 * GUTTER, top: GUTTER + 6 }; // 20 px high, centred in 32
    const cases = [
      [at(pairs[0], "input"), GUTTER, GUTTER],
      [at(pairs[0], "output"), GUTTER, 32 + 2 * GUTTER],
      [at(pairs[1], "input"), second.left, second.top],
      [at(pairs[1], "output"), second.left, second.top + 32 + GUTTER],
      [at(pairs[2], "output"), 64 + 3 * GUTTER, 32 + 2 * GUTTER],
    ] as const;
    // Measured: JPEG round trips leave under 2 levels; a wrong or swapped cell is off by tens.
    // Measured: 1.2-1.6 levels for the smooth inputs, 4.0-4.6 for the noisy outputs (each
    // picture JPEG-coded on its own); one pixel off costs outputs 45, a swapped cell 13-43.
    for (const [file, left, top] of cases)
      expect(await cellError(file, left, top), file).toBeLessThan(8);
    expect(await cellError(at(pairs[0], "output"), GUTTER + 1, 32 + 2 * GUTTER)).toBeGreaterThan(
      20,
    );
    expect(await cellError(at(pairs[0], "output"), GUTTER, GUTTER)).toBeGreaterThan(20);
    expect(await cellError(at(pairs[1], "input"), GUTTER, GUTTER)).toBeGreaterThan(8);
    // The gutter between the rows is white, give or take JPEG's bleed from the cells.
    const strip: number[] = [];
    for (let y = 32 + GUTTER; y < 32 + 2 * GUTTER; y++)
      strip.push(...grid.data.subarray(y * width * 3, (y + 1) * width * 3));
    // Measured: mean 251.7 levels.
    expect(strip.reduce((a, b) => a + b, 0) / strip.length).toBeGreaterThan(245);
  });
});
