/**
 * Watercolour look for `photo2watercolour`: the generalised Kuwahara filter
 * of `photo2oil` (oil-paint.ts) smooths harder, the colour is thinned as
 * pigment on white paper (lighter, less saturated), and pixels next to strong
 * edges of the smoothed image are darkened a little, the pigment that pools
 * at the border of a wash, watercolour's signature. No ink lines and no
 * paper grain: random, position-fixed noise is nothing a generator can learn.
 *
 * Plain TypeScript on 8-bit RGB, IEEE arithmetic only, so the bytes are the
 * same on every machine (see filters.ts).
 */
import { luma, type RgbImage, sobel, toByte } from "./filters.ts";
import { kuwahara } from "./oil-paint.ts";

export interface WatercolourParams {
  /** Quadrant radius (px) of each Kuwahara pass in turn (see `kuwahara`). */
  radii: number[];
  /** Share of the darkness (255 - Y') kept: Y' becomes 255 - (255 - Y') * wash. */
  wash: number;
  /** Gain on Cb, Cr (full-range BT.601): thinned pigment is less saturated. */
  saturation: number;
  /** Sobel magnitude of the smoothed grey image (0-255 scale) where pooling starts and is full. */
  edgeLow: number;
  edgeHigh: number;
  /** Darkening at full pooling: the colour is multiplied by 1 - pool. */
  pool: number;
}

export const WATERCOLOUR: WatercolourParams = {
  radii: [4, 3],
  wash: 0.9,
  saturation: 0.8,
  edgeLow: 16,
  edgeHigh: 64,
  pool: 0.25,
};

/**
 * Watercolour: the Kuwahara passes of `p.radii`, then in full-range BT.601
 * YCbCr the lightness is lifted towards white (`wash`) and the colour scaled
 * by `saturation`; last, every channel is multiplied by
 * 1 - pool * clamp((sobel - edgeLow) / (edgeHigh - edgeLow)), the Sobel
 * gradient being that of the smoothed image's grey.
 */
export function watercolour(img: RgbImage, p: WatercolourParams = WATERCOLOUR): RgbImage {
  const { width, height } = img;
  let rgb: Float64Array = Float64Array.from(img.data);
  for (const r of p.radii) rgb = kuwahara(rgb, width, height, r);
  const smooth: RgbImage = { width, height, data: Uint8Array.from(rgb, toByte) };
  const edges = sobel(luma(smooth), width, height);
  const data = new Uint8Array(rgb.length);
  for (let i = 0; i < width * height; i++) {
    const r = rgb[3 * i] as number;
    const g = rgb[3 * i + 1] as number;
    const b = rgb[3 * i + 2] as number;
    const y = 255 - (255 - (0.299 * r + 0.587 * g + 0.114 * b)) * p.wash;
    const cb = p.saturation * (-0.168736 * r - 0.331264 * g + 0.5 * b);
    const cr = p.saturation * (0.5 * r - 0.418688 * g - 0.081312 * b);
    const e = edges[i] as number;
    const t = e <= p.edgeLow ? 0 : e >= p.edgeHigh ? 1 : (e - p.edgeLow) / (p.edgeHigh - p.edgeLow);
    const keep = 1 - p.pool * t;
    data[3 * i] = toByte(keep * (y + 1.402 * cr));
    data[3 * i + 1] = toByte(keep * (y - 0.344136 * cb - 0.714136 * cr));
    data[3 * i + 2] = toByte(keep * (y + 1.772 * cb));
  }
  return { width, height, data };
}
