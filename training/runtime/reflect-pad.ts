/**
 * Reflection padding with a correct gradient.
 *
 * tfjs-core 4.22 differentiates `mirrorPad` like a zero pad: it keeps the
 * centre of dy and drops the reflected border contributions (a relative error
 * of ~0.77 on a CycleGAN block). The forward pass here is the library's
 * kernel; the backward pass folds each border strip back onto the pixels it
 * copied, one axis at a time.
 */
import * as tf from "@tensorflow/tfjs-core";
import { withGradient } from "./custom-grad.ts";

/**
 * The gradient of a reflect pad of `pad` along `axis` (1 = height, 2 = width),
 * given dy of the padded size. Padded index p - j (1 <= j <= pad) copies x[j];
 * padded index p + n - 1 + j copies x[n - 1 - j].
 */
export function foldReflectAxis(dy: tf.Tensor4D, pad: number, axis: 1 | 2): tf.Tensor4D {
  if (pad === 0) return dy;
  return tf.tidy(() => {
    const n = dy.shape[axis] - 2 * pad;
    const slab = (start: number, size: number): tf.Tensor4D => {
      const begin = [0, 0, 0, 0];
      const sizes = [...dy.shape] as number[];
      begin[axis] = start;
      sizes[axis] = size;
      return tf.slice(dy, begin, sizes);
    };
    // Border columns in the order of the x indices they belong to (1..pad and n-1-pad..n-2).
    const left: tf.Tensor4D[] = [];
    const right: tf.Tensor4D[] = [];
    for (let j = 1; j <= pad; j++) left.push(slab(pad - j, 1));
    for (let j = pad; j >= 1; j--) right.push(slab(pad + n - 1 + j, 1));
    const padAt = (t: tf.Tensor4D, before: number, after: number): tf.Tensor4D => {
      const p: [number, number][] = [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ];
      p[axis] = [before, after];
      return tf.pad(t, p);
    };
    const l = padAt(tf.concat(left, axis), 1, n - 1 - pad);
    const r = padAt(tf.concat(right, axis), n - 1 - pad, 1);
    return tf.addN([slab(pad, n), l, r]);
  });
}

/** Reflect-pad height and width by `pad` (PyTorch's ReflectionPad2d), differentiable correctly. */
export function reflectPad(x: tf.Tensor4D, pad: number): tf.Tensor4D {
  if (pad === 0) return x;
  const [, h, w] = x.shape;
  if (pad >= h || pad >= w) {
    throw new RangeError(`reflection padding ${pad} needs sides larger than it; got ${w}x${h}`);
  }
  // Nothing is saved for the backward pass: it needs only dy.
  return withGradient<tf.Tensor4D>([x], ([input]) => {
    const value = tf.mirrorPad(
      input as tf.Tensor4D,
      [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ],
      "reflect",
    );
    const gradFunc = (dy: tf.Tensor4D) =>
      tf.tidy(() => {
        const rows = foldReflectAxis(dy, pad, 1);
        return foldReflectAxis(rows, pad, 2);
      });
    return { value, gradFunc };
  });
}
