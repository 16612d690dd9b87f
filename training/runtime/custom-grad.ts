/** A typed front for tf.customGrad, whose own signature mixes tensors and the save function. */
import * as tf from "@tensorflow/tfjs-core";

export interface GradBody<T extends tf.Tensor> {
  value: T;
  /** One gradient per input, in input order. */
  gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/** Apply `body` to `inputs` with the gradient it defines. */
export function withGradient<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  body: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => GradBody<T>,
): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return body(args.slice(0, -1) as tf.Tensor[], save);
  });
  return f(...inputs) as T;
}
