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
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../models/schema.ts";
import { onnxRunner, useTfjsBackend } from "../../training/export/infer.ts";
import { type ExportOptions, exportModel } from "../../training/export/pipeline.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { loadImage, syntheticImage, toJpeg } from "../../training/export/samples.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { onnxChecker } from "./onnx-checker.ts";
import { writeSampleFolder } from "./sample-folder.ts";

const spec = buildGenerator("resnet_6blocks", { ngf: 4 });
let root = "";

beforeAll(async () => {
  await useTfjsBackend("cpu");
  root = mkdtempSync(path.join(os.tmpdir(), "export-pipeline-"));
  // A dataset-layout sample folder: testA gets two odd-sized images, testB one.
  await writeSampleFolder(
    path.join(root, "data"),
    {
      testA: [
        [50, 37],
        [24, 40],
      ],
      testB: [[33, 33]],
    },
    (_x, _y, _c, i, k) => k * 37 + i * 91,
  );
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

interface Planar {
  data: Float32Array;
  width: number;
  height: number;
}

/** By hand, apart from the exporter: fit inside `side`, centre-crop to multiples of 4, raw RGB. */
async function rawFitted(file: string, side: number) {
  const { data, info } = await sharp(file)
    .resize(side, side, { fit: "inside" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const [w, h] = [info.width - (info.width % 4), info.height - (info.height % 4)];
  const [left, top] = [Math.floor((info.width - w) / 2), Math.floor((info.height - h) / 2)];
  const out = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    data.copy(
      out,
      y * w * 3,
      ((y + top) * info.width + left) * 3,
      ((y + top) * info.width + left + w) * 3,
    );
  return { pixels: out, width: w, height: h };
}

/** Interleaved bytes -> planar CHW in [-1, 1] (v / 127.5 - 1). */
function toPlanar(pixels: Uint8Array, width: number, height: number): Planar {
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < 3; c++) data[c * plane + i] = (pixels[i * 3 + c] as number) / 127.5 - 1;
  return { data, width, height };
}

/**
 * A raw onnxruntime-node session on the file, input "input" [1, 3, H, W]; the
 * statistics inputs, read off the session, get zeros and freeze 0 (own statistics).
 */
async function runFile(file: string, inputs: Planar[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(readFileSync(file));
  const stats = session.inputMetadata.find((i) => i.name === "norm_stats");
  const length = stats?.isTensor ? Number(stats.shape[1]) : 0;
  expect(length).toBeGreaterThan(0);
  const own = {
    norm_stats: new ort.Tensor("float32", new Float32Array(length), [1, length]),
    norm_freeze: new ort.Tensor("float32", new Float32Array(1), [1]),
  };
  const out: Float32Array[] = [];
  for (const x of inputs) {
    const r = await session.run({
      input: new ort.Tensor("float32", x.data, [1, 3, x.height, x.width]),
      ...own,
    });
    const y = r.output as ort.Tensor;
    expect(y.dims).toEqual([1, 3, x.height, x.width]);
    out.push((y.data as Float32Array).slice());
  }
  await session.release();
  return out;
}

/** Max abs difference and PSNR for a [-1, 1] range (peak-to-peak 2). */
function figures(a: Float32Array, b: Float32Array) {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    max = Math.max(max, Math.abs(d));
    sq += d * d;
  }
  return { maxAbs: max, psnr: 10 * Math.log10(4 / (sq / a.length)) };
}

const meanAbs = (a: Uint8Array, b: Uint8Array) => {
  expect(a.length).toBe(b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e += Math.abs((a[i] as number) - (b[i] as number));
  return e / a.length;
};
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

    // The written files themselves, run here in onnxruntime-node on the check's inputs (the
    // two testA samples loaded by hand and the synthetic image), fp16 and int8 against fp32.
    const checkInputs: Planar[] = [];
    for (const f of ["img0.png", "img1.png"]) {
      const r = await rawFitted(path.join(root, "data", "testA", f), 32);
      checkInputs.push(toPlanar(r.pixels, r.width, r.height));
    }
    checkInputs.push(syntheticImage(32, 1));
    expect(checkInputs.map((x) => [x.width, x.height])).toEqual([
      [32, 24],
      [16, 32],
      [32, 32],
    ]);
    const ref = await runFile(path.join(dir, "AtoB.fp32.onnx"), checkInputs);
    const atob = entry?.generators.find((g) => g.direction === "AtoB");
    for (const dtype of ["fp16", "int8"] as const) {
      const outs = await runFile(path.join(dir, `AtoB.${dtype}.onnx`), checkInputs);
      const f = outs.map((o, i) => figures(o, ref[i] as Float32Array));
      const worst = {
        maxAbs: Math.max(...f.map((x) => x.maxAbs)),
        psnr: Math.min(...f.map((x) => x.psnr)),
      };
      expect(worst.maxAbs, dtype).toBeGreaterThan(0); // really a lower precision than fp32
      // measured: fp16 max 1.1e-3, 77.1 dB; int8 max 0.033, 48.1 dB
      expect(worst.maxAbs, dtype).toBeLessThan(dtype === "fp16" ? 5e-3 : 0.1);
      expect(worst.psnr, dtype).toBeGreaterThan(dtype === "fp16" ? 70 : 44);
      // the manifest's figures (against TensorFlow.js) agree with these (against the fp32
      // file): measured within 1e-6 and 0.002 dB
      const check = atob?.variants.find((v) => v.dtype === dtype)?.check;
      expect(Math.abs((check?.maxAbsDiff ?? -1) - worst.maxAbs), dtype).toBeLessThan(2e-5);
      expect(Math.abs((check?.psnrDb ?? -1) - worst.psnr), dtype).toBeLessThan(0.05);
    }

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

    // Independently of loadImage/onnxRunner/toJpeg: the input JPEG is the source fitted by
    // sharp alone, and the output JPEG is what a raw session makes of it from raw pixels.
    const src = await rawFitted(path.join(root, "data", "testA", "img0.png"), 32);
    expect([src.width, src.height]).toEqual([32, 24]);
    const inJpeg = await decode(readFileSync(path.join(dir, first?.input ?? "")));
    expect([inJpeg.info.width, inJpeg.info.height, inJpeg.info.channels]).toEqual([32, 24, 3]);
    const inErr = meanAbs(inJpeg.data, src.pixels);
    const [raw] = await runFile(path.join(dir, "AtoB.fp32.onnx"), [
      toPlanar(src.pixels, src.width, src.height),
    ]);
    const plane = src.width * src.height;
    const outPixels = new Uint8Array(plane * 3);
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++)
        outPixels[i * 3 + c] = Math.min(
          255,
          Math.max(0, Math.round(((raw?.[c * plane + i] ?? 0) + 1) * 127.5)),
        );
    const outErr = meanAbs(written.data, outPixels);
    const viaJpeg = async (px: Uint8Array) =>
      (
        await decode(
          await sharp(px, { raw: { width: src.width, height: src.height, channels: 3 } })
            .jpeg({ quality: 90 })
            .toBuffer(),
        )
      ).data;
    const blockMeans = (px: Uint8Array) => {
      const out: number[] = [];
      for (let by = 0; by < src.height; by += 8)
        for (let bx = 0; bx < src.width; bx += 8)
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            for (let y = by; y < by + 8; y++)
              for (let x = bx; x < bx + 8; x++) sum += px[(y * src.width + x) * 3 + c] as number;
            out.push(sum / 64);
          }
      return out;
    };
    const blockErr = (a: Uint8Array, b: Uint8Array) => {
      const [p, q] = [blockMeans(a), blockMeans(b)];
      return Math.max(...p.map((v, i) => Math.abs(v - (q[i] as number))));
    };
    // The test image is per-pixel noise, which JPEG (4:2:0 chroma) cannot keep: per pixel
    // the files differ from the raw pixels by ~13-19 levels on average, 8x8 block means by
    // under 2 (measured 1.3 in, 1.8 out), and re-encoding the raw pixels here at quality 90
    // gives the written files exactly (measured 0).
    expect(inErr).toBeLessThan(25);
    expect(outErr).toBeLessThan(25);
    expect(blockErr(inJpeg.data, src.pixels)).toBeLessThan(4);
    expect(blockErr(written.data, outPixels)).toBeLessThan(4);
    expect(meanAbs(inJpeg.data, await viaJpeg(src.pixels))).toBeLessThan(0.5);
    expect(meanAbs(written.data, await viaJpeg(outPixels))).toBeLessThan(0.5);
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
