/** Instance norm with a closed-form gradient, against the generic tape and finite differences. */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceOps } from "../../../training/networks/tfjs.ts";
import { initBackend } from "../../../training/runtime/backend.ts";
import { instanceNorm } from "../../../training/runtime/instance-norm.ts";
import { gradGap, numericalGrad, on, randn, relErr } from "./helpers.ts";

beforeAll(async () => {
  await initBackend("cpu");
  await initBackend("wasm");
});

describe.each([
  [1, 5, 7, 3],
  [2, 4, 4, 5],
  [1, 16, 16, 2],
])("instance norm n%i %ix%i c%i", (n, h, w, c) => {
  it("matches the reference forward and gradient (CPU tape) and finite differences", async () => {
    // Non-zero mean and unequal scales per channel, as after a conv.
    const x = tf.add(tf.mul(randn([n, h, w, c], 1), 3), 0.7);
    const dy = randn([n, h, w, c], 2);
    const f = (t: tf.Tensor) => instanceNorm(t as tf.Tensor4D, 1e-5);
    const ref = (t: tf.Tensor) => referenceOps.instanceNorm(t as tf.Tensor4D, 1e-5);
    const [ry, rdx] = await on("cpu", () => [ref(x), tf.grad(ref)(x, dy)]);
    expect(relErr(f(x), ry as tf.Tensor)).toBeLessThan(1e-5);
    const dx = tf.grad(f)(x, dy);
    expect(relErr(dx, rdx as tf.Tensor)).toBeLessThan(1e-4);
    // Float32 forward differences of a non-linear function: a looser bound.
    const loss = ([t]: tf.Tensor[]) => tf.sum(tf.mul(f(t as tf.Tensor), dy)) as tf.Scalar;
    expect(gradGap(dx, numericalGrad(loss, [x], 0, 12, 1e-2))).toBeLessThan(2e-2);
  });
});
