/**
 * Load-time preprocessing as in the reference's get_transform: decode any
 * JPEG/PNG/WebP (greyscale -> RGB; alpha composited on white), resize per
 * --preprocess with bicubic filtering, random crop, random horizontal flip,
 * pixels -> [-1, 1] through models/contract.ts.
 *
 * Modes: resize_and_crop (load_size square, then crop), crop (crop only),
 * scale_width (width to load_size, height keeps the aspect but >= crop_size; both
 * then rounded to multiples of 4 since nothing is cropped), scale_width_and_crop
 * (scale, then crop), none (sides rounded to multiples of 4).
 */
import sharp from "sharp";
import { pixelsToHWC, SIZE_MULTIPLE } from "../../models/contract.ts";
import type { Preprocess } from "../options.ts";

export interface PreprocessOptions {
  preprocess: Preprocess;
  load_size: number;
  crop_size: number;
  no_flip: boolean;
}

/** Random choices for one image: crop offsets and the flip. */
export interface Draw {
  int(n: number): number;
  random(): number;
}

/** An image as the networks take it: interleaved [H, W, 3] float32 in [-1, 1]. */
export interface Image {
  data: Float32Array;
  width: number;
  height: number;
}

/** Python's round(): halves go to the even neighbour (the reference's __make_power_2 uses it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round a side to the nearest multiple of 4 (at least 4), as the reference's --preprocess none. */
export function roundToMultiple(n: number, base = SIZE_MULTIPLE): number {
  return Math.max(base, roundHalfEven(n / base) * base);
}

/** The size an image of w x h is resized to before cropping, or null for no resize. */
export function resizeTarget(w: number, h: number, o: PreprocessOptions): [number, number] | null {
  switch (o.preprocess) {
    case "resize_and_crop":
      return [o.load_size, o.load_size];
    case "scale_width_and_crop":
      if (w === o.load_size && h >= o.crop_size) return null;
      return [o.load_size, Math.floor(Math.max((o.load_size * h) / w, o.crop_size))];
    case "scale_width": {
      // Not cropped, so the sides must also suit the generator (multiples of 4).
      const h1 = Math.floor(Math.max((o.load_size * h) / w, o.crop_size));
      return sameOrNull(w, h, [roundToMultiple(o.load_size), roundToMultiple(h1)]);
    }
    case "crop":
      return null;
    case "none":
      return sameOrNull(w, h, [roundToMultiple(w), roundToMultiple(h)]);
  }
}

function sameOrNull(w: number, h: number, size: [number, number]): [number, number] | null {
  return size[0] === w && size[1] === h ? null : size;
}

export function crops(o: PreprocessOptions): boolean {
  return o.preprocess.endsWith("crop");
}

/** The side a generator saw in training (the exporter records it), from --preprocess. */
export function trainedSide(o: PreprocessOptions): number {
  if (crops(o)) return o.crop_size;
  if (o.preprocess === "scale_width") return o.load_size;
  throw new Error(
    "--trained-size is needed: with --preprocess none the run trained on each image's own size",
  );
}

/** Crop `size` x `size` at (x, y) out of RGB bytes, mirrored left-right if `flip`. */
export function cropAndFlip(
  rgb: Uint8Array,
  width: number,
  box: { x: number; y: number; w: number; h: number },
  flip: boolean,
): Uint8Array {
  const out = new Uint8Array(box.w * box.h * 3);
  for (let r = 0; r < box.h; r++) {
    for (let c = 0; c < box.w; c++) {
      const src = ((box.y + r) * width + box.x + (flip ? box.w - 1 - c : c)) * 3;
      const dst = (r * box.w + c) * 3;
      out[dst] = rgb[src] as number;
      out[dst + 1] = rgb[src + 1] as number;
      out[dst + 2] = rgb[src + 2] as number;
    }
  }
  return out;
}

/** Decode to RGB bytes, optionally resized to exactly `size` (bicubic). */
export async function decodeRgb(
  file: string,
  size: [number, number] | null = null,
): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  let img = sharp(file).autoOrient().flatten({ background: "#ffffff" });
  if (size) img = img.resize(size[0], size[1], { fit: "fill", kernel: "cubic" });
  const { data, info } = await img
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return {
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

/** Sides after EXIF orientation (5-8 swap width and height). */
async function orientedSize(file: string): Promise<[number, number]> {
  const m = await sharp(file).metadata();
  if (!m.width || !m.height) throw new Error("no image size in the header");
  return (m.orientation ?? 1) >= 5 ? [m.height, m.width] : [m.width, m.height];
}

/** One training image: decode, resize, random crop and flip, to [-1, 1]. */
export async function loadTrainingImage(
  file: string,
  o: PreprocessOptions,
  draw: Draw,
): Promise<Image> {
  const [w0, h0] = await orientedSize(file);
  const { rgb, width, height } = await decodeRgb(file, resizeTarget(w0, h0, o));
  let box = { x: 0, y: 0, w: width, h: height };
  if (crops(o)) {
    if (width < o.crop_size || height < o.crop_size) {
      throw new Error(
        `is ${width}x${height} after --preprocess ${o.preprocess}, smaller than --crop_size ${o.crop_size}`,
      );
    }
    const x = draw.int(width - o.crop_size + 1);
    const y = draw.int(height - o.crop_size + 1);
    box = { x, y, w: o.crop_size, h: o.crop_size };
  }
  const flip = !o.no_flip && draw.random() < 0.5;
  const pixels =
    box.w === width && box.h === height && !flip ? rgb : cropAndFlip(rgb, width, box, flip);
  return { data: pixelsToHWC(pixels, box.w, box.h, 3), width: box.w, height: box.h };
}

/**
 * Test-time size: full resolution (size 0) or the longer side scaled to `size`;
 * sides round to `multiple`, what the generator takes (4 for ResNets, 128 or 256 for U-Nets).
 */
export function testSize(
  w: number,
  h: number,
  size: number,
  multiple = SIZE_MULTIPLE,
): [number, number] {
  const s = size > 0 ? size / Math.max(w, h) : 1;
  return [roundToMultiple(w * s, multiple), roundToMultiple(h * s, multiple)];
}

/** A test image: no crop, no flip, at testSize(). */
export async function loadTestImage(
  file: string,
  size: number,
  multiple = SIZE_MULTIPLE,
): Promise<Image> {
  const [w0, h0] = await orientedSize(file);
  const [w, h] = testSize(w0, h0, size, multiple);
  const { rgb } = await decodeRgb(file, w === w0 && h === h0 ? null : [w, h]);
  return { data: pixelsToHWC(rgb, w, h, 3), width: w, height: h };
}
