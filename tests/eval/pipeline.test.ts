/**
 * End to end on a toy paired set whose true translation is known: B is the
 * photographic negative of A, and the "generator" is a real one-node ONNX
 * graph (Neg) run by onnxruntime-node through the pixel contract.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Metric } from "../../models/schema.ts";
import { evaluateDomain } from "../../training/eval/domain.ts";
import { loadGenerator } from "../../training/eval/generator.ts";
import { PSNR_CAP_DB } from "../../training/eval/metrics.ts";
import { BASELINES, beatsBaselines, evaluatePaired } from "../../training/eval/paired.ts";
import { pairedReport } from "../../training/eval/summary.ts";
import { DataType, encodeModel, IR_VERSION } from "../../training/export/proto.ts";

let dir: string;
let data: string;
let model: string;

function negModel(): Uint8Array {
  const io = (name: string) => ({
    name,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: {
          dim: [{ dim_value: 1 }, { dim_value: 3 }, { dim_param: "h" }, { dim_param: "w" }],
        },
      },
    },
  });
  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: "", version: 17 }],
    producer_name: "test",
    producer_version: "1",
    graph: {
      name: "neg",
      node: [{ name: "neg", op_type: "Neg", input: ["input"], output: ["output"], attribute: [] }],
      initializer: [],
      input: [io("input")],
      output: [io("output")],
    },
    metadata_props: [],
  });
}

/** A dark, textured 30x22 image (sides not multiples of 4, so padding is exercised). */
function dark(seed: number): Buffer {
  const w = 30;
  const h = 22;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++)
    px[i] = (((i * 37 + seed * 101) ^ (i >> 3)) % 90) + (i % 3) * 10;
  return px;
}

const negative = (px: Buffer) => Buffer.from(px.map((v) => 255 - v));

async function png(file: string, px: Buffer): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width: 30, height: 22, channels: 3 } })
    .png()
    .toFile(file);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "eval-"));
  data = path.join(dir, "toy");
  for (let i = 0; i < 8; i++) {
    await png(path.join(data, "trainA", `a${i}.png`), dark(i));
    await png(path.join(data, "trainB", `b${i}.png`), negative(dark(100 + i)));
  }
  for (let i = 0; i < 5; i++) {
    await png(path.join(data, "testA", `t${i}.png`), dark(200 + i));
    await png(path.join(data, "testB", `t${i}.png`), negative(dark(200 + i)));
  }
  model = path.join(dir, "models", "neg-toy", "AtoB.fp32.onnx");
  mkdirSync(path.dirname(model), { recursive: true });
  writeFileSync(model, negModel());
});

describe("paired evaluation", () => {
  it("scores a perfect generator as perfect and above both baselines", async () => {
    const gen = await loadGenerator(model);
    try {
      const r = await evaluatePaired({ data, generators: [gen], examples: 3 });
      expect(r.n).toBe(5);
      const own = r.summaries.find((s) => s.method === "neg-toy/AtoB.fp32.onnx");
      expect(own?.mean).toEqual({ L1: 0, PSNR: PSNR_CAP_DB, SSIM: 1, tint: 0 });
      const id = r.summaries.find((s) => s.method === BASELINES.identity);
      expect(id?.mean.L1).toBeGreaterThan(0.4);
      for (const m of ["L1", "PSNR", "SSIM", "tint"] as const)
        expect(beatsBaselines(r, own?.method ?? "", m)).toBe(true);
      expect(r.examples).toHaveLength(3);

      const out = path.join(dir, "report");
      const { json } = await pairedReport(out, r);
      expect(json.beatsBothBaselines).toEqual({
        "neg-toy/AtoB.fp32.onnx": { L1: true, PSNR: true, SSIM: true, tint: true },
      });
      const html = readFileSync(path.join(out, "index.html"), "utf8");
      expect(html).toContain("neg-toy/AtoB.fp32.onnx");
      expect(html).toContain("truth (testB)");
      const grid = await sharp(path.join(out, "grid.png")).metadata();
      expect(grid.height).toBeGreaterThan(3 * 128);
      expect(existsSync(path.join(out, "img", "r2-c3.png"))).toBe(true);
    } finally {
      await gen.release();
    }
  });
});

describe("domain evaluation", () => {
  it("trains a classifier that tells the domains apart and credits the translation", async () => {
    const gen = await loadGenerator(model);
    try {
      const r = await evaluateDomain({ data, generators: [gen] });
      expect(r.classifier.heldOut).toMatchObject({ A: 5, B: 5, accuracy: 1, balanced: 1 });
      const share = (m: string) => r.scores.find((s) => s.method === m)?.targetShare;
      expect(share("neg-toy/AtoB.fp32.onnx")).toBe(1);
      expect(share(BASELINES.identity)).toBe(0);
      expect(share("reference: real testB")).toBe(1);
      expect(r.classifier.train.crossValidated).toBe(1);
      const kept = (m: string) => r.scores.find((s) => s.method === m)?.contentSsim;
      expect(kept(BASELINES.identity)).toBe(1);
      expect(kept("neg-toy/AtoB.fp32.onnx")).toBeLessThan(0); // a negative inverts the structure
      // A negative flips the high-pass residual's sign, which leaves its phase spread as it was.
      const grid = (m: string) => r.scores.find((s) => s.method === m)?.grid;
      expect(grid(BASELINES.identity)).toBeGreaterThan(0);
      expect(grid("neg-toy/AtoB.fp32.onnx")).toBeCloseTo(grid(BASELINES.identity) ?? -1, 6);
      expect(grid("reference: real testB")).toBeNull();
    } finally {
      await gen.release();
    }
  });
});

describe("eval command", () => {
  const run = promisify(execFile);
  const cli = path.resolve("training/eval/cli.ts");

  it("prints the table and writes result.json", async () => {
    const out = path.join(dir, "cli-report");
    const { stdout } = await run(process.execPath, [
      cli,
      "paired",
      "--model",
      model,
      "--data",
      data,
      "--out",
      out,
      "--metrics-out",
      path.join(out, "metrics.json"),
    ]);
    expect(stdout).toMatch(/neg-toy\/AtoB\.fp32\.onnx +\| 5 +\| 0\.0000 ± 0\.0000/);
    const json = JSON.parse(readFileSync(path.join(out, "result.json"), "utf8"));
    expect(json.mode).toBe("paired");
    expect(json.perImage).toHaveLength(5);
    // The manifest's metrics are the measured means, with both baselines beside them.
    const metrics = z
      .array(Metric)
      .parse(JSON.parse(readFileSync(path.join(out, "metrics.json"), "utf8")));
    const l1 = metrics.find((m) => m.name === "L1");
    expect(l1).toMatchObject({ value: 0, better: "lower", on: "5 held-out AtoB pairs of toy" });
    expect(Object.keys(l1?.baselines ?? {})).toEqual(["identity", "Lab colour transfer"]);
    expect(l1?.baselines.identity).toBeGreaterThan(0.1);
    // Paired sets get the domain score and the gates too (5 test images: too few to pass).
    expect(stdout).toContain("neg-toy/AtoB.fp32.onnx: FAIL domain: 100% of 5 (colour transfer");
    expect(json.gates["neg-toy/AtoB.fp32.onnx"].map((g: { name: string }) => g.name)).toEqual([
      "grid",
      "domain",
      "content",
    ]);
    expect(json.summaries[0].grid).toBeGreaterThan(0);
    const grid = metrics.find((m) => m.name === "grid score (period-4 artefact, levels)");
    expect(grid?.gate?.passed).toBe(true); // the negative's grid equals its inputs'
    expect(existsSync(path.join(out, "domain", "index.html"))).toBe(true);
  });

  it("fails clearly on a dataset without pairs or a missing model", async () => {
    const noPairs = path.join(dir, "nopairs");
    await png(path.join(noPairs, "testA", "x.png"), dark(1));
    await png(path.join(noPairs, "testB", "y.png"), dark(2));
    await expect(run(process.execPath, [cli, "paired", "--data", noPairs])).rejects.toMatchObject({
      stderr: expect.stringMatching(/has no paired test set/),
    });
    await expect(
      run(process.execPath, [
        cli,
        "paired",
        "--model",
        path.join(dir, "none.onnx"),
        "--data",
        data,
      ]),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/cannot read model/) });
    const garbage = path.join(dir, "garbage.onnx");
    writeFileSync(garbage, "not a model");
    await expect(
      run(process.execPath, [cli, "paired", "--model", garbage, "--data", data]),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/garbage\.onnx is not a usable ONNX generator/),
    });
  });
});
