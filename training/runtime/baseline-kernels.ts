/**
 * The unoptimised wasm training path, kept as the "before" of benchmarks and
 * as an independent check: the library's kernels plus the straightforward
 * fixes runtime-notes describe (the state before issue 9's work).
 * - Conv2DBackpropFilter (missing in tfjs 4.22): a conv of channels-first x
 *   with dy as the filter, dilated by the stride;
 * - Conv2DBackpropInput (a plain loop in tfjs 4.22): zero insertion + pad +
 *   a conv with the flipped filter.
 * The fast path (wasm-kernels.ts) replaces both and the Slice kernel.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type ConvGeometry, convGradKernels, padOrCrop } from "./conv-grads.ts";

/** s - 1 zeros after every row and column, by concat + reshape. */
function zeroInsert(t: tf.Tensor4D, [sh, sw]: [number, number]): tf.Tensor4D {
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
}

export function baselineInputGrad(
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
    const padded = padOrCrop(
      zeroInsert(dy, g.strides),
      [kh - 1 - g.padTop, h + g.padTop - dy.shape[1] * sh],
      [kw - 1 - g.padLeft, wd + g.padLeft - dy.shape[2] * sw],
    );
    return tf.conv2d(padded, flipped, 1, "valid");
  });
}

export function baselineFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  [kh, kw]: [number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    const [sh, sw] = g.strides;
    const rows = (oh - 1) * sh + kh;
    const cols = (ow - 1) * sw + kw;
    const xp = padOrCrop(x, [g.padTop, rows - h - g.padTop], [g.padLeft, cols - w - g.padLeft]);
    // Batch and channels swap roles: [ci, rows, cols, n] (*) [oh, ow, n, co] -> [ci, kh, kw, co].
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
    const f = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const out = tf.conv2d(xt, f, 1, "valid", "NHWC", [sh, sw]);
    return tf.transpose(out, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

export const BASELINE_KERNELS = convGradKernels(baselineFilterGrad, baselineInputGrad);
