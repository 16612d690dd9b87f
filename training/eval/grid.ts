/**
 * Grid score: how strongly an image's fine detail depends on the pixel's
 * position modulo 4, in levels (0..255). Two stride-2 transposed convolutions
 * in a generator's decoder paint a period-4 checkerboard over every output;
 * natural photos have no preferred phase, so their score is near 0 and an
 * output's excess over its input's is the artefact (issue 16).
 *
 * Definition, on luminance Y (BT.601):
 * 1. High-pass residual r = Y - a blur of Y, at interior pixels where the
 *    blur fits. The blur is separable, weights [1, 2, 2, 2, 1] / 8 along x
 *    then along y: each phase mod 4 gets weight 1/4 (the two ends share
 *    one), so any period-4 pattern blurs to its mean and r keeps all of it;
 *    a pure period-4 pattern scores exactly its RMS. The kernel is centred,
 *    so smooth shading (up to quadratic) leaves the same r at every phase
 *    and scores 0 (a 4-wide box would be off centre and leak curvature).
 * 2. Mean of r over each of the 16 phase classes (y mod 4, x mod 4), counted
 *    in image coordinates: the generator's upsampling grid starts at the
 *    image's corner (the eval pads at the far edges only).
 * 3. Score = RMS deviation of the 16 class means from their mean.
 * Image content that does not repeat every 4 pixels averages out in step 2,
 * slowly (about residual std / sqrt(pixels / 16)), so small images read a
 * little higher; compare inputs and outputs of the same size.
 */
import type { RgbImage } from "./image.ts";
import { luminance } from "./metrics.ts";

/** The period, in pixels, of the checkerboard that two stride-2 upsamplings leave. */
export const GRID_PERIOD = 4;
/** Centred, and weight 1/4 per phase mod 4 (see above). */
const KERNEL = [1 / 8, 2 / 8, 2 / 8, 2 / 8, 1 / 8];
const HALF = (KERNEL.length - 1) / 2;

/** Filter along rows, or along columns if `vertical`; the HALF pixels at each end stay 0 (unused). */
function blurAlong(src: Float64Array, w: number, h: number, vertical: boolean): Float64Array {
  const out = new Float64Array(w * h);
  const step = vertical ? w : 1;
  for (let r = vertical ? HALF : 0; r < (vertical ? h - HALF : h); r++) {
    for (let c = vertical ? 0 : HALF; c < (vertical ? w : w - HALF); c++) {
      const i = r * w + c;
      let s = 0;
      for (let k = 0; k < KERNEL.length; k++)
        s += (KERNEL[k] as number) * (src[i + (k - HALF) * step] as number);
      out[i] = s;
    }
  }
  return out;
}

export function gridScore(img: RgbImage): number {
  const { width: w, height: h } = img;
  if (w < GRID_PERIOD + 2 * HALF || h < GRID_PERIOD + 2 * HALF) {
    throw new RangeError(`the grid score needs at least 8x8 pixels, got ${w}x${h}`);
  }
  const y = luminance(img);
  const blur = blurAlong(blurAlong(y, w, h, false), w, h, true);
  const classes = GRID_PERIOD * GRID_PERIOD;
  const sum = new Float64Array(classes);
  const count = new Float64Array(classes);
  for (let r = HALF; r < h - HALF; r++) {
    for (let c = HALF; c < w - HALF; c++) {
      const k = (r % GRID_PERIOD) * GRID_PERIOD + (c % GRID_PERIOD);
      sum[k] = (sum[k] as number) + (y[r * w + c] as number) - (blur[r * w + c] as number);
      count[k] = (count[k] as number) + 1;
    }
  }
  const means = Array.from(sum, (s, k) => s / (count[k] as number));
  const mu = means.reduce((a, b) => a + b, 0) / classes;
  return Math.sqrt(means.reduce((a, m) => a + (m - mu) ** 2, 0) / classes);
}
