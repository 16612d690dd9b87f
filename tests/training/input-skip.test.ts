/**
 * --input_skip: why it exists (a plain instance-norm generator cannot see a
 * photo's overall colour) and what it does (full: a colour shift of the input
 * comes out as the same shift; colour: the output has the input's chroma), in
 * the trainer's forward pass and in the exported ONNX file under onnxruntime.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { onnxRunner, tfjsRunner } from "../../training/export/infer.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { readOnnxWeights } from "../../training/import/onnx-weights.ts";
import { generatorFromStateDict } from "../../training/import/state-dict.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import {
  countMacs,
  type InputSkip,
  inputSkipOf,
  paramShapes,
} from "../../training/networks/spec.ts";
import { parseTrainOptions } from "../../training/options.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const W = 24;
const H = 16;
/** A smooth test picture in [-0.6, 0.6] (so shifts of 0.3 stay inside [-1, 1]). */
function picture(): Float32Array {
  const data = new Float32Array(3 * W * H);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        data[c * W * H + y * W + x] = 0.6 * Math.sin(0.3 * x + 0.5 * y + 2 * c) * Math.cos(0.2 * y);
  return data;
}
/** The picture with a constant added to each channel: a colour cast. */
function shifted(data: Float32Array, by: readonly number[]): Float32Array {
  return data.map((v, i) => v + (by[Math.floor(i / (W * H))] as number));
}
const CAST = [0.3, -0.2, 0.1];

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function outputs(inputSkip: InputSkip) {
  const spec = buildGenerator("resnet_6blocks", { ngf: 4, upsample: "resize", inputSkip });
  // Non-zero biases and larger weights than the init, so the output is far from flat.
  const weights = randomWeights(spec, { seed: 5 });
  const run = tfjsRunner(spec, weights);
  const x = picture();
  const a = await run.run({ data: x, width: W, height: H });
  const b = await run.run({ data: shifted(x, CAST), width: W, height: H });
  run.dispose();
  return { spec, weights, x, a: a.data, b: b.data };
}

describe("--input_skip", () => {
  it("is needed: the reference generator's output does not change when the input's colour is shifted", async () => {
    const { a, b } = await outputs("off");
    expect(maxDiff(a, b)).toBeLessThan(1e-4);
    // ...while the output is far from flat, so this is not a dead network.
    expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(0.05);
  });

  it("full: shifts the output by the input's colour shift, with the reference's parameters and cost", async () => {
    const { spec, a, b } = await outputs("full");
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < W * H; i++) {
        const k = c * W * H + i;
        expect((b[k] as number) - (a[k] as number)).toBeCloseTo(CAST[c] as number, 4);
      }
    const plain = buildGenerator("resnet_6blocks", { ngf: 4, upsample: "resize" });
    expect(paramShapes(spec)).toEqual(paramShapes(plain));
    expect(countMacs(spec, 64, 64)).toBe(countMacs(plain, 64, 64));
    expect(inputSkipOf(spec)).toBe("full");
    expect(inputSkipOf(plain)).toBe("off");
  });

  it("colour: the output has the input's chroma (BT.601 Cb, Cr) and differs from it in lightness only", async () => {
    const { spec, x, a } = await outputs("colour");
    expect(inputSkipOf(spec)).toBe("colour");
    const luma = (d: Float32Array, i: number) =>
      0.299 * (d[i] as number) +
      0.587 * (d[W * H + i] as number) +
      0.114 * (d[2 * W * H + i] as number);
    let lightness = 0;
    for (let i = 0; i < W * H; i++) {
      const dy = luma(a, i) - luma(x, i);
      lightness = Math.max(lightness, Math.abs(dy));
      // Every channel moved by the same amount: R - Y and B - Y (so Cr, Cb) unchanged.
      for (let c = 0; c < 3; c++)
        expect((a[c * W * H + i] as number) - (x[c * W * H + i] as number)).toBeCloseTo(dy, 4);
    }
    expect(lightness).toBeGreaterThan(0.05); // the network did change the lightness
    const plain = buildGenerator("resnet_6blocks", { ngf: 4, upsample: "resize" });
    expect(paramShapes(spec)).toEqual(paramShapes(plain));
  });

  for (const skip of ["full", "colour"] as const)
    it(`${skip}: exports to ONNX (fp32, fp16) that onnxruntime runs like the trainer`, async () => {
      const { spec, weights, x, a } = await outputs(skip);
      for (const [dtype, tolerance] of [
        ["fp32", 1e-4],
        ["fp16", 2e-2],
      ] as const) {
        const ort = await onnxRunner(buildOnnx(spec, weights, dtype), spec.sizeMultiple, 1);
        const whole = await ort.run({ data: x, width: W, height: H });
        await ort.release();
        expect(maxDiff(whole.data, a), dtype).toBeLessThan(tolerance);
      }
      // The weights alone do not tell the skip: the manifest entry passes it back.
      const file = buildOnnx(spec, weights, "fp32");
      const read = (given: InputSkip) =>
        generatorFromStateDict(readOnnxWeights(file, "g.onnx"), "g.onnx", given).spec;
      expect(inputSkipOf(read(skip))).toBe(skip);
      expect(inputSkipOf(read("off"))).toBe("off");
    });

  it("is off by default (the reference's generator)", () => {
    const { options } = parseTrainOptions(["--dataroot", "d"]);
    expect(options.input_skip).toBe("off");
    expect(
      parseTrainOptions(["--dataroot", "d", "--input_skip", "colour"]).options.input_skip,
    ).toBe("colour");
  });
});
