/**
 * Convolution gradients built from forward convolutions and one large matMul,
 * the two kernels the WebAssembly backend runs through XNNPACK.
 *
 * Notation (NHWC, tfjs filter layout [kh, kw, in, out]): a convolution with
 * strides s and top/left zero padding p maps x [n, h, w, ci] to
 * dy [n, oh, ow, co]. The bottom/right padding is implied by the shapes.
 */
import * as tf from "@tensorflow/tfjs-core";

export interface ConvGeometry {
  strides: [number, number];
  /** Zero padding before the first row / column (the rest follows from the shapes). */
  padTop: number;
  padLeft: number;
}

/** Pad (positive) or crop (negative) axes 1 and 2 of an NHWC tensor. */
export function padOrCrop(
  t: tf.Tensor4D,
  [top, bottom]: [number, number],
  [left, right]: [number, number],
): tf.Tensor4D {
  const pos = (v: number) => Math.max(v, 0);
  let out = t;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [
      [0, 0],
      [pos(top), pos(bottom)],
      [pos(left), pos(right)],
      [0, 0],
    ]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = out.shape;
    out = tf.slice(
      out,
      [0, pos(-top), pos(-left), 0],
      [n, h - pos(-top) - pos(-bottom), w - pos(-left) - pos(-right), c],
    );
  }
  return out;
}

/**
 * Put s - 1 zero rows/columns after every row/column: [n, h, w, c] ->
 * [n, h*sh, w*sw, c]. Built from concat + reshape only (strided writes are slow on wasm).
 */
export function zeroInsert(t: tf.Tensor4D, [sh, sw]: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = t.shape;
    let out: tf.Tensor = t;
    if (sw > 1) {
      out = tf.reshape(tf.concat([out, tf.zeros([n, h, w, (sw - 1) * c])], 3), [n, h, w * sw, c]);
    }
    if (sh > 1) {
      const row = w * sw * c;
      const rows = tf.concat([tf.reshape(out, [n, h, 1, row]), tf.zeros([n, h, sh - 1, row])], 2);
      out = tf.reshape(rows, [n, h * sh, w * sw, c]);
    }
    return out as tf.Tensor4D;
  });
}

/**
 * The gradient with respect to x of conv2d(x, w): a stride-1 convolution of the
 * zero-inserted dy with the spatially flipped, in/out-swapped filter.
 * Also the forward pass of a transposed convolution.
 */
export function convInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: readonly [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = w.shape;
    const [, h, wd] = xShape;
    const [sh, sw] = g.strides;
    const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const up = zeroInsert(dy, g.strides);
    // up has dy.h * sh rows; the last sh - 1 of them are zeros we may crop.
    const padded = padOrCrop(
      up,
      [kh - 1 - g.padTop, h + g.padTop - dy.shape[1] * sh],
      [kw - 1 - g.padLeft, wd + g.padLeft - dy.shape[2] * sw],
    );
    return tf.conv2d(padded, flipped, 1, "valid");
  });
}

/**
 * Split the rows and columns of a channels-first tensor [c, hh*sh, ww*sw] into
 * sh*sw phases [sh*sw*c, hh, ww], so that every strided tap becomes a contiguous slice.
 */
function phases(t: tf.Tensor3D, sh: number, sw: number): tf.Tensor3D {
  const [c, h, w] = t.shape;
  const hh = h / sh;
  const ww = w / sw;
  const split = tf.transpose(tf.reshape(t, [c, hh, sh, ww, sw]), [2, 4, 0, 1, 3]);
  return tf.reshape(split, [sh * sw * c, hh, ww]);
}

/**
 * The gradient with respect to the filter of conv2d(x, w) as one GEMM:
 * im2col(x)^T [kh*kw*ci, n*oh*ow] x dy [n*oh*ow, co], which is the filter layout
 * [kh, kw, ci, co] directly. Both operands are untransposed, which is the form
 * the wasm backend hands to XNNPACK (a transposed operand falls back to a slow loop).
 */
export function convFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: [number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = kernel;
    const [n, h, w, ci] = x.shape;
    const [, oh, ow, co] = dy.shape;
    const [sh, sw] = g.strides;
    // Rows/columns the taps touch, rounded up to whole stride phases.
    const hn = Math.ceil(((oh - 1) * sh + kh) / sh) * sh;
    const wn = Math.ceil(((ow - 1) * sw + kw) / sw) * sw;
    const xp = padOrCrop(x, [g.padTop, hn - h - g.padTop], [g.padLeft, wn - w - g.padLeft]);
    // Channels first with the batch folded into the rows: [ci, n*hn, wn] keeps each tap a 3-D slice.
    let xt = tf.reshape(tf.transpose(xp, [3, 0, 1, 2]), [ci, n * hn, wn]) as tf.Tensor3D;
    const strided = sh > 1 || sw > 1;
    if (strided) xt = phases(xt, sh, sw);
    const rowsPerImage = hn / sh;
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const phase = strided ? ((i % sh) * sw + (j % sw)) * ci : 0;
        const r0 = Math.floor(i / sh);
        const c0 = Math.floor(j / sw);
        const perImage: tf.Tensor[] = [];
        for (let b = 0; b < n; b++) {
          perImage.push(tf.slice(xt, [phase, b * rowsPerImage + r0, c0], [ci, oh, ow]));
        }
        taps.push(n === 1 ? (perImage[0] as tf.Tensor) : tf.stack(perImage, 1));
      }
    }
    const cols = tf.reshape(tf.concat(taps, 0), [kh * kw * ci, n * oh * ow]);
    const g2 = tf.matMul(cols, tf.reshape(dy, [n * oh * ow, co]));
    return tf.reshape(g2, [kh, kw, ci, co]) as tf.Tensor4D;
  });
}
