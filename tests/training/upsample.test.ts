import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildOnnx } from "../../training/export/onnx.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { readOnnxWeights } from "../../training/import/onnx-weights.ts";
import { generatorFromStateDict } from "../../training/import/state-dict.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { countMacs, paramShapes, upsampleOf } from "../../training/networks/spec.ts";
import { upsampleNearest } from "../../training/networks/tfjs.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("--upsample resize", () => {
  it("keeps the reference's state-dict names, with conv layouts and 3x3 kernels at the up layers", () => {
    const t = paramShapes(buildGenerator("resnet_6blocks", { ngf: 8 }));
    const r = paramShapes(buildGenerator("resnet_6blocks", { ngf: 8, upsample: "resize" }));
    expect(r.map((p) => p.name)).toEqual(t.map((p) => p.name));
    // model.16 / model.19: the two up layers of resnet_6blocks.
    expect(t.find((p) => p.name === "model.16.weight")?.shape).toEqual([32, 16, 3, 3]);
    expect(r.find((p) => p.name === "model.16.weight")?.shape).toEqual([16, 32, 3, 3]);
    expect(r.find((p) => p.name === "model.19.weight")?.shape).toEqual([8, 16, 3, 3]);
  });

  it("costs 4x the transposed conv's work at the up layers (a conv at output resolution)", () => {
    const t = buildGenerator("resnet_6blocks", { ngf: 8 });
    const r = buildGenerator("resnet_6blocks", { ngf: 8, upsample: "resize" });
    // Up layers: 32->16 at 64x64 input and 16->8 at 128x128, 9 taps each.
    const up = 9 * (64 * 64 * 32 * 16 + 128 * 128 * 16 * 8);
    expect(countMacs(r, 256, 256) - countMacs(t, 256, 256)).toBe(3 * up);
  });

  it("is recorded by the spec itself, for U-Nets too", () => {
    expect(upsampleOf(buildGenerator("resnet_9blocks", { ngf: 4 }))).toBe("transpose");
    expect(upsampleOf(buildGenerator("resnet_9blocks", { ngf: 4, upsample: "resize" }))).toBe(
      "resize",
    );
    expect(upsampleOf(buildGenerator("unet_128", { ngf: 2, upsample: "resize" }))).toBe("resize");
  });

  it("repeats each pixel into a 2x2 block, and its gradient sums the block", () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [1, 2, 3, 2]);
    const y = upsampleNearest(x, 2);
    expect(y.shape).toEqual([1, 4, 6, 2]);
    const got = y.arraySync()[0] as number[][][];
    const src = x.arraySync()[0] as number[][][];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 6; j++)
        expect(got[i]?.[j]).toEqual(src[Math.floor(i / 2)]?.[Math.floor(j / 2)]);
    const weights = tf.randomUniform([1, 4, 6, 2], 0, 1, "float32", 3) as tf.Tensor4D;
    const grad = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(upsampleNearest(t as tf.Tensor4D, 2), weights)),
    )(x);
    const w = weights.arraySync()[0] as number[][][];
    const g = (grad as tf.Tensor4D).arraySync()[0] as number[][][];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let c = 0; c < 2; c++) {
          let s = 0;
          for (const [a, b] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ] as const)
            s += w[2 * i + a]?.[2 * j + b]?.[c] as number;
          expect(g[i]?.[j]?.[c]).toBeCloseTo(s, 5);
        }
  });

  it("is read back from an exported file's weights by the up layer's shape (npm run export -- upgrade)", () => {
    for (const upsample of ["transpose", "resize"] as const) {
      const spec = buildGenerator("resnet_6blocks", { ngf: 4, upsample });
      const weights = randomWeights(spec, { seed: 2 });
      const file = buildOnnx(spec, weights, "fp32");
      const g = generatorFromStateDict(readOnnxWeights(file, "g.onnx"), "g.onnx");
      expect(g.upsample).toBe(upsample);
      expect(paramShapes(g.spec)).toEqual(paramShapes(spec));
      expect(g.weights.get("model.16.weight")?.data).toEqual(weights.get("model.16.weight")?.data);
    }
  });
});
