/**
 * Runs a NetworkSpec in TensorFlow.js (NHWC). Parameters are held in tfjs
 * layouts under the spec's state-dict names: Conv [kh, kw, in, out],
 * ConvTranspose [kh, kw, out, in]. Both map to the PyTorch/ONNX layouts
 * (Conv [out, in, kh, kw], ConvTranspose [in, out, kh, kw]) by one permutation.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Layer, type NetworkSpec, paramShapes } from "./spec.ts";

export type Params = Map<string, tf.Variable>;

/** tfjs layout -> PyTorch/ONNX layout for 4-D weights (the same permutation for conv and convT). */
export const TO_TORCH_PERM = [3, 2, 0, 1] as const;
/** PyTorch/ONNX layout -> tfjs layout for 4-D weights. */
export const FROM_TORCH_PERM = [2, 3, 1, 0] as const;

function tfjsShape(torchShape: number[]): number[] {
  return torchShape.length === 4 ? FROM_TORCH_PERM.map((i) => torchShape[i] as number) : torchShape;
}

/**
 * Fresh parameters as the reference's `init_weights(..., 'normal', 0.02)`:
 * conv weights ~ normal(0, initGain), batch-norm scales ~ normal(1, initGain),
 * biases and shifts 0. `randn` supplies standard normal samples so the caller
 * owns (and can checkpoint) the random state.
 */
export function initParams(
  spec: NetworkSpec,
  initGain: number,
  randn: () => number,
  prefix = "",
): Params {
  const params: Params = new Map();
  for (const p of paramShapes(spec)) {
    const shape = tfjsShape(p.shape);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const centre = p.init === "scale" ? 1 : 0;
    if (p.init !== "zero") for (let i = 0; i < size; i++) values[i] = centre + randn() * initGain;
    const initial = tf.tensor(values, shape);
    params.set(p.name, tf.variable(initial, true, `${prefix}${p.name}`));
    initial.dispose(); // the variable holds its own copy
  }
  return params;
}

/** Load parameters given in PyTorch/ONNX layout (as the importer and the exporter see them). */
export function paramsFromTorch(
  spec: NetworkSpec,
  weights: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
  prefix = "",
): Params {
  const params: Params = new Map();
  for (const p of paramShapes(spec)) {
    const w = weights.get(p.name);
    if (!w) throw new Error(`missing parameter ${p.name} (expected shape [${p.shape}])`);
    if (w.shape.join(",") !== p.shape.join(",")) {
      throw new Error(`parameter ${p.name} has shape [${w.shape}], expected [${p.shape}]`);
    }
    const t = tf.tidy(() => {
      const torch = tf.tensor(w.data, w.shape);
      return w.shape.length === 4 ? tf.transpose(torch, [...FROM_TORCH_PERM]) : torch;
    });
    params.set(p.name, tf.variable(t, true, `${prefix}${p.name}`));
    t.dispose();
  }
  return params;
}

/** Read parameters out in PyTorch/ONNX layout. */
export async function paramsToTorch(
  spec: NetworkSpec,
  params: Params,
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const p of paramShapes(spec)) {
    const v = params.get(p.name);
    if (!v) throw new Error(`missing parameter ${p.name}`);
    const t = p.shape.length === 4 ? tf.transpose(v, [...TO_TORCH_PERM]) : v;
    out.set(p.name, { shape: p.shape, data: (await t.data()) as Float32Array });
    if (t !== v) t.dispose();
  }
  return out;
}

/**
 * The primitive ops a spec needs. Backends with missing or slow gradient
 * kernels swap in their own implementations (see training/runtime/), without
 * touching the network definition.
 */
export interface Ops {
  reflectPad(x: tf.Tensor4D, pad: number): tf.Tensor4D;
  conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: number): tf.Tensor4D;
  /** PyTorch ConvTranspose2d semantics; w is [kh, kw, out, in]. */
  conv2dTranspose(
    x: tf.Tensor4D,
    w: tf.Tensor4D,
    stride: number,
    padding: number,
    outputPadding: number,
  ): tf.Tensor4D;
  instanceNorm(x: tf.Tensor4D, epsilon: number): tf.Tensor4D;
  /** (x - mean) / sqrt(var + eps) per channel over the batch and the image (biased variance). */
  batchNorm(x: tf.Tensor4D, epsilon: number): tf.Tensor4D;
}

/**
 * Reflection padding from slices and a concat, whose gradients tfjs gets right.
 * (`tf.mirrorPad`'s gradient in tfjs-core 4.22 drops the border contributions.)
 */
function reflectPadBySlices(x: tf.Tensor4D, pad: number): tf.Tensor4D {
  const along = (t: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D => {
    const n = t.shape[axis];
    const line = (i: number) => {
      const begin = [0, 0, 0, 0];
      const size = [...t.shape] as number[];
      begin[axis] = i;
      size[axis] = 1;
      return tf.slice(t, begin, size);
    };
    const before = Array.from({ length: pad }, (_, j) => line(pad - j));
    const after = Array.from({ length: pad }, (_, j) => line(n - 2 - j));
    return tf.concat([...before, t, ...after], axis);
  };
  return along(along(x, 1), 2);
}

export const referenceOps: Ops = {
  reflectPad: reflectPadBySlices,
  conv2d: (x, w, stride, padding) => tf.conv2d(x, w, stride, padding === 0 ? "valid" : padding),
  conv2dTranspose: (x, w, stride, padding, outputPadding) => {
    const [n, h, wd] = x.shape;
    const k = w.shape[0];
    const outH = (h - 1) * stride - 2 * padding + k + outputPadding;
    const outW = (wd - 1) * stride - 2 * padding + k + outputPadding;
    return tf.conv2dTranspose(x, w, [n, outH, outW, w.shape[2]], stride, padding);
  },
  instanceNorm: (x, epsilon) => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  },
  batchNorm: (x, epsilon) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2], true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  },
};

function param(params: Params, name: string): tf.Variable {
  const p = params.get(name);
  if (!p) throw new Error(`missing parameter ${name}`);
  return p;
}

/**
 * A conv's bias, unless an instance norm follows: the norm subtracts the
 * per-channel mean, which cancels a per-channel constant exactly, so skipping
 * the add changes nothing but the work (and such biases get no gradient).
 */
function addBias(
  x: tf.Tensor4D,
  l: { name: string; bias: boolean; feedsNorm: boolean },
  params: Params,
): tf.Tensor4D {
  return l.bias && !l.feedsNorm ? tf.add(x, param(params, `${l.name}.bias`)) : x;
}

/**
 * Nearest-neighbour upsampling of NHWC by `scale`, built from concat and
 * reshape (repeat each pixel along W, then each row along H) because their
 * gradients exist on every backend, unlike ResizeNearestNeighborGrad on wasm.
 */
export function upsampleNearest(x: tf.Tensor4D, scale: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const repeat = (t: tf.Tensor4D, axis: number) =>
    tf.concat(
      Array.from({ length: scale }, () => t),
      axis,
    ) as tf.Tensor4D;
  const wide = tf.reshape(repeat(x, 3), [n, h, w * scale, c]) as tf.Tensor4D;
  return tf.reshape(repeat(wide, 2), [n, h * scale, w * scale, c]);
}

function run(layers: Layer[], x: tf.Tensor4D, params: Params, ops: Ops): tf.Tensor4D {
  for (const l of layers) {
    switch (l.op) {
      case "reflectPad":
        x = ops.reflectPad(x, l.pad);
        break;
      case "upsample":
        x = upsampleNearest(x, l.scale);
        break;
      case "conv": {
        x = ops.conv2d(x, param(params, `${l.name}.weight`) as tf.Tensor4D, l.stride, l.padding);
        x = addBias(x, l, params);
        break;
      }
      case "convTranspose": {
        const w = param(params, `${l.name}.weight`) as tf.Tensor4D;
        x = ops.conv2dTranspose(x, w, l.stride, l.padding, l.outputPadding);
        x = addBias(x, l, params);
        break;
      }
      case "instanceNorm":
        x = ops.instanceNorm(x, l.epsilon);
        break;
      case "batchNorm": {
        const scale = param(params, `${l.name}.weight`);
        const shift = param(params, `${l.name}.bias`);
        x = tf.add(tf.mul(ops.batchNorm(x, l.epsilon), scale), shift);
        break;
      }
      case "relu":
        x = tf.relu(x);
        break;
      case "leakyRelu":
        x = tf.leakyRelu(x, l.alpha);
        break;
      case "tanh":
        x = tf.tanh(x);
        break;
      case "residual":
        x = tf.add(x, run(l.body, x, params, ops));
        break;
      case "concatSkip":
        x = tf.concat([x, run(l.body, x, params, ops)], 3);
        break;
      case "mix": {
        // NHWC: a matrix product over the channel axis, weights as [in, out].
        const [n, h, w, c] = x.shape;
        const out = l.weights.length;
        const m = tf.tensor2d(
          Array.from({ length: c }, (_, i) => l.weights.map((row) => row[i] ?? 0)),
          [c, out],
        );
        x = tf.reshape(tf.matMul(tf.reshape(x, [n * h * w, c]), m), [n, h, w, out]);
        break;
      }
    }
  }
  return x;
}

/** Forward pass of `spec` on NHWC input. Call inside tf.tidy (or a gradient function). */
export function forward(
  spec: NetworkSpec,
  params: Params,
  x: tf.Tensor4D,
  ops: Ops = referenceOps,
): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h % spec.sizeMultiple !== 0 || w % spec.sizeMultiple !== 0) {
    throw new RangeError(
      `input is ${w}x${h}; ${spec.kind} needs sides that are multiples of ${spec.sizeMultiple}`,
    );
  }
  return run(spec.layers, x, params, ops);
}
