import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onnxRunner, tfjsRunner, useTfjsBackend } from "../../training/export/infer.ts";
import { compareOutputs } from "../../training/export/metrics.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { DataType, decodeModel, encodeModel, OPSET } from "../../training/export/proto.ts";
import { float16Bytes, quantizeInt8PerChannel } from "../../training/export/quantize.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { buildGenerator } from "../../training/networks/index.ts";
import { type NetworkSpec, normChannels, paramShapes } from "../../training/networks/spec.ts";
import { seededNormal } from "../../training/util/seeded.ts";
import { onnxChecker } from "./onnx-checker.ts";

/** A tiny U-Net-like spec: covers Concat, LeakyRelu, stride-2 conv and a transposed conv. */
const skipSpec: NetworkSpec = {
  kind: "tiny_skip",
  inChannels: 3,
  outChannels: 3,
  sizeMultiple: 2,
  layers: [
    {
      op: "concatSkip",
      body: [
        {
          op: "conv",
          name: "down",
          inChannels: 3,
          outChannels: 5,
          kernel: 4,
          stride: 2,
          padding: 1,
          bias: false,
          feedsNorm: false,
        },
        { op: "leakyRelu", alpha: 0.2 },
        {
          op: "convTranspose",
          name: "up",
          inChannels: 5,
          outChannels: 4,
          kernel: 4,
          stride: 2,
          padding: 1,
          outputPadding: 0,
          bias: true,
          feedsNorm: true,
        },
        { op: "instanceNorm", epsilon: 1e-5 },
      ],
    },
    { op: "relu" },
    {
      op: "conv",
      name: "out",
      inChannels: 7,
      outChannels: 3,
      kernel: 1,
      stride: 1,
      padding: 0,
      bias: true,
      feedsNorm: false,
    },
    { op: "tanh" },
  ],
};

const resnet = buildGenerator("resnet_6blocks", { ngf: 4 });
/** --upsample resize: ONNX Resize (nearest) then a 3x3 Conv in place of each ConvTranspose. */
const resnetResize = buildGenerator("resnet_6blocks", { ngf: 4, upsample: "resize" });

function randomImage(width: number, height: number, seed: number) {
  const randn = seededNormal(seed);
  const data = new Float32Array(3 * width * height).map(() => Math.tanh(randn()));
  return { data, width, height };
}

let dir = "";
beforeAll(async () => {
  await useTfjsBackend("cpu");
  dir = mkdtempSync(path.join(os.tmpdir(), "onnx-export-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("buildOnnx", () => {
  for (const [label, spec, w, h] of [
    ["ResNet-6, ngf 4", resnet, 20, 16],
    ["ResNet-6, ngf 4, --upsample resize", resnetResize, 20, 16],
    ["concat skip + LeakyReLU", skipSpec, 10, 6],
  ] as const) {
    it(`fp32 matches the TensorFlow.js forward pass (${label})`, async () => {
      const weights = randomWeights(spec, { seed: 7, gain: 0.2 });
      const image = randomImage(w, h, 3);
      const ref = tfjsRunner(spec, weights);
      const expected = await ref.run(image);
      ref.dispose();
      const session = await onnxRunner(buildOnnx(spec, weights, "fp32"), spec.sizeMultiple);
      const actual = await session.run(image);
      await session.release();
      expect([actual.width, actual.height]).toEqual([w, h]);
      expect(compareOutputs(actual.data, expected.data).maxAbsDiff).toBeLessThanOrEqual(1e-4);
    });
  }

  it("refuses images whose sides are not multiples of 4, in both engines", async () => {
    const weights = randomWeights(resnet);
    const image = randomImage(10, 8, 1);
    const session = await onnxRunner(buildOnnx(resnet, weights, "fp32"), resnet.sizeMultiple);
    await expect(session.run(image)).rejects.toThrow(/10x8.*multiples of 4.*12x8/);
    await session.release();
    const ref = tfjsRunner(resnet, weights);
    await expect(ref.run(image)).rejects.toThrow(/multiples of 4/);
    ref.dispose();
  });

  it("writes files the official ONNX checker accepts, for every dtype", () => {
    const files: string[] = [];
    for (const spec of [resnet, resnetResize, skipSpec]) {
      for (const dtype of ["fp32", "fp16", "int8"] as const) {
        const file = path.join(dir, `${spec.kind}.${dtype}.onnx`);
        writeFileSync(file, buildOnnx(spec, randomWeights(spec), dtype));
        files.push(file);
      }
    }
    const results = onnxChecker(files);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results).toHaveLength(files.length);
  });

  it("fp16 stores float16 weights and casts at the edges and around each norm", () => {
    const model = decodeModel(buildOnnx(resnet, randomWeights(resnet), "fp16"));
    expect(model.opset_import).toEqual([{ domain: "", version: OPSET }]);
    const weights = model.graph.initializer.filter((t) => /\.(weight|bias)$/.test(t.name));
    expect(weights).toHaveLength(paramShapes(resnet).length);
    expect(new Set(weights.map((t) => t.data_type))).toEqual(new Set([DataType.FLOAT16]));
    const casts = model.graph.node.filter((n) => n.op_type === "Cast");
    expect(casts).toHaveLength(2 + 2 * normChannels(resnet).length);
    expect(model.graph.node.filter((n) => n.input.includes("input")).map((n) => n.op_type)).toEqual(
      ["Cast"],
    );
    const last = model.graph.node.find((n) => n.output.includes("output"));
    expect(last?.op_type).toBe("Cast");
    // round to nearest even; a weight past the float16 range is an error, not Infinity
    expect([...new Uint16Array(float16Bytes(new Float32Array([1, -2, 65504])).buffer)]).toEqual([
      0x3c00, 0xc000, 0x7bff,
    ]);
    expect(() => float16Bytes(new Float32Array([1, 70000]))).toThrow(/outside the float16 range/);
  });

  it("writes instance norm out, computed in float32, for every dtype", () => {
    const weights = randomWeights(resnet);
    const norms = resnet.layers.filter((l) => l.op === "instanceNorm").length + 2 * 6;
    for (const dtype of ["fp32", "int8", "fp16"] as const) {
      const ops = decodeModel(buildOnnx(resnet, weights, dtype)).graph.node.map((n) => n.op_type);
      expect(ops).not.toContain("InstanceNormalization");
      // Two means (each over W, then H) and one Sqrt per norm.
      expect(ops.filter((op) => op === "ReduceMean")).toHaveLength(4 * norms);
      expect(ops.filter((op) => op === "Sqrt")).toHaveLength(norms);
    }
  });

  it("int8 is weight-only: per-channel DequantizeLinear, axis 0 for Conv, 1 for ConvTranspose", () => {
    const weights = randomWeights(resnet);
    const model = decodeModel(buildOnnx(resnet, weights, "int8"));
    const ops = new Set(model.graph.node.map((n) => n.op_type));
    for (const banned of ["ConvInteger", "MatMulInteger", "DynamicQuantizeLinear", "QLinearConv"])
      expect(ops.has(banned)).toBe(false);
    const byOutput = new Map(model.graph.node.map((n) => [n.output[0], n]));
    const convs = model.graph.node.filter((n) => n.op_type.startsWith("Conv"));
    expect(convs).toHaveLength(resnet.layers.filter((l) => l.op.startsWith("conv")).length + 12);
    for (const conv of convs) {
      const dq = byOutput.get(conv.input[1]);
      expect(dq?.op_type).toBe("DequantizeLinear");
      const axis = dq?.attribute.find((a) => a.name === "axis")?.i;
      expect(axis).toBe(conv.op_type === "ConvTranspose" ? 1 : 0);
      const q = model.graph.initializer.find((t) => t.name === dq?.input[0]);
      expect(q?.data_type).toBe(DataType.INT8);
      const scale = model.graph.initializer.find((t) => t.name === dq?.input[1]);
      expect(scale?.dims).toEqual([q?.dims[axis ?? 0]]);
    }
  });

  it("int8 and fp16 files are about 4x and 2x smaller than fp32", () => {
    const spec = buildGenerator("resnet_6blocks", { ngf: 16 });
    const weights = randomWeights(spec);
    const [fp32, fp16, int8] = (["fp32", "fp16", "int8"] as const).map(
      (d) => buildOnnx(spec, weights, d).length,
    ) as [number, number, number];
    // Below 2x and 4x by the graph itself (nodes, int8 scales), which the statistics I/O grew.
    expect(fp32 / fp16).toBeGreaterThan(1.9);
    expect(fp32 / int8).toBeGreaterThan(3.6);
  });

  it("rejects weights that do not fit the spec, naming each problem", () => {
    const weights = new Map(randomWeights(resnet));
    weights.set("model.1.weight", { shape: [4, 3, 3, 3], data: new Float32Array(108) });
    weights.delete("model.23.bias");
    weights.set("model.99.weight", { shape: [1], data: new Float32Array(1) });
    expect(() => buildOnnx(resnet, weights, "fp32")).toThrow(
      /model\.1\.weight has shape \[4,3,3,3\], expected \[4,3,7,7\][\s\S]*missing model\.23\.bias[\s\S]*unexpected parameter model\.99\.weight/,
    );
  });
});

describe("decodeModel / encodeModel", () => {
  // Shipped files: trained weights, statistics I/O (norm_stats, norm_freeze, norm_stats_out).
  const shipped = (dtype: string) =>
    readFileSync(new URL(`../../models/glyphs-ming2kai/AtoB.${dtype}.onnx`, import.meta.url));

  for (const dtype of ["fp32", "fp16", "int8"] as const) {
    it(`round-trips a shipped ${dtype} file to the same bytes, which run the same`, async () => {
      const bytes = shipped(dtype);
      const again = encodeModel(decodeModel(bytes));
      const image = randomImage(16, 16, 11);
      const [original, copy] = await Promise.all([onnxRunner(bytes, 4), onnxRunner(again, 4)]);
      expect(copy.statsLength).toBe(original.statsLength);
      const own = await original.run(image);
      expect(own.stats).toBeDefined();
      // The image's own statistics, then frozen ones (norm_freeze 1).
      for (const frozen of [undefined, own.stats?.map((v) => v * 1.5)]) {
        const expected = await original.run(image, frozen);
        const actual = await copy.run(image, frozen);
        expect([actual.width, actual.height]).toEqual([16, 16]);
        expect(actual.data).toEqual(expected.data);
        expect(actual.stats).toEqual(expected.stats);
      }
      await Promise.all([original.release(), copy.release()]);
      expect(Buffer.compare(Buffer.from(again), bytes)).toBe(0);
    });
  }

  it("keeps which fields a file holds, and reads absent ones as their defaults", () => {
    const model = decodeModel(buildOnnx(resnet, randomWeights(resnet), "int8"));
    const pad = model.graph.node.find((n) => n.op_type === "Pad");
    const mode = pad?.attribute.find((a) => a.name === "mode");
    // An attribute holds the one value its type names (onnxruntime and the checker insist).
    const values = ["f", "i", "s", "t", "g", "sparse_tensor", "tp"];
    expect(values.filter((k) => mode && Object.hasOwn(mode, k))).toEqual(["s"]);
    expect(mode?.i).toBe(0);
    const axis = model.graph.node
      .find((n) => n.op_type === "DequantizeLinear")
      ?.attribute.find((a) => a.name === "axis");
    expect(axis && Object.hasOwn(axis, "i")).toBe(true);
    const tensor = model.graph.initializer[0];
    expect(tensor && Object.hasOwn(tensor, "doc_string")).toBe(false);
    expect(tensor?.raw_data).toBeInstanceOf(Uint8Array);
  });
});

describe("quantizeInt8PerChannel", () => {
  it("keeps every weight within half a step of its channel's scale", () => {
    const shape = [2, 3, 2, 2];
    const randn = seededNormal(5);
    const data = new Float32Array(24).map((_, i) => randn() * (i < 12 ? 1 : 0.01));
    for (const axis of [0, 1]) {
      const { values, scale } = quantizeInt8PerChannel(data, shape, axis);
      expect(scale).toHaveLength(shape[axis] as number);
      const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      for (let i = 0; i < data.length; i++) {
        const s = scale[Math.floor(i / inner) % (shape[axis] as number)] as number;
        expect(Math.abs((values[i] as number) * s - (data[i] as number))).toBeLessThanOrEqual(
          s / 2 + 1e-9,
        );
        expect(Math.abs(values[i] as number)).toBeLessThanOrEqual(127);
      }
    }
    // Channel 1 along axis 0 holds the small weights: its scale is ~100x smaller.
    const { scale } = quantizeInt8PerChannel(data, shape, 0);
    expect((scale[0] as number) / (scale[1] as number)).toBeGreaterThan(20);
  });

  it("gives an all-zero channel a usable scale and zero values", () => {
    const { values, scale } = quantizeInt8PerChannel(new Float32Array(8), [2, 4], 0);
    expect([...values]).toEqual(new Array(8).fill(0));
    expect([...scale]).toEqual([1, 1]);
  });
});
