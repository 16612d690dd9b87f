/**
 * What the site should produce, computed in Node: the same image decode
 * (sharp, lossless inputs only), the same tiling (models/tiling.ts) and the
 * same model file on onnxruntime-node.
 */
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { defaultOverlap, translateTiled } from "../../models/tiling.ts";

export interface Rgba {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export async function decodeRgba(bytes: Uint8Array): Promise<Rgba> {
  const { data, info } = await sharp(bytes)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data), width: info.width, height: info.height };
}

/** Full-resolution translation of a lossless image (no resampling), tile side `tileSize`. */
export async function referenceTranslate(
  model: Uint8Array,
  image: Uint8Array,
  tileSize: number,
): Promise<Rgba> {
  const session = await ort.InferenceSession.create(model);
  try {
    const src = await decodeRgba(image);
    const out = await translateTiled(
      { pixels: src.pixels, width: src.width, height: src.height, channels: 4 },
      { tileSize, overlap: defaultOverlap(tileSize) },
      async (chw, w, h) => {
        const result = await session.run({ input: new ort.Tensor("float32", chw, [1, 3, h, w]) });
        return result.output?.data as Float32Array;
      },
    );
    return { pixels: new Uint8Array(out.buffer), width: src.width, height: src.height };
  } finally {
    await session.release();
  }
}

export interface PixelDiff {
  max: number;
  mean: number;
  /** Share of channel values that differ at all. */
  changed: number;
}

/** Compare RGB (alpha ignored) of two same-sized images. */
export function diffRgb(a: Rgba, b: Rgba): PixelDiff {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`size differs: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
  let max = 0;
  let sum = 0;
  let changed = 0;
  const n = a.width * a.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs((a.pixels[4 * i + c] as number) - (b.pixels[4 * i + c] as number));
      max = Math.max(max, d);
      sum += d;
      if (d) changed++;
    }
  }
  return { max, mean: sum / (3 * n), changed: changed / (3 * n) };
}

/** A lossless test photo: smooth gradients plus a few shapes, no colour profile. */
export async function testPhoto(
  width: number,
  height: number,
  format: "png" | "jpeg" = "png",
): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      const ring =
        ((x - width / 2) ** 2 + (y - height / 3) ** 2) ** 0.5 < Math.min(width, height) / 4;
      raw[i] = Math.round((255 * x) / Math.max(1, width - 1));
      raw[i + 1] = ring ? 230 : Math.round((255 * y) / Math.max(1, height - 1));
      raw[i + 2] = (x * 7 + y * 3) % 256;
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === "png" ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}
