/**
 * The two engines the export check compares: an exported file in
 * onnxruntime-node and the same weights in the TensorFlow.js generator.
 * Both take and return planar float32 [3, H, W] in [-1, 1] (models/contract.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import * as ort from "onnxruntime-node";
import type { StatsEngine } from "../../models/full-resolution.ts";
import {
  NORM_STATS_OUTPUT,
  statsLength as normStatsLength,
  statsFeeds,
} from "../../models/norm-stats.ts";
import type { NetworkSpec } from "../networks/spec.ts";
import { forward, type Ops, paramsFromTorch, referenceOps } from "../networks/tfjs.ts";
import { INPUT_NAME, OUTPUT_NAME, type Weights } from "./onnx.ts";

/** One image, planar [channels, height, width]. */
export interface PlanarImage {
  data: Float32Array;
  width: number;
  height: number;
}

export function checkSize(width: number, height: number, multiple: number): void {
  if (width % multiple !== 0 || height % multiple !== 0) {
    throw new RangeError(
      `image is ${width}x${height}; the generator needs sides that are multiples of ${multiple} ` +
        `(resize or pad it, e.g. to ${Math.ceil(width / multiple) * multiple}x${Math.ceil(height / multiple) * multiple})`,
    );
  }
}

export interface OnnxRunner {
  /**
   * Run one image. With `frozen` statistics the graph normalises with them;
   * `stats` is what the image's own pass reported (absent for graphs without
   * statistics I/O, models/norm-stats.ts).
   */
  run(image: PlanarImage, frozen?: Float32Array): Promise<PlanarImage & { stats?: Float32Array }>;
  /** Length of the statistics the graph takes; 0 when it has none. */
  statsLength: number;
  release(): Promise<void>;
}

/** Load ONNX bytes into onnxruntime-node (CPU); `threads` 0 lets it choose. */
export async function onnxRunner(
  bytes: Uint8Array,
  sizeMultiple: number,
  threads = 0,
): Promise<OnnxRunner> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
  });
  const statsLength = normStatsLength(session.inputMetadata);
  const tensor = (data: Float32Array, dims: number[]) => new ort.Tensor("float32", data, dims);
  return {
    statsLength,
    async run({ data, width, height }, frozen) {
      checkSize(width, height, sizeMultiple);
      const input = tensor(data, [1, data.length / (width * height), height, width]);
      const result = await session.run({
        [INPUT_NAME]: input,
        ...statsFeeds(statsLength, frozen, tensor),
      });
      const out = result[OUTPUT_NAME];
      if (!out) throw new Error(`model has no output named "${OUTPUT_NAME}"`);
      const [, , h, w] = out.dims as number[];
      const image = { data: (out.data as Float32Array).slice(), width: w ?? 0, height: h ?? 0 };
      const stats = (result[NORM_STATS_OUTPUT]?.data as Float32Array | undefined)?.slice();
      for (const t of Object.values(result)) t.dispose();
      return stats ? { ...image, stats } : image;
    },
    release: () => session.release(),
  };
}

export interface TfjsRunner {
  run(image: PlanarImage): Promise<PlanarImage>;
  dispose(): void;
}

let instance = 0;

/** Mean over H and W as two reductions (rows, then columns). */
const spatialMean = (x: tf.Tensor) => tf.mean(tf.mean(x, 2, true), 1, true);
/** Mean over the batch, H and W as three reductions (a batch norm's statistics). */
const batchMean = (x: tf.Tensor) => tf.mean(spatialMean(x), 0, true);

/** (x - mean) / sqrt(variance + epsilon), both moments taken with `mean`. */
function normalise(
  x: tf.Tensor4D,
  epsilon: number,
  mean: (t: tf.Tensor) => tf.Tensor,
): tf.Tensor4D {
  const centred = tf.sub(x, mean(x));
  const variance = mean(tf.square(centred));
  return tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon)));
}

/**
 * The reference ops with more precise norms, for the export check.
 * The wasm backend reduces H x W values in one float32 pass (relative error
 * ~1e-6 on the mean); normalisation divides that by the channel's std, and
 * over 20 norm layers a trained generator drifted ~1e-3 from a float64
 * forward pass. Shorter reductions, then the variance of the centred values,
 * stay within ~1e-5. Same functions: the instance norm over H and W, the
 * batch norm (--norm batch) over the batch too.
 */
export const checkOps: Ops = {
  ...referenceOps,
  instanceNorm: (x, epsilon) => normalise(x, epsilon, spatialMean),
  batchNorm: (x, epsilon) => normalise(x, epsilon, batchMean),
};

/**
 * The TensorFlow.js generator with `weights` on the current tfjs backend
 * (choose it with tf.setBackend before). Dispose it to free the variables.
 */
export function tfjsRunner(spec: NetworkSpec, weights: Weights, ops: Ops = checkOps): TfjsRunner {
  // Variable names are global in tfjs: give each runner its own prefix.
  const params = paramsFromTorch(spec, weights, `export-check-${instance++}/`);
  return {
    async run({ data, width, height }) {
      checkSize(width, height, spec.sizeMultiple);
      const channels = data.length / (width * height);
      const y = tf.tidy(() => {
        const nchw = tf.tensor4d(data, [1, channels, height, width]);
        const out = forward(spec, params, tf.transpose(nchw, [0, 2, 3, 1]), ops);
        return tf.transpose(out, [0, 3, 1, 2]);
      });
      const [, , h, w] = y.shape;
      const out = (await y.data()) as Float32Array;
      y.dispose();
      return { data: out, width: w ?? 0, height: h ?? 0 };
    },
    dispose() {
      for (const v of params.values()) v.dispose();
    },
  };
}

export async function useTfjsBackend(name: "wasm" | "cpu"): Promise<void> {
  if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  else await import("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend(name)))
    throw new Error(`TensorFlow.js backend "${name}" failed to start`);
}

/** An onnxruntime-node runner as models/full-resolution.ts drives it (planar [3, h, w]). */
export function statsEngine(runner: OnnxRunner): StatsEngine {
  return {
    statsLength: runner.statsLength,
    async run(chw, width, height, frozen) {
      const out = await runner.run({ data: chw, width, height }, frozen);
      return out.stats ? { output: out.data, stats: out.stats } : { output: out.data };
    },
  };
}
