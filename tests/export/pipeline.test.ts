import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../models/schema.ts";
import { onnxRunner, useTfjsBackend } from "../../training/export/infer.ts";
import { type ExportOptions, exportModel } from "../../training/export/pipeline.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { loadImage, toJpeg } from "../../training/export/samples.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { onnxChecker } from "./onnx-checker.ts";

const spec = buildGenerator("resnet_6blocks", { ngf: 4 });
let root = "";

beforeAll(async () => {
  await useTfjsBackend("cpu");
  root = mkdtempSync(path.join(os.tmpdir(), "export-pipeline-"));
  // A dataset-layout sample folder: testA gets two odd-sized images, testB one.
  for (const [dir, sizes] of [
    [
      "testA",
      [
        [50, 37],
        [24, 40],
      ],
    ],
    ["testB", [[33, 33]]],
  ] as const) {
    mkdirSync(path.join(root, "data", dir), { recursive: true });
    for (const [i, [w, h]] of sizes.entries()) {
      const px = Buffer.from(Array.from({ length: w * h * 3 }, (_, k) => (k * 37 + i * 91) % 256));
      await sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(path.join(root, "data", dir, `img${i}.png`));
    }
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function options(name: string, over: Partial<ExportOptions> = {}): ExportOptions {
  const models = path.join(root, name);
  return {
    id: "tiny",
    title: "Tiny",
    description: "test model",
    domains: { A: { name: "a", description: "" }, B: { name: "b", description: "" } },
    generators: [
      {
        direction: "AtoB",
        netG: "resnet_6blocks",
        ngf: 4,
        spec,
        weights: randomWeights(spec, { seed: 1 }),
      },
      {
        direction: "BtoA",
        netG: "resnet_6blocks",
        ngf: 4,
        spec,
        weights: randomWeights(spec, { seed: 2 }),
      },
    ],
    dtypes: ["fp32", "fp16", "int8"],
    provenance: {
      kind: "imported",
      source: "test",
      sha256: "0".repeat(64),
      date: "2025-01-01T00:00:00.000Z",
    },
    license: { spdx: "MIT", attribution: "tests" },
    metrics: [{ name: "PSNR", value: 20, better: "higher", on: "nothing", baselines: {} }],
    samplesDir: path.join(root, "data"),
    sampleCount: 2,
    checkSide: 32,
    trainedSize: 32,
    recommendedMaxSide: 64,
    modelsDir: models,
    manifestPath: path.join(models, "manifest.json"),
    ...over,
  };
}

const decode = (jpeg: Buffer) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("exportModel", () => {
  it("writes checked variants, samples from the exported model and a valid manifest entry", async () => {
    const o = options("ok");
    const result = await exportModel(o);
    expect(result.written).toBe(true);
    expect(result.rows).toHaveLength(6);
    for (const r of result.rows) {
      if (r.dtype === "fp32") expect(r["max abs"]).toBeLessThanOrEqual(1e-4);
      else expect(r["PSNR dB"]).toBeGreaterThanOrEqual(35);
    }
    const manifest = parseManifest(JSON.parse(readFileSync(o.manifestPath, "utf8")));
    const entry = manifest.models[0];
    expect(entry?.id).toBe("tiny");
    const dir = path.join(o.modelsDir, "tiny");
    const onnxFiles: string[] = [];
    for (const g of entry?.generators ?? []) {
      expect(g.architecture).toMatchObject({ netG: "resnet_6blocks", ngf: 4 });
      expect(g.io.input.name).toBe("input");
      expect(g.variants.map((v) => v.dtype)).toEqual(["fp32", "fp16", "int8"]);
      for (const v of g.variants) {
        const bytes = readFileSync(path.join(dir, v.file));
        expect(v.bytes).toBe(bytes.length);
        expect(v.sha256).toBe(sha256(bytes));
        onnxFiles.push(path.join(dir, v.file));
      }
      expect(g.variants.find((v) => v.dtype === "fp16")?.requires).toEqual(["shader-f16"]);
    }
    expect(onnxChecker(onnxFiles).filter((r) => !r.ok)).toEqual([]);

    // 2 samples for AtoB (testA), 1 for BtoA (testB); sides fitted into 32 and divisible by 4.
    expect(entry?.samples.map((s) => s.direction)).toEqual(["AtoB", "AtoB", "BtoA"]);
    const first = entry?.samples[0];
    expect([first?.width, first?.height]).toEqual([32, 24]);
    // The output JPEG is what the written fp32 file makes of the input (same JPEG encoder).
    const input = await loadImage(path.join(root, "data", "testA", "img0.png"), 32, 4);
    const session = await onnxRunner(readFileSync(path.join(dir, "AtoB.fp32.onnx")), 4);
    const expected = await decode(await toJpeg(await session.run(input)));
    await session.release();
    const written = await decode(readFileSync(path.join(dir, first?.output ?? "")));
    expect([written.info.width, written.info.height]).toEqual([32, 24]);
    let err = 0;
    for (let i = 0; i < written.data.length; i++)
      err += Math.abs((written.data[i] as number) - (expected.data[i] as number));
    expect(err / written.data.length).toBeLessThan(0.5);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("replaces an entry in place, keeps the others, and drops files of removed variants", async () => {
    const o = options("update");
    await exportModel(o);
    await exportModel({
      ...o,
      id: "other",
      generators: o.generators.slice(0, 1),
      dtypes: ["int8"],
    });
    await exportModel({ ...o, dtypes: ["fp32"], samplesDir: undefined });
    const manifest = parseManifest(JSON.parse(readFileSync(o.manifestPath, "utf8")));
    expect(manifest.models.map((m) => m.id)).toEqual(["tiny", "other"]);
    expect(manifest.models[0]?.samples).toEqual([]);
    expect(readdirSync(path.join(o.modelsDir, "tiny")).sort()).toEqual([
      "AtoB.fp32.onnx",
      "BtoA.fp32.onnx",
      "README.md",
    ]);
    // The model card follows the entry: only the variants still listed.
    const card = readFileSync(path.join(o.modelsDir, "tiny", "README.md"), "utf8");
    expect(card).toContain("`AtoB.fp32.onnx`");
    expect(card).not.toContain("int8");
    expect(readdirSync(path.join(o.modelsDir, "other")).filter((f) => f.endsWith(".onnx"))).toEqual(
      ["AtoB.int8.onnx"],
    );
  });

  it("refuses to write anything when a variant is over budget", async () => {
    // One huge weight per output channel of the last conv: per-channel int8 then
    // rounds every other weight of that channel to zero.
    const weights = new Map(randomWeights(spec, { seed: 3, gain: 0.3 }));
    const last = weights.get("model.23.weight");
    if (!last) throw new Error("spec changed: no model.23.weight");
    const skewed = last.data.slice();
    const perChannel = skewed.length / 3;
    for (let c = 0; c < 3; c++) skewed[c * perChannel] = 10;
    weights.set("model.23.weight", { shape: last.shape, data: skewed });
    const o = options("refused", {
      generators: [{ direction: "AtoB", netG: "resnet_6blocks", ngf: 4, spec, weights }],
      dtypes: ["fp16", "int8"],
    });
    mkdirSync(o.modelsDir, { recursive: true });
    writeFileSync(o.manifestPath, '{"schemaVersion":1,"models":[]}\n');
    const result = await exportModel(o);
    expect(result.written).toBe(false);
    const int8 = result.rows.find((r) => r.dtype === "int8");
    expect(int8?.result).toBe("OVER BUDGET");
    expect(int8?.["PSNR dB"]).toBeLessThan(35);
    expect(result.rows.find((r) => r.dtype === "fp16")?.result).toBe("ok");
    expect(readFileSync(o.manifestPath, "utf8")).toBe('{"schemaVersion":1,"models":[]}\n');
    expect(existsSync(path.join(o.modelsDir, "tiny"))).toBe(false);
  });

  it("rejects a check size that is not a multiple of 4 before writing anything", async () => {
    const o = options("badsize", { checkSide: 30 });
    await expect(exportModel(o)).rejects.toThrow(/30x30.*multiples of 4/);
    expect(existsSync(o.modelsDir)).toBe(false);
  });

  it("changes nothing when the manifest cannot be written: old files stay, matching the old manifest", async () => {
    const o = options("keep", { dtypes: ["fp32"], samplesDir: undefined });
    await exportModel(o);
    const dir = path.join(o.modelsDir, "tiny");
    const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))]));
    const manifestBefore = readFileSync(o.manifestPath, "utf8");
    // Same models folder, new weights, a manifest in a folder that does not exist.
    const nowhere = path.join(root, "no-such-dir", "manifest.json");
    const retrained = o.generators.map((g, i) => ({
      ...g,
      weights: randomWeights(spec, { seed: 20 + i }),
    }));
    await expect(
      exportModel({ ...o, generators: retrained, manifestPath: nowhere }),
    ).rejects.toThrow(/cannot write the manifest .*no-such-dir.*does not exist/);
    expect(readdirSync(dir).sort()).toEqual([...before.keys()].sort());
    for (const [f, bytes] of before) expect(readFileSync(path.join(dir, f))).toEqual(bytes);
    expect(readFileSync(o.manifestPath, "utf8")).toBe(manifestBefore);
    expect(existsSync(path.join(root, "no-such-dir"))).toBe(false);
    // The files still match the manifest's sha256.
    const entry = parseManifest(JSON.parse(manifestBefore)).models[0];
    for (const v of entry?.generators.flatMap((g) => g.variants) ?? [])
      expect(sha256(readFileSync(path.join(dir, v.file)))).toBe(v.sha256);

    // A manifest in a folder that does not exist under a new models folder: nothing created.
    const fresh = path.join(root, "keep-fresh");
    await expect(exportModel({ ...o, modelsDir: fresh, manifestPath: nowhere })).rejects.toThrow(
      /cannot write the manifest/,
    );
    expect(existsSync(fresh)).toBe(false);
  });

  it("refuses a directory as the manifest, and names the file of a manifest of the wrong shape", async () => {
    const o = options("dirmanifest", { dtypes: ["fp32"], samplesDir: undefined });
    mkdirSync(o.manifestPath, { recursive: true });
    await expect(exportModel(o)).rejects.toThrow(/manifest\.json is a directory/);
    expect(existsSync(path.join(o.modelsDir, "tiny"))).toBe(false);
    const wrong = path.join(root, "wrong-shape.json");
    writeFileSync(wrong, '{"schemaVersion":1,"models":[{"id":"x"}]}');
    await expect(exportModel({ ...o, manifestPath: wrong })).rejects.toThrow(
      /wrong-shape\.json: invalid model manifest/,
    );
    expect(existsSync(path.join(o.modelsDir, "tiny"))).toBe(false);
  });

  it("refuses a U-Net before any work: the site tiles to multiples of 4 only", async () => {
    const unet = buildGenerator("unet_128", { ngf: 4 });
    const o = options("unet", {
      generators: [
        {
          direction: "AtoB",
          netG: "unet_128",
          ngf: 4,
          spec: unet,
          weights: randomWeights(unet, { seed: 1 }),
        },
      ],
    });
    await expect(exportModel(o)).rejects.toThrow(/multiples of 128.*only ResNet generators/);
    expect(existsSync(o.modelsDir)).toBe(false);
  });

  it("reads a transparent sample over white, as the trainer does", async () => {
    const file = path.join(root, "clear.png");
    await sharp(Buffer.alloc(8 * 8 * 4, 0), { raw: { width: 8, height: 8, channels: 4 } })
      .png()
      .toFile(file);
    const img = await loadImage(file, 8, 4);
    // planar [-1, 1]: white is 1 in every channel
    expect(Math.min(...img.data)).toBe(1);
  });

  it("rejects an invalid model id", async () => {
    await expect(exportModel(options("badid", { id: "Bad/Id" }))).rejects.toThrow(
      /invalid model id/,
    );
  });
});
