/**
 * Area-average downscaling of interleaved 8-bit pixels, in plain JavaScript,
 * so the browser and Node compute the statistics pass from the same pixels
 * (a canvas and libvips resample differently, and the statistics, hence every
 * tile, would follow). Each output pixel is the mean of the source area it
 * covers, with fractional edge pixels weighted by their overlap: the standard
 * box filter for shrinking, which does not alias.
 */
import type { Channels } from "./contract.ts";

/** Output size whose longest side is at most `maxSide` (never upscales). */
export function fitWithin(width: number, height: number, maxSide: number): [number, number] {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** Output size of at most `maxPixels` pixels, same aspect (never upscales). */
export function fitPixels(width: number, height: number, maxPixels: number): [number, number] {
  const scale = Math.min(1, Math.sqrt(maxPixels / (width * height)));
  if (scale === 1) return [width, height];
  // Rounding down keeps the product within the cap...
  let w = Math.max(1, Math.floor(width * scale));
  let h = Math.max(1, Math.floor(height * scale));
  // ...unless a thin strip's short side was raised to 1 px: then cap the long side.
  if (w * h > maxPixels) {
    if (h === 1) w = Math.max(1, Math.floor(maxPixels));
    else h = Math.max(1, Math.floor(maxPixels));
  }
  return [w, h];
}

/** For each output index along one axis: the source pixels it covers and their weights. */
function coverage(inSide: number, outSide: number): { first: number; weights: Float64Array }[] {
  const scale = inSide / outSide;
  return Array.from({ length: outSide }, (_, o) => {
    const start = o * scale;
    const end = Math.min(inSide, (o + 1) * scale);
    const first = Math.floor(start);
    const last = Math.min(inSide - 1, Math.ceil(end) - 1);
    const weights = new Float64Array(last - first + 1);
    for (let i = first; i <= last; i++) {
      weights[i - first] = (Math.min(end, i + 1) - Math.max(start, i)) / scale;
    }
    return { first, weights };
  });
}

/** Shrink `pixels` (width x height, `channels` interleaved) to outWidth x outHeight. */
export function resizeArea(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: Channels,
  outWidth: number,
  outHeight: number,
): Uint8ClampedArray {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`pixel buffer has ${pixels.length} values for ${width}x${height}`);
  }
  if (outWidth > width || outHeight > height || outWidth < 1 || outHeight < 1) {
    throw new RangeError(`resizeArea only shrinks: ${width}x${height} -> ${outWidth}x${outHeight}`);
  }
  const cols = coverage(width, outWidth);
  const rows = coverage(height, outHeight);
  // Rows first: one source row at a time into a [height, outWidth] float buffer.
  const mid = new Float32Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    const src = y * width * channels;
    const dst = y * outWidth * channels;
    for (let o = 0; o < outWidth; o++) {
      const { first, weights } = cols[o] as (typeof cols)[number];
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) {
          sum += (weights[k] as number) * (pixels[src + (first + k) * channels + c] as number);
        }
        mid[dst + o * channels + c] = sum;
      }
    }
  }
  const out = new Uint8ClampedArray(outWidth * outHeight * channels);
  const rowLength = outWidth * channels;
  for (let o = 0; o < outHeight; o++) {
    const { first, weights } = rows[o] as (typeof rows)[number];
    for (let i = 0; i < rowLength; i++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        sum += (weights[k] as number) * (mid[(first + k) * rowLength + i] as number);
      }
      out[o * rowLength + i] = Math.round(sum);
    }
  }
  return out;
}
