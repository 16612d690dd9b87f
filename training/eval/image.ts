/** Images as the evaluation sees them: interleaved RGB floats 0..255, read and written with sharp. */
import sharp from "sharp";
import { decodeProblem } from "../data/folder.ts";

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved [H, W, 3], values 0..255 (not necessarily integers). */
  data: Float32Array;
}

export async function loadRgb(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file)
    .flatten({ background: "#ffffff" }) // alpha over white, as training sees it
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch(async (e: unknown) => {
      throw new Error(`${file}: ${await decodeProblem(file, e)}`);
    });
  if (info.channels !== 3) throw new Error(`${file}: expected 3 channels, got ${info.channels}`);
  return { width: info.width, height: info.height, data: Float32Array.from(data) };
}

/** Round and clamp to bytes: what a viewer (and the metrics) see of a float image. */
export function toBytes(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.min(255, Math.max(0, Math.round(img.data[i] as number)));
  return out;
}

export function quantize(img: RgbImage): RgbImage {
  return { ...img, data: Float32Array.from(toBytes(img)) };
}

export function rawInput(img: RgbImage) {
  return { raw: { width: img.width, height: img.height, channels: 3 as const } };
}

/** Encode as PNG, optionally resized so the longer side is at most `maxSide`. */
export async function encodePng(img: RgbImage, maxSide?: number): Promise<Buffer> {
  let s = sharp(toBytes(img), rawInput(img));
  if (maxSide && Math.max(img.width, img.height) > maxSide) {
    s = s.resize({ width: maxSide, height: maxSide, fit: "inside" });
  }
  return s.png().toBuffer();
}

/** Resize so the short side is `side` (used to put images on one scale before features). */
export async function resizeShort(img: RgbImage, side: number): Promise<RgbImage> {
  const fit = img.width < img.height ? { width: side } : { height: side };
  const { data, info } = await sharp(toBytes(img), rawInput(img))
    .resize(fit)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Float32Array.from(data) };
}
