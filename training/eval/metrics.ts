/**
 * Per-pixel quality against a ground truth. All take RGB 0..255 images of
 * the same size:
 * - L1: mean absolute difference over R, G, B, on a 0..1 scale (lower is better).
 * - PSNR: 10 log10(255^2 / MSE) over R, G, B, in dB; identical images give
 *   PSNR_CAP_DB (MSE floored at 1e-10) so averages stay finite.
 * - SSIM: Wang et al. 2004 on luminance Y = 0.299 R + 0.587 G + 0.114 B
 *   (BT.601), 11x11 Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03,
 *   L = 255, averaged over the positions where the whole window fits.
 * - tint: CIE76 distance (Delta E) between the two images' mean CIELAB
 *   colours: a colour cast over the whole picture, which SSIM (luminance
 *   structure) cannot see and L1 mixes with texture (lower is better).
 */
import { srgbToLab } from "./color.ts";
import type { RgbImage } from "./image.ts";

/** Any interleaved RGB image: RgbImage, or bytes with their size. */
export interface RgbLike {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export const PSNR_CAP_DB = 10 * Math.log10(255 ** 2 / 1e-10);
export const SSIM_WINDOW = 11;

function sameSize(a: RgbLike, b: RgbLike): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`images differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}

export function l1(a: RgbImage, b: RgbImage): number {
  sameSize(a, b);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++)
    sum += Math.abs((a.data[i] as number) - (b.data[i] as number));
  return sum / a.data.length / 255;
}

export function psnr(a: RgbLike, b: RgbLike): number {
  sameSize(a, b);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++)
    sum += ((a.data[i] as number) - (b.data[i] as number)) ** 2;
  return 10 * Math.log10(255 ** 2 / Math.max(sum / a.data.length, 1e-10));
}

/**
 * The largest gap between the two images' mean colour over any `side` x `side`
 * block (edge blocks as far as the image goes), per channel, in levels: what
 * the eye sees as a patch of another tint, such as a tile of another colour.
 */
export function worstBlockGap(a: RgbLike, b: RgbLike, side: number): number {
  sameSize(a, b);
  const { width: w, height: h } = a;
  let worst = 0;
  for (let by = 0; by < h; by += side) {
    for (let bx = 0; bx < w; bx += side) {
      const bw = Math.min(side, w - bx);
      const bh = Math.min(side, h - by);
      for (let c = 0; c < 3; c++) {
        let d = 0;
        for (let y = by; y < by + bh; y++) {
          for (let x = bx; x < bx + bw; x++) {
            const i = 3 * (y * w + x) + c;
            d += (a.data[i] as number) - (b.data[i] as number);
          }
        }
        worst = Math.max(worst, Math.abs(d) / (bw * bh));
      }
    }
  }
  return worst;
}

export function luminance(img: RgbImage): Float64Array {
  const out = new Float64Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) {
    const p = 3 * i;
    out[i] =
      0.299 * (img.data[p] as number) +
      0.587 * (img.data[p + 1] as number) +
      0.114 * (img.data[p + 2] as number);
  }
  return out;
}

function gaussian(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i] as number;
  }
  return k.map((v) => v / sum);
}

/** Separable 'valid' filtering: output is (w - n + 1) x (h - n + 1). */
function filterValid(src: Float64Array, w: number, h: number, k: Float64Array): Float64Array {
  const n = k.length;
  const ow = w - n + 1;
  const oh = h - n + 1;
  const rows = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (k[i] as number) * (src[y * w + x + i] as number);
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (k[i] as number) * (rows[(y + i) * ow + x] as number);
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** Mean SSIM of two luminance planes of size w x h. */
export function ssimPlane(x: Float64Array, y: Float64Array, w: number, h: number): number {
  if (w < SSIM_WINDOW || h < SSIM_WINDOW) {
    throw new RangeError(
      `SSIM needs images of at least ${SSIM_WINDOW}x${SSIM_WINDOW}, got ${w}x${h}`,
    );
  }
  const k = gaussian(SSIM_WINDOW, 1.5);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const mx = filterValid(x, w, h, k);
  const my = filterValid(y, w, h, k);
  const xx = filterValid(
    x.map((v) => v * v),
    w,
    h,
    k,
  );
  const yy = filterValid(
    y.map((v) => v * v),
    w,
    h,
    k,
  );
  const xy = filterValid(
    x.map((v, i) => v * (y[i] as number)),
    w,
    h,
    k,
  );
  let sum = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i] as number;
    const uy = my[i] as number;
    const vx = (xx[i] as number) - ux * ux;
    const vy = (yy[i] as number) - uy * uy;
    const cov = (xy[i] as number) - ux * uy;
    sum += ((2 * ux * uy + c1) * (2 * cov + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return sum / mx.length;
}

export function ssim(a: RgbImage, b: RgbImage): number {
  sameSize(a, b);
  return ssimPlane(luminance(a), luminance(b), a.width, a.height);
}

function meanLab(img: RgbLike): [number, number, number] {
  let [L, a, b] = [0, 0, 0];
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const lab = srgbToLab(
      img.data[3 * i] as number,
      img.data[3 * i + 1] as number,
      img.data[3 * i + 2] as number,
    );
    L += lab[0];
    a += lab[1];
    b += lab[2];
  }
  return [L / n, a / n, b / n];
}

export function tint(a: RgbLike, b: RgbLike): number {
  sameSize(a, b);
  const [A, B] = [meanLab(a), meanLab(b)];
  return Math.hypot(A[0] - B[0], A[1] - B[1], A[2] - B[2]);
}

export const METRICS = {
  L1: { fn: l1, better: "lower" },
  PSNR: { fn: psnr, better: "higher" },
  SSIM: { fn: ssim, better: "higher" },
  tint: { fn: tint, better: "lower" },
} as const satisfies Record<
  string,
  { fn: (a: RgbImage, b: RgbImage) => number; better: "lower" | "higher" }
>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];
