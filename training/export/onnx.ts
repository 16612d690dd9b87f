/**
 * NetworkSpec + weights -> ONNX bytes. Walks the same layer list as the
 * TensorFlow.js runtime (training/networks/tfjs.ts), so the exported graph is
 * the trained graph. A pure function: no files, no console.
 *
 * Graph contract (models/schema.ts STANDARD_IO): input "input" float32 NCHW in
 * [-1, 1] with symbolic batch/height/width, output "output" float32; with
 * instance norms, also the statistics inputs and output of models/norm-stats.ts.
 * Variants:
 * - fp32: float32 weights and compute;
 * - fp16: float16 weights and compute, Cast to/from float32 at the edges and
 *   around each instance norm (computed in float32);
 * - int8: weight-only, per-output-channel symmetric int8 initializers feeding
 *   DequantizeLinear (axis 0 for Conv, 1 for ConvTranspose); compute in
 *   float32. No ConvInteger / MatMulInteger / DynamicQuantizeLinear, which
 *   WebGPU lacks.
 */

import { NORM_FREEZE_INPUT, NORM_STATS_INPUT, NORM_STATS_OUTPUT } from "../../models/norm-stats.ts";
import type { Dtype } from "../../models/schema.ts";
import { type Layer, type NetworkSpec, normChannels, paramShapes } from "../networks/spec.ts";
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type DataTypeCode,
  type Dimension,
  encodeModel,
  IR_VERSION,
  type NodeProto,
  OPSET,
  type TensorProto,
  type ValueInfoProto,
} from "./proto.ts";
import { float16Bytes, float32Bytes, quantizeInt8PerChannel } from "./quantize.ts";

export type Weights = ReadonlyMap<string, { shape: number[]; data: Float32Array }>;

export const INPUT_NAME = "input";
export const OUTPUT_NAME = "output";

type Attr = number | number[] | string | { float: number };

function attribute(name: string, v: Attr): AttributeProto {
  if (typeof v === "string")
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if (typeof v === "number") return { name, type: AttributeType.INT, i: v };
  return { name, type: AttributeType.FLOAT, f: v.float };
}

/** Accumulates nodes and initializers with unique, readable names. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly initNames = new Set<string>();
  private count = 0;

  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, label = op): string {
    const id = this.count++;
    const output = `${label}_${id}`;
    this.nodes.push({
      name: `${label}_${id}`,
      op_type: op,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** Adds an initializer once; later calls with the same name reuse it. */
  init(name: string, dataType: DataTypeCode, dims: number[], raw: () => Uint8Array): string {
    if (!this.initNames.has(name)) {
      this.initNames.add(name);
      this.initializers.push({ name, dims, data_type: dataType, raw_data: raw() });
    }
    return name;
  }
}

/** Throws listing every missing, misshapen or unexpected parameter. */
export function checkWeights(spec: NetworkSpec, weights: Weights): void {
  const expected = paramShapes(spec);
  const known = new Set(expected.map((p) => p.name));
  const problems: string[] = [];
  for (const p of expected) {
    const w = weights.get(p.name);
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (!w) problems.push(`missing ${p.name} (expected [${p.shape}])`);
    else if (w.shape.join(",") !== p.shape.join(","))
      problems.push(`${p.name} has shape [${w.shape}], expected [${p.shape}]`);
    else if (w.data.length !== size)
      problems.push(`${p.name} holds ${w.data.length} values, its shape needs ${size}`);
  }
  for (const name of weights.keys())
    if (!known.has(name)) problems.push(`unexpected parameter ${name}`);
  if (problems.length > 0)
    throw new Error(`weights do not fit ${spec.kind}:\n  ${problems.join("\n  ")}`);
}

/**
 * Where each instance norm reads frozen statistics from and reports its own
 * (models/norm-stats.ts): the graph inputs, `keep` = 1 - freeze, the running
 * offset into the [1, S] statistics input, and the [N, C] outputs in order.
 */
interface StatsIO {
  given: string;
  freeze: string;
  keep: string;
  offset: number;
  outputs: string[];
}

/**
 * Instance norm written out, with its statistics at the graph's edge:
 * y = (x - mean) / sqrt(var + eps), each mean taken over W, then over H.
 * onnxruntime's InstanceNormalization reduces H x W values in one float32 pass;
 * on a trained glyph generator (mostly flat channels: large mean, small spread)
 * its output was 1e-4..4e-4 from a float64 forward pass, this form 2e-6..6e-6,
 * at about the same speed (see docs/export.md). fp16 graphs compute the norm in
 * float32 (Cast in and out): float16 sums over a large image overflow.
 *
 * mean = own * keep + given * freeze (likewise var) is exact for freeze 0 and
 * freeze 1, so a run with its own statistics is the plain instance norm.
 * `affine` (a batch norm's scale and shift, [1, C, 1, 1]) follows in float32.
 */
function instanceNorm(
  g: GraphBuilder,
  x: string,
  channels: number,
  epsilon: number,
  dtype: Dtype,
  io: StatsIO,
  affine?: { scale: string; shift: string },
): string {
  const eps = g.init(`instance_norm_epsilon_${epsilon}`, DataType.FLOAT, [], () =>
    float32Bytes(new Float32Array([epsilon])),
  );
  const spatialMean = (t: string, label: string) =>
    g.node("ReduceMean", [g.node("ReduceMean", [t], { axes: [3] }, label)], { axes: [2] }, label);
  const xf = dtype === "fp16" ? g.node("Cast", [x], { to: DataType.FLOAT }) : x;
  const ownMean = spatialMean(xf, "Mean");
  const ownCentred = g.node("Sub", [xf, ownMean]);
  const ownVar = spatialMean(g.node("Mul", [ownCentred, ownCentred]), "Variance");
  io.outputs.push(
    g.node("Flatten", [ownMean], { axis: 1 }, "StatsMean"),
    g.node("Flatten", [ownVar], { axis: 1 }, "StatsVariance"),
  );
  const given = (offset: number, label: string) => {
    const at = (name: string, v: number) =>
      g.init(`${name}_${v}`, DataType.INT64, [1], () => int64Bytes([v]));
    const slice = g.node(
      "Slice",
      [io.given, at("start", offset), at("end", offset + channels), at("axis", 1)],
      {},
      label,
    );
    const shape = g.init(`shape_1_${channels}_1_1`, DataType.INT64, [4], () =>
      int64Bytes([1, channels, 1, 1]),
    );
    return g.node("Reshape", [slice, shape], {}, label);
  };
  const blend = (own: string, frozen: string) =>
    g.node("Add", [g.node("Mul", [own, io.keep]), g.node("Mul", [frozen, io.freeze])]);
  const mean = blend(ownMean, given(io.offset, "GivenMean"));
  const variance = blend(ownVar, given(io.offset + channels, "GivenVariance"));
  io.offset += 2 * channels;
  const normed = g.node(
    "Div",
    [g.node("Sub", [xf, mean]), g.node("Sqrt", [g.node("Add", [variance, eps])])],
    {},
    "InstanceNorm",
  );
  const y = affine
    ? g.node("Add", [g.node("Mul", [normed, affine.scale]), affine.shift], {}, "Affine")
    : normed;
  return dtype === "fp16" ? g.node("Cast", [y], { to: DataType.FLOAT16 }) : y;
}

function int64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
}

/** Emits the graph of one layer list; returns [output name, channels]. */
function emit(
  g: GraphBuilder,
  layers: Layer[],
  x: string,
  channels: number,
  weights: Weights,
  dtype: Dtype,
  io: StatsIO,
): [string, number] {
  const floatType = dtype === "fp16" ? DataType.FLOAT16 : DataType.FLOAT;
  const floats = (data: Float32Array) =>
    dtype === "fp16" ? float16Bytes(data) : float32Bytes(data);
  const weight = (name: string, axis: number): string => {
    const w = weights.get(name);
    if (!w) throw new Error(`missing parameter ${name}`);
    if (dtype !== "int8") return g.init(name, floatType, w.shape, () => floats(w.data));
    const q = quantizeInt8PerChannel(w.data, w.shape, axis);
    const channels = q.scale.length;
    const values = g.init(`${name}_quantized`, DataType.INT8, w.shape, () => {
      return new Uint8Array(q.values.buffer);
    });
    const scale = g.init(`${name}_scale`, DataType.FLOAT, [channels], () => float32Bytes(q.scale));
    const zero = g.init(`${name}_zero_point`, DataType.INT8, [channels], () => {
      return new Uint8Array(channels);
    });
    return g.node("DequantizeLinear", [values, scale, zero], { axis }, `${name}/Dequantize`);
  };
  const bias = (name: string): string => {
    const b = weights.get(name);
    if (!b) throw new Error(`missing parameter ${name}`);
    return g.init(name, floatType, b.shape, () => floats(b.data));
  };
  for (const l of layers) {
    switch (l.op) {
      case "reflectPad": {
        const p = l.pad;
        const pads = g.init(`pads_${p}`, DataType.INT64, [8], () =>
          int64Bytes([0, 0, p, p, 0, 0, p, p]),
        );
        x = g.node("Pad", [x, pads], { mode: "reflect" });
        break;
      }
      case "upsample": {
        // Nearest with asymmetric coordinates and floor: output pixel i reads
        // input floor(i / scale), exactly what the trainer's repeat does.
        const k = l.scale;
        const scales = g.init(`upsample_scales_${k}`, DataType.FLOAT, [4], () =>
          float32Bytes(new Float32Array([1, 1, k, k])),
        );
        x = g.node("Resize", [x, "", scales], {
          mode: "nearest",
          coordinate_transformation_mode: "asymmetric",
          nearest_mode: "floor",
        });
        break;
      }
      case "conv":
      case "convTranspose": {
        const transposed = l.op === "convTranspose";
        const inputs = [x, weight(`${l.name}.weight`, transposed ? 1 : 0)];
        if (l.bias) inputs.push(bias(`${l.name}.bias`));
        const attrs: Record<string, Attr> = {
          kernel_shape: [l.kernel, l.kernel],
          strides: [l.stride, l.stride],
          pads: [l.padding, l.padding, l.padding, l.padding],
        };
        if (l.op === "convTranspose") attrs.output_padding = [l.outputPadding, l.outputPadding];
        x = g.node(transposed ? "ConvTranspose" : "Conv", inputs, attrs, l.name);
        channels = l.outChannels;
        break;
      }
      case "mix": {
        // A 1x1 Conv with constant weights [out, in, 1, 1]; never quantized (not a trained weight).
        const out = l.weights.length;
        const w = g.init(`mix_${out}x${channels}`, floatType, [out, channels, 1, 1], () =>
          floats(Float32Array.from(l.weights.flat())),
        );
        x = g.node("Conv", [x, w], { kernel_shape: [1, 1] }, "Mix");
        channels = out;
        break;
      }
      case "instanceNorm":
        x = instanceNorm(g, x, channels, l.epsilon, dtype, io);
        break;
      case "batchNorm": {
        // At test time the reference (test.py without --eval) normalises with the
        // batch's statistics: for one image, the instance norm's, then scale and shift.
        const perChannel = (name: string) => {
          const p = weights.get(name);
          if (!p) throw new Error(`missing parameter ${name}`);
          return g.init(name, DataType.FLOAT, [1, l.channels, 1, 1], () => float32Bytes(p.data));
        };
        const affine = {
          scale: perChannel(`${l.name}.weight`),
          shift: perChannel(`${l.name}.bias`),
        };
        x = instanceNorm(g, x, channels, l.epsilon, dtype, io, affine);
        break;
      }
      case "relu":
        x = g.node("Relu", [x]);
        break;
      case "leakyRelu":
        x = g.node("LeakyRelu", [x], { alpha: { float: l.alpha } });
        break;
      case "tanh":
        x = g.node("Tanh", [x]);
        break;
      case "residual": {
        const [body] = emit(g, l.body, x, channels, weights, dtype, io);
        x = g.node("Add", [x, body]);
        break;
      }
      case "concatSkip": {
        const [body, bodyChannels] = emit(g, l.body, x, channels, weights, dtype, io);
        x = g.node("Concat", [x, body], { axis: 1 });
        channels += bodyChannels;
        break;
      }
    }
  }
  return [x, channels];
}

function valueInfo(name: string, dim: Dimension[]): ValueInfoProto {
  return { name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim } } } };
}

const imageInfo = (name: string, channels: number, h: string, w: string) =>
  valueInfo(name, [
    { dim_param: "batch" },
    { dim_value: channels },
    { dim_param: h },
    { dim_param: w },
  ]);

/** Serialise `spec` with `weights` (PyTorch/ONNX layouts, as paramShapes lists them). */
export function buildOnnx(spec: NetworkSpec, weights: Weights, dtype: Dtype): Uint8Array {
  checkWeights(spec, weights);
  const g = new GraphBuilder();
  const statsLength = 2 * normChannels(spec).reduce((a, b) => a + b, 0);
  const one = () => g.init("one", DataType.FLOAT, [1], () => float32Bytes(new Float32Array([1])));
  const io: StatsIO = {
    given: NORM_STATS_INPUT,
    freeze: NORM_FREEZE_INPUT,
    keep: statsLength > 0 ? g.node("Sub", [one(), NORM_FREEZE_INPUT], {}, "Keep") : "",
    offset: 0,
    outputs: [],
  };
  let x = INPUT_NAME;
  if (dtype === "fp16") x = g.node("Cast", [x], { to: DataType.FLOAT16 });
  [x] = emit(g, spec.layers, x, spec.inChannels, weights, dtype, io);
  if (dtype === "fp16") x = g.node("Cast", [x], { to: DataType.FLOAT });
  // The node that made the image writes the graph output directly (no Identity node).
  const last = g.nodes.find((n) => n.output[0] === x);
  if (!last || x === INPUT_NAME) throw new Error(`internal error: ${spec.kind} has no layers`);
  last.output[0] = OUTPUT_NAME;
  const inputs = [imageInfo(INPUT_NAME, spec.inChannels, "height", "width")];
  const outputs = [imageInfo(OUTPUT_NAME, spec.outChannels, "out_height", "out_width")];
  if (statsLength > 0) {
    const stats = g.node("Concat", io.outputs, { axis: 1 }, "Stats");
    const concat = g.nodes.find((n) => n.output[0] === stats);
    if (concat) concat.output[0] = NORM_STATS_OUTPUT;
    inputs.push(
      valueInfo(NORM_STATS_INPUT, [{ dim_value: 1 }, { dim_value: statsLength }]),
      valueInfo(NORM_FREEZE_INPUT, [{ dim_value: 1 }]),
    );
    outputs.push(
      valueInfo(NORM_STATS_OUTPUT, [{ dim_param: "batch" }, { dim_value: statsLength }]),
    );
  }
  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: "", version: OPSET }],
    producer_name: "unpaired",
    producer_version: "1",
    doc_string: `${spec.kind} generator, ${dtype} variant`,
    graph: {
      name: `${spec.kind}_${dtype}`,
      node: g.nodes,
      initializer: g.initializers,
      input: inputs,
      output: outputs,
    },
    metadata_props: [
      { key: "unpaired.dtype", value: dtype },
      { key: "unpaired.kind", value: spec.kind },
    ],
  });
}
