/**
 * What the site should produce, computed in Node: the same image decode
 * (sharp, lossless inputs only), the same tiling and statistics code
 * (models/full-resolution.ts) and the same model file on onnxruntime-node.
 *
 * `independentTranslate` shares nothing with the site's code (no models/):
 * for single-tile photos it checks the tiling and pixel conversion the other
 * reference would share with the site.
 */
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { translateFullResolution } from "../../models/full-resolution.ts";
import { defaultOverlap, tileSideFor } from "../../models/tiling.ts";
import { onnxRunner, statsEngine } from "../../training/export/infer.ts";

// Moved to scripts/lib/test-photo.ts (bench/ uses it too); re-exported for
// tests/browser/shipped.test.ts, owned elsewhere, until it switches.

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

/**
 * What the site returns for a lossless image (no resampling) in full mode,
 * and in fast mode for an image no larger than the working size: the
 * statistics pass at `workingSize`, then tiles of that side on frozen
 * statistics (models/full-resolution.ts; per-tile statistics for a file
 * without statistics I/O).
 */
export async function referenceTranslate(
  model: Uint8Array,
  image: Uint8Array,
  workingSize: number,
): Promise<Rgba> {
  const runner = await onnxRunner(model, 4);
  try {
    const src = await decodeRgba(image);
    const tileSize = tileSideFor(workingSize);
    const out = await translateFullResolution(
      { pixels: src.pixels, width: src.width, height: src.height, channels: 4 },
      { workingSize, tileSize, overlap: defaultOverlap(tileSize) },
      statsEngine(runner),
    );
    return { pixels: new Uint8Array(out.pixels.buffer), width: src.width, height: src.height };
  } finally {
    await runner.release();
  }
}

/**
 * One-tile translation written out from the I/O contract alone, sharing no code
 * with the site: flatten on white, bytes -> v / 127.5 - 1 as planar [3, H, W],
 * pad at the right and bottom to a multiple of 4 (and at least 16, what a
 * ResNet generator's two stride-2 convolutions plus reflect padding need) by
 * reflecting without repeating the edge pixel (ONNX Pad mode=reflect; sharp's
 * extend "mirror" repeats the edge, so it is not the same padding), run,
 * crop back, (v + 1) * 127.5 rounded and clamped. Alpha is 255 (opaque inputs).
 * A graph with normalisation-statistics inputs gets zeros and freeze 0 (its
 * own statistics), read off the session's input shapes.
 */
export async function independentTranslate(model: Uint8Array, image: Uint8Array): Promise<Rgba> {
  const { data, info } = await sharp(image)
    .flatten({ background: "#ffffff" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = info;
  if (info.channels !== 3) throw new Error(`expected RGB, got ${info.channels} channels`);
  const runW = Math.max(16, Math.ceil(w / 4) * 4);
  const runH = Math.max(16, Math.ceil(h / 4) * 4);
  if (runW - w >= w || runH - h >= h) throw new Error(`${w}x${h} is too small to reflect once`);
  // Reflection about the last pixel: index n + k reads n - 2 - k.
  const from = (i: number, n: number) => (i < n ? i : 2 * (n - 1) - i);
  const input = new Float32Array(3 * runW * runH);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < runH; y++) {
      for (let x = 0; x < runW; x++) {
        const v = data[3 * (from(y, h) * w + from(x, w)) + c] as number;
        input[c * runW * runH + y * runW + x] = v / 127.5 - 1;
      }
    }
  }
  const session = await ort.InferenceSession.create(model);
  try {
    const stats = session.inputMetadata.find((i) => i.name === "norm_stats");
    const length = stats?.isTensor ? Number(stats.shape[1]) : 0;
    const result = await session.run({
      input: new ort.Tensor("float32", input, [1, 3, runH, runW]),
      ...(length > 0
        ? {
            norm_stats: new ort.Tensor("float32", new Float32Array(length), [1, length]),
            norm_freeze: new ort.Tensor("float32", new Float32Array(1), [1]),
          }
        : {}),
    });
    const out = result.output?.data as Float32Array;
    if (out.length !== 3 * runW * runH) throw new Error(`output has ${out.length} values`);
    const pixels = new Uint8Array(4 * w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          const v = out[c * runW * runH + y * runW + x] as number;
          pixels[4 * (y * w + x) + c] = Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));
        }
        pixels[4 * (y * w + x) + 3] = 255;
      }
    }
    return { pixels, width: w, height: h };
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
