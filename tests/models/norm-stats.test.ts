/**
 * models/norm-stats.ts on what onnxruntime-node really reports about real
 * files: a tiny exported generator, the same graph with a symbolic statistics
 * length, a generator without norms, and a file written before the contract
 * (tests/fixtures/legacy-no-stats.fp32.onnx).
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import {
  type InputInfo,
  NORM_FREEZE_INPUT,
  NORM_STATS_INPUT,
  NORM_STATS_OUTPUT,
  statsFeeds,
  statsLength,
} from "../../models/norm-stats.ts";
import { buildOnnx, INPUT_NAME } from "../../training/export/onnx.ts";
import type { ValueInfoProto } from "../../training/export/proto.ts";
import { randomWeights } from "../../training/export/random-weights.ts";
import { resnetGenerator } from "../../training/networks/resnet.ts";
import { normChannels } from "../../training/networks/spec.ts";

const LEGACY = "tests/fixtures/legacy-no-stats.fp32.onnx";
const spec = resnetGenerator({ ngf: 4, nBlocks: 1 });
const S = 2 * normChannels(spec).reduce((a, b) => a + b, 0);

async function metadata(bytes: Uint8Array): Promise<readonly InputInfo[]> {
  const session = await ort.InferenceSession.create(bytes);
  const inputs = session.inputMetadata;
  await session.release();
  return inputs;
}

describe("statsLength", () => {
  it("is 2 x the channels of every norm for a real exported generator, every dtype", async () => {
    // c7s1-4, d8, d16, one block (two norms of 16), u8, u4: 4 + 8 + 16 + 32 + 8 + 4
    expect(S).toBe(2 * 72);
    for (const dtype of ["fp32", "fp16", "int8"] as const) {
      const inputs = await metadata(buildOnnx(spec, randomWeights(spec), dtype));
      expect(inputs.map((i) => i.name)).toEqual([INPUT_NAME, NORM_STATS_INPUT, NORM_FREEZE_INPUT]);
      expect(statsLength(inputs), dtype).toBe(S);
    }
  });

  it("is 0 for a file written before the contract and for a generator without norms", async () => {
    expect(statsLength(await metadata(readFileSync(LEGACY)))).toBe(0);
    const plain = resnetGenerator({ ngf: 4, nBlocks: 1, norm: "none" });
    const inputs = await metadata(buildOnnx(plain, randomWeights(plain), "fp32"));
    expect(inputs.map((i) => i.name)).toEqual([INPUT_NAME]);
    expect(statsLength(inputs)).toBe(0);
  });

  it("refuses statistics inputs of a shape no exporter writes, naming them", async () => {
    // The same real graph with the statistics length left symbolic: it loads, but S is unknown.
    // (Edited on the decoded message itself: a round trip through plain objects adds default fields.)
    const ModelProto = protobuf
      .parse(readFileSync("training/export/onnx.proto", "utf8"), { keepCase: true })
      .root.lookupType("onnx.ModelProto");
    const model = ModelProto.decode(buildOnnx(spec, randomWeights(spec), "fp32")) as unknown as {
      graph: { input: ValueInfoProto[] };
    };
    const stats = model.graph.input.find((i) => i.name === NORM_STATS_INPUT);
    if (!stats) throw new Error("the exporter wrote no norm_stats input");
    stats.type.tensor_type.shape.dim = [{ dim_value: 1 }, { dim_param: "S" }];
    const symbolic = await metadata(
      ModelProto.encode(model as unknown as protobuf.Message).finish(),
    );
    expect(() => statsLength(symbolic)).toThrow(
      /unknown shape \(norm_stats \[1,S\], norm_freeze present\); expected \[1, S\] with S even/,
    );

    const tensor = (name: string, shape: (number | string)[]): InputInfo => ({
      name,
      isTensor: true,
      shape,
    });
    const image = tensor(INPUT_NAME, ["batch", 3, "height", "width"]);
    const freeze = tensor(NORM_FREEZE_INPUT, [1]);
    for (const bad of [
      [image, tensor(NORM_STATS_INPUT, [1, 7]), freeze], // odd
      [image, tensor(NORM_STATS_INPUT, [2, 8]), freeze], // batch of statistics
      [image, tensor(NORM_STATS_INPUT, [8]), freeze], // rank 1
      [image, tensor(NORM_STATS_INPUT, [1, 0]), freeze], // empty
      [image, tensor(NORM_STATS_INPUT, [1, 8])], // no freeze input
      [image, freeze], // freeze without statistics
    ]) {
      expect(() => statsLength(bad), JSON.stringify(bad.slice(1))).toThrow(
        /normalisation-statistics inputs of an unknown shape/,
      );
    }
    expect(() => statsLength([image, tensor(NORM_STATS_INPUT, [1, 8])])).toThrow(
      /norm_freeze missing/,
    );
    expect(statsLength([image, tensor(NORM_STATS_INPUT, [1, 8]), freeze])).toBe(8);
  });
});

describe("statsFeeds", () => {
  const tensor = (data: Float32Array, dims: number[]) => new ort.Tensor("float32", data, dims);
  const values = (feeds: Record<string, ort.Tensor>, name: string) => [
    ...((feeds[name]?.data as Float32Array | undefined) ?? []),
  ];

  it("feeds zeros and freeze 0 without statistics, the given ones and freeze 1 with them", () => {
    const own = statsFeeds(S, undefined, tensor);
    expect(Object.keys(own).sort()).toEqual([NORM_FREEZE_INPUT, NORM_STATS_INPUT]);
    expect(own[NORM_STATS_INPUT]?.dims).toEqual([1, S]);
    expect(values(own, NORM_STATS_INPUT)).toEqual(new Array(S).fill(0));
    expect(own[NORM_FREEZE_INPUT]?.dims).toEqual([1]);
    expect(values(own, NORM_FREEZE_INPUT)).toEqual([0]);

    const given = Float32Array.from({ length: S }, (_, i) => i + 0.5);
    const frozen = statsFeeds(S, given, tensor);
    expect(values(frozen, NORM_STATS_INPUT)).toEqual([...given]);
    expect(values(frozen, NORM_FREEZE_INPUT)).toEqual([1]);
    expect(statsFeeds(0, undefined, tensor)).toEqual({});
  });

  it("refuses statistics of the wrong length, and freezing a model that has none", () => {
    expect(() => statsFeeds(S, new Float32Array(S - 2), tensor)).toThrow(
      new RangeError(`statistics hold ${S - 2} values, the model takes ${S}`),
    );
    expect(() => statsFeeds(S, new Float32Array(S + 1), tensor)).toThrow(RangeError);
    expect(() => statsFeeds(0, new Float32Array(4), tensor)).toThrow(
      /this model has no normalisation statistics to freeze/,
    );
  });

  it("are what a real session needs: it runs with them and reports statistics of length S", async () => {
    const session = await ort.InferenceSession.create(buildOnnx(spec, randomWeights(spec), "fp32"));
    const image = new ort.Tensor(
      "float32",
      new Float32Array(3 * 16 * 16).fill(0.25),
      [1, 3, 16, 16],
    );
    const result = await session.run({ [INPUT_NAME]: image, ...statsFeeds(S, undefined, tensor) });
    expect(result[NORM_STATS_OUTPUT]?.dims).toEqual([1, S]);
    await session.release();
  });
});
