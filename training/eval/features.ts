/**
 * Small, hand-made colour and texture features for the domain classifier:
 * what a painting, a snowy scene or a brush stroke changes in an image.
 * Every image is first put on one scale (short side FEATURE_SIDE).
 */
import { srgbToLab } from "./color.ts";
import { type RgbImage, resizeShort } from "./image.ts";

export const FEATURE_SIDE = 128;

export const FEATURE_NAMES = [
  "L mean",
  "a mean",
  "b mean",
  "L std",
  "a std",
  "b std",
  "chroma mean",
  "chroma std",
  "grad mean",
  "grad std",
  "edge share",
  "laplacian mean",
  "L<25 share",
  "L 25-50 share",
  "L 50-75 share",
  "L>75 share",
  "grad<1 share",
  "grad 1-4 share",
  "grad 4-16 share",
  "grad>16 share",
] as const;

/** Side of the square crops the classifier sees, and the stride of their grid. */
export const CROP = 64;
export const STRIDE = 32;

function meanStd(v: Float64Array): [number, number] {
  let s = 0;
  let q = 0;
  for (const x of v) {
    s += x;
    q += x * x;
  }
  const m = s / v.length;
  return [m, Math.sqrt(Math.max(0, q / v.length - m * m))];
}

/** Features of an image already at the feature scale. */
export function featuresAtScale(img: RgbImage): number[] {
  const { width: w, height: h } = img;
  const n = w * h;
  const L = new Float64Array(n);
  const A = new Float64Array(n);
  const B = new Float64Array(n);
  const C = new Float64Array(n);
  const hist = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [l, a, b] = srgbToLab(
      img.data[3 * i] as number,
      img.data[3 * i + 1] as number,
      img.data[3 * i + 2] as number,
    );
    L[i] = l;
    A[i] = a;
    B[i] = b;
    C[i] = Math.hypot(a, b);
    const bin = Math.min(3, Math.max(0, Math.floor(l / 25)));
    hist[bin] = (hist[bin] as number) + 1;
  }
  const grad = new Float64Array((w - 2) * (h - 2));
  const lap = new Float64Array((w - 2) * (h - 2));
  let edges = 0;
  const gradHist = [0, 0, 0, 0];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const at = (dx: number, dy: number) => L[(y + dy) * w + x + dx] as number;
      const gx = at(1, 0) - at(-1, 0);
      const gy = at(0, 1) - at(0, -1);
      const g = Math.hypot(gx, gy) / 2;
      const k = (y - 1) * (w - 2) + x - 1;
      grad[k] = g;
      lap[k] = Math.abs(at(1, 0) + at(-1, 0) + at(0, 1) + at(0, -1) - 4 * at(0, 0));
      if (g > 5) edges++;
      const gb = g < 1 ? 0 : g < 4 ? 1 : g < 16 ? 2 : 3;
      gradHist[gb] = (gradHist[gb] as number) + 1;
    }
  }
  return [
    ...[L, A, B].map((v) => meanStd(v)[0]),
    ...[L, A, B].map((v) => meanStd(v)[1]),
    ...meanStd(C),
    ...meanStd(grad),
    edges / grad.length,
    meanStd(lap)[0],
    ...hist.map((c) => c / n),
    ...gradHist.map((c) => c / grad.length),
  ];
}

/** The top-left `size` square at (x, y) of an image. */
export function crop(img: RgbImage, x: number, y: number, size: number): RgbImage {
  const data = new Float32Array(size * size * 3);
  for (let r = 0; r < size; r++) {
    const from = ((y + r) * img.width + x) * 3;
    data.set(img.data.subarray(from, from + size * 3), r * size * 3);
  }
  return { width: size, height: size, data };
}

function grid(length: number): number[] {
  const out: number[] = [];
  for (let p = 0; p + CROP <= length; p += STRIDE) out.push(p);
  return out;
}

/**
 * Features of every crop on a fixed grid (CROP squares, STRIDE apart) of the
 * image at the feature scale: many samples per image for training, and an
 * image-level score as the mean over its crops.
 */
export async function cropFeatures(img: RgbImage): Promise<number[][]> {
  const scaled = await resizeShort(img, FEATURE_SIDE);
  return grid(scaled.height).flatMap((y) =>
    grid(scaled.width).map((x) => featuresAtScale(crop(scaled, x, y, CROP))),
  );
}
