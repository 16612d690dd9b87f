import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeProblem, listImages, readableImages } from "../../training/data/folder.ts";
import { epochBatches } from "../../training/data/loader.ts";
import {
  decodeRgb,
  loadTestImage,
  loadTrainingImage,
  type PreprocessOptions,
  resizeTarget,
  roundToMultiple,
  trainedSide,
} from "../../training/data/preprocess.ts";
import { type DatasetOptions, UnalignedDataset } from "../../training/data/unaligned.ts";
import { Rng } from "../../training/model/rng.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "train-data-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A w x h RGB image whose pixel (x, y) is (x, y, 7), so crops and flips can be read back. */
async function gradient(file: string, w: number, h: number): Promise<void> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set([x, y, 7], (y * w + x) * 3);
  await sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(file);
}

const byte = (v: number) => Math.round((v + 1) * 127.5);
const pixel = (im: { data: Float32Array; width: number }, x: number, y: number) =>
  [0, 1, 2].map((c) => byte(im.data[(y * im.width + x) * 3 + c] as number));

const base: PreprocessOptions = { preprocess: "crop", load_size: 40, crop_size: 16, no_flip: true };

describe("preprocessing", () => {
  it("computes the reference's sizes for each mode", () => {
    expect(resizeTarget(500, 300, { ...base, preprocess: "resize_and_crop" })).toEqual([40, 40]);
    expect(resizeTarget(500, 300, { ...base, preprocess: "scale_width_and_crop" })).toEqual([
      40, 24,
    ]);
    // height never below crop_size
    expect(resizeTarget(500, 100, { ...base, preprocess: "scale_width_and_crop" })).toEqual([
      40, 16,
    ]);
    expect(resizeTarget(40, 30, { ...base, preprocess: "scale_width_and_crop" })).toBeNull();
    expect(resizeTarget(500, 300, { ...base, preprocess: "scale_width" })).toEqual([40, 24]);
    expect(resizeTarget(500, 310, { ...base, preprocess: "scale_width" })).toEqual([40, 24]);
    expect(resizeTarget(500, 300, base)).toBeNull();
    expect(resizeTarget(101, 98, { ...base, preprocess: "none" })).toEqual([100, 96]);
    expect(resizeTarget(100, 96, { ...base, preprocess: "none" })).toBeNull();
    // Python's round(): 62.5 -> 62, 63.5 -> 64
    expect(roundToMultiple(250)).toBe(248);
    expect(roundToMultiple(254)).toBe(256);
    expect(roundToMultiple(1)).toBe(4);
  });

  it("crops at the drawn offset and flips left-right", async () => {
    const file = path.join(dir, "grad.png");
    await gradient(file, 30, 20);
    const draws = { int: (n: number) => n - 1, random: () => 0.9 }; // last offset, no flip
    const im = await loadTrainingImage(file, base, draws);
    expect([im.width, im.height]).toEqual([16, 16]);
    expect(pixel(im, 0, 0)).toEqual([14, 4, 7]); // x offset 30 - 16 = 14, y offset 4
    const flipped = await loadTrainingImage(
      file,
      { ...base, no_flip: false },
      { ...draws, random: () => 0.1 },
    );
    expect(pixel(flipped, 0, 0)).toEqual([29, 4, 7]);
    expect(pixel(flipped, 15, 3)).toEqual([14, 7, 7]);
  });

  it("gives every mode the expected output size", async () => {
    const file = path.join(dir, "wide.png");
    await gradient(file, 50, 30);
    const draw = new Rng([1, 2, 3, 4]);
    const size = async (preprocess: PreprocessOptions["preprocess"]) => {
      const im = await loadTrainingImage(file, { ...base, preprocess }, draw);
      return [im.width, im.height];
    };
    expect(await size("resize_and_crop")).toEqual([16, 16]);
    expect(await size("crop")).toEqual([16, 16]);
    expect(await size("scale_width_and_crop")).toEqual([16, 16]);
    expect(await size("scale_width")).toEqual([40, 24]);
    expect(await size("none")).toEqual([48, 32]); // 12.5 rounds to even
    const test = await loadTestImage(file, 26);
    expect([test.width, test.height]).toEqual([24, 16]); // 26 x 15.6, rounded to 4
    // a U-Net takes multiples of 128 or 256 only
    const unet = await loadTestImage(file, 300, 128);
    expect([unet.width, unet.height]).toEqual([256, 128]); // 300 x 180, rounded to 128
  });

  it("knows the side a generator trained on, for the exporter", () => {
    expect(trainedSide({ ...base, preprocess: "resize_and_crop" })).toBe(base.crop_size);
    expect(trainedSide({ ...base, preprocess: "scale_width" })).toBe(base.load_size);
    expect(() => trainedSide({ ...base, preprocess: "none" })).toThrow(/--trained-size is needed/);
  });

  it("turns greyscale and transparent images into RGB (alpha over white)", async () => {
    const grey = path.join(dir, "grey.png");
    await sharp(Buffer.alloc(16 * 16, 100), { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toFile(grey);
    const clear = path.join(dir, "clear.webp");
    await sharp(Buffer.alloc(16 * 16 * 4, 0), { raw: { width: 16, height: 16, channels: 4 } })
      .webp({ lossless: true })
      .toFile(clear);
    const g = await loadTestImage(grey, 0);
    expect(pixel(g, 3, 3)).toEqual([100, 100, 100]);
    const c = await loadTestImage(clear, 0);
    expect(pixel(c, 3, 3)).toEqual([255, 255, 255]);
  });

  it("says in words why a file did not decode: empty, not an image, cut off", async () => {
    const empty = path.join(dir, "empty.png");
    writeFileSync(empty, "");
    const text = path.join(dir, "text.png");
    writeFileSync(text, "hello");
    const cut = path.join(dir, "cut.png");
    const whole = await sharp({
      create: { width: 64, height: 64, channels: 3, background: "#808080" },
    })
      .png()
      .toBuffer();
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    const problem = async (file: string) => {
      try {
        await decodeRgb(file);
        return "decoded";
      } catch (e) {
        return decodeProblem(file, e);
      }
    };
    expect(await problem(empty)).toBe("empty file (0 bytes)");
    expect(await problem(text)).toBe("not a readable JPEG, PNG or WebP file");
    expect(await problem(cut)).toMatch(/^corrupt or truncated image \(/);
  });

  it("a crop larger than the image is an error naming the sizes", async () => {
    const file = path.join(dir, "small.png");
    await gradient(file, 10, 10);
    await expect(loadTrainingImage(file, base, new Rng([1, 2, 3, 4]))).rejects.toThrow(
      /10x10 .*smaller than --crop_size 16/,
    );
  });
});

async function dataset(name: string, a: number, b: number): Promise<string> {
  const root = path.join(dir, name);
  for (const [side, n] of [
    ["trainA", a],
    ["trainB", b],
  ] as const) {
    await mkdir(path.join(root, side), { recursive: true });
    for (let i = 0; i < n; i++) await gradient(path.join(root, side, `${i}.png`), 20 + i, 20);
  }
  return root;
}

const dsOptions = (dataroot: string, more: Partial<DatasetOptions> = {}): DatasetOptions => ({
  ...base,
  dataroot,
  phase: "train",
  direction: "AtoB",
  serial_batches: false,
  max_dataset_size: Number.POSITIVE_INFINITY,
  seed: 1,
  ...more,
});

describe("dataset folders", () => {
  it("stops with a clear message for a missing or empty folder", async () => {
    await expect(listImages(path.join(dir, "nope"))).rejects.toThrow(
      /does not exist.*trainA, trainB/,
    );
    await mkdir(path.join(dir, "empty"));
    await writeFile(path.join(dir, "empty", "notes.txt"), "x");
    await expect(listImages(path.join(dir, "empty"))).rejects.toThrow(/holds no .jpg/);
  });

  it("reports corrupt files by path and trains without them", async () => {
    const root = await dataset("corrupt", 3, 2);
    const bad = path.join(root, "trainA", "bad.jpg");
    await writeFile(bad, Buffer.from("this is not a JPEG"));
    const jpeg = await sharp(Buffer.alloc(32 * 32 * 3, 90), {
      raw: { width: 32, height: 32, channels: 3 },
    })
      .jpeg()
      .toBuffer();
    const truncated = path.join(root, "trainB", "truncated.jpg");
    await writeFile(truncated, jpeg.subarray(0, jpeg.length - 40));
    const skipped: string[] = [];
    const ds = await UnalignedDataset.open(dsOptions(root, { serial_batches: true }), (f) =>
      skipped.push(f),
    );
    expect(skipped).toContain(bad);
    expect(ds.filesA).toHaveLength(3);
    // The truncated JPEG has a good header: it fails at decode time, is reported once, and skipped.
    const seen: string[] = [];
    for (let epoch = 1; epoch <= 2; epoch++)
      for await (const batch of epochBatches(ds, epoch, 0, 1, 2))
        seen.push(...batch.samples.map((s) => s.pathB));
    expect(skipped.filter((f) => f === truncated)).toHaveLength(1);
    expect(seen).not.toContain(truncated);
    expect(seen.length).toBeGreaterThan(0);
    await expect(readableImages("x", [bad], () => {})).rejects.toThrow(
      /none of its 1 files can be read/,
    );
  });

  it("samples unaligned pairs: every A once per epoch, B random or serial, repeatable", async () => {
    const root = await dataset("unaligned", 5, 3);
    const ds = await UnalignedDataset.open(dsOptions(root), () => {});
    expect(ds.length).toBe(5);
    const names = (epoch: number) =>
      Array.from({ length: 5 }, (_, i) => ds.pick(epoch, i)).map((p) => [
        path.basename(p.pathA),
        path.basename(p.pathB),
      ]);
    const e1 = names(1);
    expect(e1.map((p) => p[0]).sort()).toEqual(["0.png", "1.png", "2.png", "3.png", "4.png"]);
    expect(names(1)).toEqual(e1); // same seed, same epoch: same draws
    expect(names(2)).not.toEqual(e1);
    const serial = await UnalignedDataset.open(dsOptions(root, { serial_batches: true }), () => {});
    const s = Array.from({ length: 5 }, (_, i) => serial.pick(1, i));
    expect(s.map((p) => path.basename(p.pathB))).toEqual([
      "0.png",
      "1.png",
      "2.png",
      "0.png",
      "1.png",
    ]);
    const swapped = await UnalignedDataset.open(dsOptions(root, { direction: "BtoA" }), () => {});
    expect(swapped.filesA).toHaveLength(3);
  });

  it("batches with prefetch in epoch order, resumable from a position", async () => {
    const root = await dataset("batches", 5, 4);
    const ds = await UnalignedDataset.open(dsOptions(root), () => {});
    const all: { next: number; a: string[] }[] = [];
    for await (const b of epochBatches(ds, 1, 0, 2, 3))
      all.push({ next: b.next, a: b.samples.map((s) => s.pathA) });
    expect(all.map((b) => b.next)).toEqual([2, 4, 5]);
    expect(all.map((b) => b.a.length)).toEqual([2, 2, 1]);
    const rest: string[] = [];
    for await (const b of epochBatches(ds, 1, 2, 2, 3)) rest.push(...b.samples.map((s) => s.pathA));
    expect(rest).toEqual(all.slice(1).flatMap((b) => b.a));
    // the same crops come out again (per-position random streams)
    const first = async () => {
      for await (const b of epochBatches(ds, 1, 0, 1, 1)) return b.samples[0]?.A.data;
    };
    const [x, y] = [await first(), await first()];
    // a 16 px crop (crop_size) of 3 channels, not undefined twice
    expect(x).toBeInstanceOf(Float32Array);
    expect(x).toHaveLength(16 * 16 * 3);
    expect(y).toEqual(x);
  });
});
