/**
 * Weight encodings for the exported variants: float16 (IEEE half, round to
 * nearest even, via the platform's Float16Array) and symmetric per-channel
 * int8 for weight-only quantization with DequantizeLinear.
 */
/// <reference lib="esnext.float16" />

// ONNX raw_data is little-endian; typed arrays use the host's order (checked
// without node:os, so the site's import worker runs this module too).
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error("the ONNX writer needs a little-endian host");

export function float32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;

export function float16Bytes(data: Float32Array): Uint8Array {
  // A weight past the float16 range would silently become Infinity.
  const over = data.findIndex((v) => Math.abs(v) > FLOAT16_MAX);
  if (over >= 0)
    throw new Error(
      `a weight (${data[over]}) is outside the float16 range (+-${FLOAT16_MAX}): export without fp16 (--dtypes fp32,int8)`,
    );
  return new Uint8Array(Float16Array.from(data).buffer);
}

export interface Int8PerChannel {
  /** Quantized values in the weight's own layout. */
  values: Int8Array;
  /** One scale per channel along `axis`: w ~= values * scale. */
  scale: Float32Array;
}

/**
 * Symmetric int8 per channel along `axis` (0 for Conv [out, in, kh, kw],
 * 1 for ConvTranspose [in, out, kh, kw]): scale = max|w| / 127, zero point 0,
 * values clamped to [-127, 127] so the range stays symmetric.
 */
export function quantizeInt8PerChannel(
  data: Float32Array,
  shape: readonly number[],
  axis: number,
): Int8PerChannel {
  const channels = shape[axis];
  if (channels === undefined) throw new RangeError(`axis ${axis} out of range for [${shape}]`);
  // Element i belongs to channel floor(i / inner) % channels.
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(data[i] as number);
    if (a > (maxAbs[c] as number)) maxAbs[c] = a;
  }
  // An all-zero channel gets scale 1 (any positive scale reproduces zeros exactly).
  const scale = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const q = Math.round((data[i] as number) / (scale[channelOf(i)] as number));
    values[i] = Math.max(-127, Math.min(127, q));
  }
  return { values, scale };
}
