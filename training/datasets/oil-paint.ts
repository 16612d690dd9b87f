/**
 * Oil-painting look for `photo2oil`: a Kuwahara filter, the classic
 * edge-preserving smoother behind "paint" effects. Each pixel takes the mean
 * colour of the quadrant windows around it that are most uniform in
 * lightness, so texture becomes smooth strokes while an edge is never
 * averaged across (the uniform quadrant lies on one side of it).
 *
 * A global colour change cannot imitate this (texture is removed, edges
 * kept), which is what the dataset is for. Plain TypeScript on 8-bit RGB,
 * IEEE arithmetic only, so the bytes are the same on every machine
 * (see filters.ts).
 */
import type { RgbImage } from "./filters.ts";

export interface OilParams {
  /** Quadrant radius (px) of each Kuwahara pass in turn: a quadrant is (r + 1) x (r + 1) pixels. */
  radii: number[];
  /** Gain on Cb, Cr (full-range BT.601) after filtering: paint reads more saturated than a photo. */
  saturation: number;
}

/**
 * Radius 4 then 2 at the 286 px short side: the first pass paints the
 * strokes, the smaller second one rounds off their square corners
 * (radius 5 lost too much content: see docs/datasets.md).
 */
export const OIL: OilParams = { radii: [4, 2], saturation: 1.15 };

/**
 * Summed-area table of a plane, one row and column of zeros in front, so the
 * sum over any rectangle is four look-ups whatever the radius.
 */
function integral(plane: Float64Array, width: number, height: number): Float64Array {
  const w1 = width + 1;
  const sat = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += plane[y * width + x] as number;
      sat[(y + 1) * w1 + x + 1] = (sat[y * w1 + x + 1] as number) + row;
    }
  }
  return sat;
}

/** Sum over columns x0..x1 and rows y0..y1 (inclusive, already inside the image). */
const boxSum = (sat: Float64Array, w1: number, x0: number, y0: number, x1: number, y1: number) =>
  (sat[(y1 + 1) * w1 + x1 + 1] as number) -
  (sat[y0 * w1 + x1 + 1] as number) -
  (sat[(y1 + 1) * w1 + x0] as number) +
  (sat[y0 * w1 + x0] as number);

/**
 * One Kuwahara pass over RGB floats, in the generalised form (Papari et al.
 * 2007): the four quadrant means are mixed with weights 1 / (1 + var^2),
 * var being the quadrant's luminance variance. Where one quadrant is clearly
 * the most uniform (any edge) this is the classic pick of the smallest
 * variance; where several are alike (texture) they blend, which removes the
 * square seams the hard pick left all over rock and foliage at 286 px.
 * Quadrants are clipped at the borders (a corner pixel's outward quadrants
 * shrink to what is inside), so nothing is smeared in from outside.
 */
export function kuwahara(
  rgb: Float64Array,
  width: number,
  height: number,
  radius: number,
): Float64Array {
  const n = width * height;
  const plane = (f: (i: number) => number) => {
    const p = new Float64Array(n);
    for (let i = 0; i < n; i++) p[i] = f(i);
    return integral(p, width, height);
  };
  const lum = (i: number) =>
    0.299 * (rgb[3 * i] as number) +
    0.587 * (rgb[3 * i + 1] as number) +
    0.114 * (rgb[3 * i + 2] as number);
  const sums = [
    plane((i) => rgb[3 * i] as number),
    plane((i) => rgb[3 * i + 1] as number),
    plane((i) => rgb[3 * i + 2] as number),
  ] as const;
  const sy = plane(lum);
  const syy = plane((i) => lum(i) ** 2);
  const w1 = width + 1;
  const out = new Float64Array(rgb.length);
  for (let py = 0; py < height; py++) {
    const top = Math.max(0, py - radius);
    const bottom = Math.min(height - 1, py + radius);
    for (let px = 0; px < width; px++) {
      const left = Math.max(0, px - radius);
      const right = Math.min(width - 1, px + radius);
      // Up-left, up-right, down-left, down-right; each includes the centre row and column.
      const xs = [left, px, left, px, px, right, px, right];
      const ys = [top, top, py, py, py, py, bottom, bottom];
      let wsum = 0;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let q = 0; q < 4; q++) {
        const x0 = xs[q] as number;
        const x1 = xs[q + 4] as number;
        const y0 = ys[q] as number;
        const y1 = ys[q + 4] as number;
        const count = (x1 - x0 + 1) * (y1 - y0 + 1);
        const mean = boxSum(sy, w1, x0, y0, x1, y1) / count;
        // Rounding can leave a flat quadrant a hair below zero.
        const variance = Math.max(0, boxSum(syy, w1, x0, y0, x1, y1) / count - mean * mean);
        const w = 1 / (1 + variance * variance) / count;
        r += w * boxSum(sums[0], w1, x0, y0, x1, y1);
        g += w * boxSum(sums[1], w1, x0, y0, x1, y1);
        b += w * boxSum(sums[2], w1, x0, y0, x1, y1);
        wsum += w * count;
      }
      const o = 3 * (py * width + px);
      out[o] = r / wsum;
      out[o + 1] = g / wsum;
      out[o + 2] = b / wsum;
    }
  }
  return out;
}

const toByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/**
 * Oil painting: the Kuwahara passes of `p.radii` in turn, then colour
 * (Cb, Cr) multiplied by `p.saturation` around unchanged lightness.
 */
export function oilPaint(img: RgbImage, p: OilParams = OIL): RgbImage {
  const { width, height } = img;
  let rgb: Float64Array = Float64Array.from(img.data);
  for (const r of p.radii) rgb = kuwahara(rgb, width, height, r);
  const data = new Uint8Array(rgb.length);
  for (let i = 0; i < width * height; i++) {
    const r = rgb[3 * i] as number;
    const g = rgb[3 * i + 1] as number;
    const b = rgb[3 * i + 2] as number;
    // Full-range BT.601 YCbCr, as the cartoon filter uses: gain on colour only.
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    const cb = p.saturation * (-0.168736 * r - 0.331264 * g + 0.5 * b);
    const cr = p.saturation * (0.5 * r - 0.418688 * g - 0.081312 * b);
    data[3 * i] = toByte(y + 1.402 * cr);
    data[3 * i + 1] = toByte(y - 0.344136 * cb - 0.714136 * cr);
    data[3 * i + 2] = toByte(y + 1.772 * cb);
  }
  return { width, height, data };
}
