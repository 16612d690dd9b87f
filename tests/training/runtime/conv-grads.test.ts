/**
 * The wasm conv gradient kernels (Conv2DBackpropFilter added, Conv2DBackpropInput
 * replaced) behind tf.conv2d / tf.conv2dTranspose, against the CPU backend's
 * kernels and against finite differences.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../training/runtime/backend.ts";
import { convFilterGrad } from "../../../training/runtime/conv-grads.ts";
import { registerWasmKernels } from "../../../training/runtime/wasm-kernels.ts";
import { CONV_CASES, gradGap, numericalGrad, on, randn, relErr } from "./helpers.ts";

const TOL = 1e-5;

beforeAll(async () => {
  await initBackend("cpu");
  await initBackend("wasm");
});

describe.each(CONV_CASES)("conv n%i %ix%i %i->%i k%i s%i p%i", (n, h, w, ci, co, k, s, p) => {
  const pad = p === 0 ? ("valid" as const) : p;
  // Made inside each test: the backends exist only after beforeAll.
  const input = () => [randn([n, h, w, ci], 1), randn([k, k, ci, co], 2)] as tf.Tensor4D[];
  const conv = (a: tf.Tensor, b: tf.Tensor) =>
    tf.conv2d(
      a as tf.Tensor4D,
      b as tf.Tensor4D,
      s,
      pad === "valid"
        ? pad
        : [
            [0, 0],
            [p, p],
            [p, p],
            [0, 0],
          ],
    );

  it("conv2d gradients on wasm match the CPU kernels and finite differences", async () => {
    const [x, wt] = input() as [tf.Tensor4D, tf.Tensor4D];
    const dy = randn(conv(x, wt).shape, 3);
    const [rdx, rdw] = await on("cpu", () => tf.grads(conv)([x, wt], dy));
    expect(tf.getBackend()).toBe("wasm");
    const [dx, dw] = tf.grads(conv)([x, wt], dy);
    expect(relErr(dx as tf.Tensor, rdx as tf.Tensor)).toBeLessThan(TOL);
    expect(relErr(dw as tf.Tensor, rdw as tf.Tensor)).toBeLessThan(TOL);
    // The loss is linear in each input, so central differences are exact up to rounding.
    const loss = ([a, b]: tf.Tensor[]) =>
      tf.sum(tf.mul(conv(a as tf.Tensor, b as tf.Tensor), dy)) as tf.Scalar;
    expect(gradGap(dx as tf.Tensor, numericalGrad(loss, [x, wt], 0, 12, 0.5))).toBeLessThan(1e-3);
    expect(gradGap(dw as tf.Tensor, numericalGrad(loss, [x, wt], 1, 12, 0.5))).toBeLessThan(1e-3);
  });

  it("conv2dTranspose (PyTorch output padding) and its gradients on wasm match the CPU kernels", async () => {
    const [x] = input() as [tf.Tensor4D];
    const op = s - 1;
    const outShape: [number, number, number, number] = [
      n,
      (h - 1) * s - 2 * p + k + op,
      (w - 1) * s - 2 * p + k + op,
      co,
    ];
    const wT = randn([k, k, co, ci], 5) as tf.Tensor4D;
    const convT = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, s, pad);
    const dy = randn(outShape, 6);
    const [ry, [rdx, rdw]] = await on(
      "cpu",
      () => [convT(x, wT), tf.grads(convT)([x, wT], dy)] as const,
    );
    const [dx, dw] = tf.grads(convT)([x, wT], dy);
    expect(relErr(convT(x, wT), ry)).toBeLessThan(TOL);
    expect(relErr(dx as tf.Tensor, rdx as tf.Tensor)).toBeLessThan(TOL);
    expect(relErr(dw as tf.Tensor, rdw as tf.Tensor)).toBeLessThan(TOL);
    const loss = ([a, b]: tf.Tensor[]) =>
      tf.sum(tf.mul(convT(a as tf.Tensor, b as tf.Tensor), dy)) as tf.Scalar;
    expect(gradGap(dw as tf.Tensor, numericalGrad(loss, [x, wT], 1, 8, 0.5))).toBeLessThan(1e-3);
    expect(gradGap(dx as tf.Tensor, numericalGrad(loss, [x, wT], 0, 8, 0.5))).toBeLessThan(1e-3);
  });
});

it.each([
  // kernel 1 under stride 2: a phase with no taps
  { name: "k1 s2", x: [1, 8, 8, 2], w: [1, 1, 2, 3], s: 2, pad: 0 as const },
  // 'same' at stride 2 on an even side: padding on one side only
  { name: "k3 s2 same", x: [2, 8, 7, 3], w: [3, 3, 3, 2], s: 2, pad: "same" as const },
  // a non-square kernel
  { name: "k1x3 s1", x: [1, 6, 7, 2], w: [1, 3, 2, 3], s: 1, pad: 1 as const },
])("conv2d gradients on wasm match the CPU kernels for $name", async ({ x: xs, w: ws, s, pad }) => {
  const x = randn(xs, 21) as tf.Tensor4D;
  const wt = randn(ws, 22) as tf.Tensor4D;
  const conv = (a: tf.Tensor, b: tf.Tensor) =>
    tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad);
  const dy = randn(conv(x, wt).shape, 23);
  const [rdx, rdw] = await on("cpu", () => tf.grads(conv)([x, wt], dy));
  const [dx, dw] = tf.grads(conv)([x, wt], dy);
  expect(relErr(dx as tf.Tensor, rdx as tf.Tensor)).toBeLessThan(TOL);
  expect(relErr(dw as tf.Tensor, rdw as tf.Tensor)).toBeLessThan(TOL);
});

it("builds the weight gradient's im2col columns in chunks to a memory budget, same result", async () => {
  const x = randn([2, 9, 10, 3], 11) as tf.Tensor4D;
  const dy = randn([2, 5, 5, 4], 12) as tf.Tensor4D;
  const g = { strides: [2, 2] as [number, number], padTop: 1, padLeft: 1 };
  const wt = randn([3, 3, 3, 4], 13) as tf.Tensor4D;
  const ref = await on("cpu", () =>
    tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 2, 1))(wt, dy),
  );
  // 3 channels x 50 pixels per tap: a 400-float budget gives chunks of 2 taps.
  for (const budget of [Number.POSITIVE_INFINITY, 400, 1]) {
    expect(relErr(convFilterGrad(x, dy, [3, 3], g, budget), ref)).toBeLessThan(TOL);
  }
});

describe("baseline (unoptimised) wasm kernels", () => {
  it.each([
    [2, 9, 8, 3, 4, 3, 1, 1],
    [1, 10, 9, 3, 5, 3, 2, 1],
    [1, 12, 12, 4, 3, 4, 2, 1],
  ])("match the CPU kernels: n%i %ix%i %i->%i k%i s%i p%i", async (n, h, w, ci, co, k, s, p) => {
    const x = randn([n, h, w, ci], 7) as tf.Tensor4D;
    const wt = randn([k, k, ci, co], 8) as tf.Tensor4D;
    const conv = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p);
    const dy = randn(conv(x, wt).shape, 9);
    const [rdx, rdw] = await on("cpu", () => tf.grads(conv)([x, wt], dy));
    registerWasmKernels("baseline");
    try {
      const [dx, dw] = tf.grads(conv)([x, wt], dy);
      expect(relErr(dx as tf.Tensor, rdx as tf.Tensor)).toBeLessThan(TOL);
      expect(relErr(dw as tf.Tensor, rdw as tf.Tensor)).toBeLessThan(TOL);
    } finally {
      registerWasmKernels("fast");
    }
  });
});
