/**
 * Images for the export check and the manifest's before/after samples:
 * read with sharp, fitted inside a square of `side` pixels with sides rounded
 * down to the generator's size multiple, converted through models/contract.ts.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import sharp, { type OutputInfo } from "sharp";
import { chwToPixels, pixelsToCHW, roundDownToMultiple } from "../../models/contract.ts";
import type { Direction } from "../../models/schema.ts";
import { seededNormal } from "../util/seeded.ts";
import type { PlanarImage } from "./infer.ts";

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

export interface SampleImage {
  /** Source file, or a label for synthetic inputs. */
  source: string;
  image: PlanarImage;
}

/**
 * Where a direction's inputs live: the dataset layout (testA for AtoB, testB
 * for BtoA; trainA/trainB if there is no test split) or, failing that, the
 * folder itself for every direction.
 */
export function sampleFolder(dir: string, direction: Direction): string {
  const side = direction === "AtoB" ? "A" : "B";
  for (const sub of [`test${side}`, `train${side}`, side]) {
    const p = path.join(dir, sub);
    if (existsSync(p) && statSync(p).isDirectory()) return p;
  }
  return dir;
}

/** The first `count` images of the folder (sorted by name, so runs repeat). */
export function listImages(dir: string, count: number): string[] {
  if (!existsSync(dir)) throw new Error(`sample folder ${dir} does not exist`);
  const files = readdirSync(dir)
    .filter((f) => IMAGE_EXT.test(f))
    .sort()
    .slice(0, count)
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new Error(`no images (jpg, png, webp...) in ${dir}`);
  return files;
}

/** Decode, fit inside side x side, crop to multiples of `multiple`, to planar [-1, 1]. */
export async function loadImage(
  file: string,
  side: number,
  multiple: number,
): Promise<PlanarImage> {
  let fitted: { data: Buffer; info: OutputInfo };
  try {
    fitted = await sharp(file)
      .rotate()
      .resize(side, side, { fit: "inside" })
      .flatten({ background: "#ffffff" }) // alpha over white, as training sees it
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`cannot read image ${file}: ${e instanceof Error ? e.message : e}`);
  }
  const { width, height } = fitted.info;
  const w = roundDownToMultiple(width, multiple);
  const h = roundDownToMultiple(height, multiple);
  if (w > width || h > height)
    throw new Error(
      `image ${file} is ${width}x${height}, smaller than the minimum ${multiple}x${multiple}`,
    );
  const cropped = await sharp(fitted.data, { raw: { width, height, channels: 3 } })
    .extract({
      left: Math.floor((width - w) / 2),
      top: Math.floor((height - h) / 2),
      width: w,
      height: h,
    })
    .raw()
    .toBuffer();
  return { data: pixelsToCHW(cropped, w, h, 3), width: w, height: h };
}

/** A smooth random image (low-frequency colour fields plus noise), seeded. */
export function syntheticImage(side: number, seed: number): PlanarImage {
  const randn = seededNormal(seed);
  const plane = side * side;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const [a, b, p, q] = [randn(), randn(), randn() * 6, randn() * 6];
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const v = a * Math.sin((p * x) / side + b) + 0.5 * Math.cos((q * y) / side) + 0.2 * randn();
        data[c * plane + y * side + x] = Math.tanh(v);
      }
  }
  return { data, width: side, height: side };
}

export async function loadSamples(
  dir: string | undefined,
  direction: Direction,
  count: number,
  side: number,
  multiple: number,
): Promise<SampleImage[]> {
  if (!dir) return [];
  const files = listImages(sampleFolder(dir, direction), count);
  return Promise.all(
    files.map(async (f) => ({ source: f, image: await loadImage(f, side, multiple) })),
  );
}

/** Planar [-1, 1] image -> JPEG bytes. */
export function toJpeg(image: PlanarImage, quality = 90): Promise<Buffer> {
  const pixels = chwToPixels(image.data, image.width, image.height, 3);
  return sharp(pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}
