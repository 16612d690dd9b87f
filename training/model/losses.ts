/** The CycleGAN objectives (reference: models/networks.py GANLoss and nn.L1Loss). */
import * as tf from "@tensorflow/tfjs-core";

export const GAN_MODES = ["lsgan", "vanilla"] as const;
export type GanMode = (typeof GAN_MODES)[number];

/**
 * Adversarial loss of discriminator output `pred` against the label real (1) or fake (0),
 * averaged over every patch of the PatchGAN output.
 */
export function ganLoss(pred: tf.Tensor, targetIsReal: boolean, mode: GanMode): tf.Scalar {
  const target = targetIsReal ? 1 : 0;
  return tf.tidy(() => {
    if (mode === "lsgan") {
      // lsgan: mean((pred - t)^2)
      return tf.mean(tf.square(tf.sub(pred, target)));
    }
    // vanilla: mean(BCE(sigmoid(pred), t)) = mean(max(pred, 0) - pred * t + log(1 + exp(-|pred|)))
    return tf.mean(
      tf.add(tf.sub(tf.relu(pred), tf.mul(pred, target)), tf.log1p(tf.exp(tf.neg(tf.abs(pred))))),
    );
  });
}

/** L1 distance: mean(|a - b|) over every element (nn.L1Loss). */
export function l1(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))));
}
