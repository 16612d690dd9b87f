/**
 * The pixel <-> tensor contract of every generator: pixels 0..255 map linearly
 * onto [-1, 1], three channels, sides multiples of SIZE_MULTIPLE.
 * The trainer (NHWC for TensorFlow.js), the exporter's checks and the site
 * (NCHW for onnxruntime) all convert through these functions.
 */

/** The ResNet generator downsamples twice by 2, so sides must divide by 4. */
export const SIZE_MULTIPLE = 4;

export type Channels = 3 | 4;

/** Pixel value 0..255 -> [-1, 1]. */
export function byteToUnit(v: number): number {
  return v / 127.5 - 1;
}

/** [-1, 1] -> pixel value 0..255, rounded and clamped. */
export function unitToByte(x: number): number {
  const v = Math.round((x + 1) * 127.5);
  return Math.min(255, Math.max(0, v));
}

export function roundUpToMultiple(n: number, m: number = SIZE_MULTIPLE): number {
  return Math.ceil(n / m) * m;
}

export function roundDownToMultiple(n: number, m: number = SIZE_MULTIPLE): number {
  return Math.max(m, Math.floor(n / m) * m);
}

function checkSize(length: number, width: number, height: number, channels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (length !== width * height * channels) {
    throw new RangeError(
      `pixel buffer has ${length} values, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
}

/**
 * Composite interleaved RGBA bytes over white, in place, leaving alpha as it
 * is: the trainer flattens alpha on white, so a transparent pixel must reach
 * the generator as white, not as the black its zeroed colour would give.
 */
export function flattenOnWhite(rgba: Uint8ClampedArray): void {
  if (rgba.length % 4 !== 0) throw new RangeError(`RGBA buffer of ${rgba.length} values`);
  for (let p = 0; p < rgba.length; p += 4) {
    const a = rgba[p + 3] as number;
    if (a === 255) continue;
    for (let c = p; c < p + 3; c++) rgba[c] = 255 - ((255 - (rgba[c] as number)) * a) / 255;
  }
}

/** Interleaved RGB(A) bytes -> planar float32 [3, H, W] in [-1, 1] (alpha dropped). */
export function pixelsToCHW(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: Channels,
): Float32Array {
  checkSize(pixels.length, width, height, channels);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const p = i * channels;
    out[i] = byteToUnit(pixels[p] as number);
    out[plane + i] = byteToUnit(pixels[p + 1] as number);
    out[2 * plane + i] = byteToUnit(pixels[p + 2] as number);
  }
  return out;
}

/** Interleaved RGB(A) bytes -> interleaved float32 [H, W, 3] in [-1, 1] (alpha dropped). */
export function pixelsToHWC(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: Channels,
): Float32Array {
  checkSize(pixels.length, width, height, channels);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const p = i * channels;
    out[3 * i] = byteToUnit(pixels[p] as number);
    out[3 * i + 1] = byteToUnit(pixels[p + 1] as number);
    out[3 * i + 2] = byteToUnit(pixels[p + 2] as number);
  }
  return out;
}

/** Planar float32 [3, H, W] in [-1, 1] -> interleaved bytes with `channels` per pixel (alpha 255). */
export function chwToPixels(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: Channels,
): Uint8ClampedArray {
  checkSize(data.length, width, height, 3);
  const plane = width * height;
  const out = new Uint8ClampedArray(plane * channels);
  for (let i = 0; i < plane; i++) {
    const p = i * channels;
    out[p] = unitToByte(data[i] as number);
    out[p + 1] = unitToByte(data[plane + i] as number);
    out[p + 2] = unitToByte(data[2 * plane + i] as number);
    if (channels === 4) out[p + 3] = 255;
  }
  return out;
}

/** Interleaved float32 [H, W, 3] in [-1, 1] -> interleaved bytes with `channels` per pixel. */
export function hwcToPixels(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: Channels,
): Uint8ClampedArray {
  checkSize(data.length, width, height, 3);
  const plane = width * height;
  const out = new Uint8ClampedArray(plane * channels);
  for (let i = 0; i < plane; i++) {
    const p = i * channels;
    out[p] = unitToByte(data[3 * i] as number);
    out[p + 1] = unitToByte(data[3 * i + 1] as number);
    out[p + 2] = unitToByte(data[3 * i + 2] as number);
    if (channels === 4) out[p + 3] = 255;
  }
  return out;
}

/** Mirror index into 0..n-1 without repeating the edge (like ONNX Pad mode=reflect). */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/**
 * Grow planar [C, H, W] data to [C, newH, newW] by reflecting at the right and
 * bottom edges. Reflection (not zeros) keeps the generator's statistics close
 * to the image's, so cropping back leaves no dark border.
 */
export function padCHWReflect(
  data: Float32Array,
  channels: number,
  width: number,
  height: number,
  newWidth: number,
  newHeight: number,
): Float32Array {
  checkSize(data.length, width, height, channels);
  if (newWidth < width || newHeight < height) {
    throw new RangeError(`cannot pad ${width}x${height} down to ${newWidth}x${newHeight}`);
  }
  if (newWidth === width && newHeight === height) return data;
  const out = new Float32Array(channels * newWidth * newHeight);
  for (let c = 0; c < channels; c++) {
    const src = c * width * height;
    const dst = c * newWidth * newHeight;
    for (let y = 0; y < newHeight; y++) {
      const sy = reflectIndex(y, height);
      for (let x = 0; x < newWidth; x++) {
        out[dst + y * newWidth + x] = data[src + sy * width + reflectIndex(x, width)] as number;
      }
    }
  }
  return out;
}

/** Take the top-left [C, cropH, cropW] of planar [C, H, W] data. */
export function cropCHW(
  data: Float32Array,
  channels: number,
  width: number,
  height: number,
  cropWidth: number,
  cropHeight: number,
): Float32Array {
  checkSize(data.length, width, height, channels);
  if (cropWidth > width || cropHeight > height) {
    throw new RangeError(`cannot crop ${width}x${height} to ${cropWidth}x${cropHeight}`);
  }
  if (cropWidth === width && cropHeight === height) return data;
  const out = new Float32Array(channels * cropWidth * cropHeight);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < cropHeight; y++) {
      const src = c * width * height + y * width;
      out.set(data.subarray(src, src + cropWidth), c * cropWidth * cropHeight + y * cropWidth);
    }
  }
  return out;
}
