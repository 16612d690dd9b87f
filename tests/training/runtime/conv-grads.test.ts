/**
 * The conv gradients that replace the wasm backend's missing / slow kernels,
 * against the CPU backend's own kernels and against finite differences.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../training/runtime/backend.ts";
import { conv2d, conv2dTranspose } from "../../../training/runtime/conv-ops.ts";
import { gradGap, numericalGrad, on, randn, relErr } from "./helpers.ts";

// [batch, height, width, in, out, kernel, stride, padding]
const CASES: [number, number, number, number, number, number, number, number][] = [
  [1, 7, 9, 3, 4, 3, 1, 1],
  [2, 8, 8, 3, 5, 3, 2, 1],
  [1, 9, 7, 4, 3, 4, 2, 1],
  [1, 9, 8, 2, 3, 7, 1, 0],
  [2, 11, 10, 3, 2, 3, 2, 0],
  [1, 5, 6, 3, 2, 4, 1, 2],
];
const TOL = 1e-5;

const explicit = (p: number) =>
  p === 0
    ? ("valid" as const)
    : ([
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ] as [[number, number], [number, number], [number, number], [number, number]]);

beforeAll(async () => {
  await initBackend("cpu");
  await initBackend("wasm");
});

describe.each(CASES)("conv n%i %ix%i %i->%i k%i s%i p%i", (n, h, w, ci, co, k, s, p) => {
  // Made inside each test: the backends exist only after beforeAll.
  const input = () => [randn([n, h, w, ci], 1), randn([k, k, ci, co], 2)] as tf.Tensor4D[];
  const builtin = (a: tf.Tensor, b: tf.Tensor) =>
    tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, explicit(p));

  it("conv2d gradients match the CPU kernels (custom ops and registered wasm kernels)", async () => {
    const [x, wt] = input() as [tf.Tensor4D, tf.Tensor4D];
    const y = await on("cpu", () => builtin(x, wt));
    const dy = randn(y.shape, 3);
    const [rdx, rdw] = await on("cpu", () => tf.grads(builtin)([x, wt], dy));
    const mine = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p),
    )([x, wt], dy);
    const kernels = tf.grads(builtin)([x, wt], dy);
    expect(tf.getBackend()).toBe("wasm");
    expect(relErr(mine[0] as tf.Tensor, rdx as tf.Tensor)).toBeLessThan(TOL);
    expect(relErr(mine[1] as tf.Tensor, rdw as tf.Tensor)).toBeLessThan(TOL);
    expect(relErr(kernels[0] as tf.Tensor, rdx as tf.Tensor)).toBeLessThan(TOL);
    expect(relErr(kernels[1] as tf.Tensor, rdw as tf.Tensor)).toBeLessThan(TOL);
  });

  it("conv2d gradients match finite differences", () => {
    const [x, wt] = input() as [tf.Tensor4D, tf.Tensor4D];
    const r = randn(builtin(x, wt).shape, 4);
    const loss = ([a, b]: tf.Tensor[]) =>
      tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p), r)) as tf.Scalar;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss([a, b]))([x, wt]);
    // The loss is linear in each input, so central differences are exact up to rounding.
    expect(gradGap(dx as tf.Tensor, numericalGrad(loss, [x, wt], 0, 12, 0.5))).toBeLessThan(1e-3);
    expect(gradGap(dw as tf.Tensor, numericalGrad(loss, [x, wt], 1, 12, 0.5))).toBeLessThan(1e-3);
  });

  it("conv2dTranspose (PyTorch semantics) and its gradients match the CPU kernels", async () => {
    const [x] = input() as [tf.Tensor4D];
    const op = s - 1;
    const outShape: [number, number, number, number] = [
      n,
      (h - 1) * s - 2 * p + k + op,
      (w - 1) * s - 2 * p + k + op,
      co,
    ];
    const wT = randn([k, k, co, ci], 5) as tf.Tensor4D;
    const ref = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, s, p === 0 ? "valid" : p);
    const ry = await on("cpu", () => ref(x, wT));
    const dy = randn(outShape, 6);
    const [rdx, rdw] = await on("cpu", () => tf.grads(ref)([x, wT], dy));
    const mine = (a: tf.Tensor, b: tf.Tensor) =>
      conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, s, p, op);
    const [mdx, mdw] = tf.grads(mine)([x, wT], dy);
    expect(relErr(mine(x, wT), ry)).toBeLessThan(TOL);
    expect(relErr(mdx as tf.Tensor, rdx as tf.Tensor)).toBeLessThan(TOL);
    expect(relErr(mdw as tf.Tensor, rdw as tf.Tensor)).toBeLessThan(TOL);
    const loss = ([a, b]: tf.Tensor[]) =>
      tf.sum(tf.mul(mine(a as tf.Tensor, b as tf.Tensor), dy)) as tf.Scalar;
    expect(gradGap(mdw as tf.Tensor, numericalGrad(loss, [x, wT], 1, 8, 0.5))).toBeLessThan(1e-3);
    expect(gradGap(mdx as tf.Tensor, numericalGrad(loss, [x, wT], 0, 8, 0.5))).toBeLessThan(1e-3);
  });
});
