/** Shared checks for the runtime tests: seeded tensors, cross-backend comparison, numerical gradients. */
import * as tf from "@tensorflow/tfjs-core";

export function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relErr(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.join() !== b.shape.join())
    throw new Error(`shapes differ: [${a.shape}] vs [${b.shape}]`);
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)));
    scale = Math.max(scale, Math.abs(y[i] as number));
  }
  return diff / Math.max(scale, 1e-12);
}

/** Run f with `backend` active (until it settles), then switch back; results are read out as plain tensors on the caller's side. */
export async function on<T>(backend: string, f: () => T | Promise<T>): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return await f();
  } finally {
    await tf.setBackend(before);
  }
}

/**
 * Central differences of the scalar loss(inputs) with respect to inputs[which],
 * at `count` pseudo-random positions; returns [position, numerical value] pairs.
 */
export function numericalGrad(
  loss: (inputs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  which: number,
  count: number,
  eps: number,
): [number, number][] {
  const base = inputs[which] as tf.Tensor;
  const values = base.dataSync().slice();
  const out: [number, number][] = [];
  let state = 12345;
  for (let k = 0; k < count; k++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const pos = state % values.length;
    const at = (delta: number) =>
      tf.tidy(() => {
        const v = values.slice();
        v[pos] = (v[pos] as number) + delta;
        const moved = inputs.map((t, i) => (i === which ? tf.tensor(v, base.shape) : t));
        return loss(moved).dataSync()[0] as number;
      });
    out.push([pos, (at(eps) - at(-eps)) / (2 * eps)]);
  }
  return out;
}

/** The worst numerical-vs-analytic gap, relative to the analytic gradient's largest entry. */
export function gradGap(analytic: tf.Tensor, numerical: [number, number][]): number {
  const a = analytic.dataSync();
  let scale = 0;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  let gap = 0;
  for (const [pos, n] of numerical) gap = Math.max(gap, Math.abs((a[pos] as number) - n));
  return gap / Math.max(scale, 1e-12);
}

/**
 * Conv shapes every conv-kernel suite checks: strides 1-3, padding 0-2,
 * kernels 3/4/7, odd and even sides. [batch, height, width, in, out, kernel, stride, padding]
 */
export const CONV_CASES: [number, number, number, number, number, number, number, number][] = [
  [1, 7, 9, 3, 4, 3, 1, 1],
  [2, 8, 8, 3, 5, 3, 2, 1],
  [1, 9, 7, 4, 3, 4, 2, 1],
  [1, 9, 8, 2, 3, 7, 1, 0],
  [2, 11, 10, 3, 2, 3, 2, 0],
  [1, 5, 6, 3, 2, 4, 1, 2],
  [1, 10, 11, 2, 3, 3, 3, 1],
];
