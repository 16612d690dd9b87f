/**
 * The `Ops` each backend trains with (see training/networks/tfjs.ts).
 * Every entry computes the same function as `referenceOps`; only the
 * gradients' construction differs (and is tested against numerical gradients).
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Ops, referenceOps } from "../networks/tfjs.ts";
import { conv2d, conv2dTranspose } from "./conv-ops.ts";
import { instanceNorm } from "./instance-norm.ts";
import { reflectPad } from "./reflect-pad.ts";

/** Native TensorFlow kernels are fast; only tfjs-core's wrong mirrorPad gradient needs replacing. */
export const nativeOps: Ops = {
  ...referenceOps,
  reflectPad,
  instanceNorm,
};

/** WebAssembly and the pure-JS CPU backend: conv gradients through forward convs and GEMM. */
export const gemmOps: Ops = {
  reflectPad,
  conv2d,
  conv2dTranspose,
  instanceNorm,
};

/** Ops for a tfjs backend name. */
export function opsFor(backend: string): Ops {
  return backend === "tensorflow" ? nativeOps : gemmOps;
}

/** The live tensor count, for leak checks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
