/**
 * Instance norm (no affine parameters, biased variance: the reference's
 * InstanceNorm2d) with a closed-form gradient. The generic tape would keep
 * x - mean, the variance chain and several broadcasts per layer; this keeps
 * only the output and one scale per channel:
 *   y = (x - mean) * r,  r = 1 / sqrt(var + eps)
 *   dx = r * (dy - mean(dy) - y * mean(dy * y))      (means over H, W)
 */
import * as tf from "@tensorflow/tfjs-core";
import { withGradient } from "./custom-grad.ts";

export function instanceNorm(x: tf.Tensor4D, epsilon: number): tf.Tensor4D {
  return withGradient<tf.Tensor4D>([x], ([xi], save) => {
    const [y, r] = tf.tidy(() => {
      const { mean, variance } = tf.moments(xi as tf.Tensor4D, [1, 2], true);
      const scale = tf.rsqrt(tf.add(variance, epsilon));
      return [tf.mul(tf.sub(xi as tf.Tensor4D, mean), scale), scale];
    }) as [tf.Tensor4D, tf.Tensor4D];
    save([y, r]);
    return {
      value: y,
      gradFunc: (dy, saved) =>
        tf.tidy(() => {
          const [sy, sr] = saved as [tf.Tensor4D, tf.Tensor4D];
          const meanDy = tf.mean(dy, [1, 2], true);
          const meanDyY = tf.mean(tf.mul(dy, sy), [1, 2], true);
          return tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(sy, meanDyY)), sr);
        }),
    };
  });
}
