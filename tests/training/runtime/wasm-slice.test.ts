/** The wasm Slice replacement against the CPU backend, over ranks 1-5 and every axis pattern. */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, expect, it } from "vitest";
import { initBackend } from "../../../training/runtime/backend.ts";
import { on } from "./helpers.ts";

beforeAll(async () => {
  await initBackend("cpu");
  await initBackend("wasm");
});

it("slices like the CPU backend for random boxes of rank 1-5, float32 and int32", async () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let trial = 0; trial < 60; trial++) {
    const rank = 1 + (trial % 5);
    const shape = Array.from({ length: rank }, () => 1 + rand(5));
    const begin = shape.map((d) => rand(d));
    // Some boxes take whole trailing axes (the contiguous fast path), some do not.
    const size = shape.map((d, i) => (rand(3) === 0 ? -1 : 1 + rand(d - (begin[i] as number))));
    const dtype = trial % 4 === 0 ? "int32" : "float32";
    const x = tf.cast(
      tf
        .range(
          0,
          shape.reduce((a, b) => a * b, 1),
        )
        .reshape(shape),
      dtype,
    );
    const expected = await on("cpu", () => tf.slice(x, begin, size).arraySync());
    expect(tf.getBackend()).toBe("wasm");
    const got = tf.slice(x, begin, size);
    expect(got.dtype).toBe(dtype);
    expect(got.arraySync()).toEqual(expected);
  }
});

it("copies long contiguous runs (whole trailing axes) correctly", async () => {
  const x = tf.reshape(tf.range(0, 4 * 6 * 150), [4, 6, 150]);
  for (const [begin, size] of [
    [
      [1, 0, 0],
      [2, 6, 150],
    ],
    [
      [0, 2, 0],
      [4, 3, 150],
    ],
    [
      [3, 1, 10],
      [1, 5, 130],
    ],
  ] as [number[], number[]][]) {
    const expected = await on("cpu", () => tf.slice(x, begin, size).arraySync());
    expect(tf.slice(x, begin, size).arraySync()).toEqual(expected);
  }
});

it("returns an empty tensor for an empty box", () => {
  const x = tf.ones([3, 4]);
  expect(tf.slice(x, [1, 2], [0, 2]).shape).toEqual([0, 2]);
});
