/**
 * The non-learned baselines a trained generator must beat:
 * - identity: the input itself;
 * - colour transfer (Reinhard et al. 2001, done in CIE L*a*b*): shift and
 *   scale each channel of the input so its mean and standard deviation match
 *   those of the target domain's training images, pooled over all pixels.
 */
import { labToSrgb, srgbToLab } from "./color.ts";
import type { RgbImage } from "./image.ts";

export interface LabStats {
  mean: [number, number, number];
  std: [number, number, number];
}

function toLab(img: RgbImage): Float64Array {
  const lab = new Float64Array(img.data.length);
  for (let i = 0; i < lab.length; i += 3) {
    const [L, a, b] = srgbToLab(
      img.data[i] as number,
      img.data[i + 1] as number,
      img.data[i + 2] as number,
    );
    lab[i] = L;
    lab[i + 1] = a;
    lab[i + 2] = b;
  }
  return lab;
}

/** Per-channel mean and standard deviation over every pixel of every image. */
export function labStats(images: readonly RgbImage[]): LabStats {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let n = 0;
  for (const img of images) {
    const lab = toLab(img);
    for (let i = 0; i < lab.length; i += 3) {
      for (let c = 0; c < 3; c++) {
        const v = lab[i + c] as number;
        sum[c] = (sum[c] as number) + v;
        sq[c] = (sq[c] as number) + v * v;
      }
    }
    n += lab.length / 3;
  }
  if (n === 0) throw new RangeError("no pixels to take colour statistics from");
  const mean = sum.map((s) => s / n) as [number, number, number];
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n - (mean[c] as number) ** 2))) as [
    number,
    number,
    number,
  ];
  return { mean, std };
}

/** A flat channel (std 0, e.g. the a* of a grey image) only gets its mean moved. */
const MIN_STD = 1e-6;

export function colourTransfer(img: RgbImage, target: LabStats): RgbImage {
  const source = labStats([img]);
  const lab = toLab(img);
  const out = new Float32Array(img.data.length);
  const scale = [0, 1, 2].map((c) =>
    (source.std[c] as number) < MIN_STD ? 1 : (target.std[c] as number) / (source.std[c] as number),
  );
  for (let i = 0; i < lab.length; i += 3) {
    const v = [0, 1, 2].map(
      (c) =>
        ((lab[i + c] as number) - (source.mean[c] as number)) * (scale[c] as number) +
        (target.mean[c] as number),
    );
    const [r, g, b] = labToSrgb(v[0] as number, v[1] as number, v[2] as number);
    // Bytes, as the models' outputs are scored: what a viewer sees.
    out[i] = Math.min(255, Math.max(0, Math.round(r)));
    out[i + 1] = Math.min(255, Math.max(0, Math.round(g)));
    out[i + 2] = Math.min(255, Math.max(0, Math.round(b)));
  }
  return { width: img.width, height: img.height, data: out };
}

export function identity(img: RgbImage): RgbImage {
  return img;
}
