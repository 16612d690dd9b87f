/**
 * A fixed, backend-independent training run: `steps` CycleGAN steps on a
 * synthetic batch that any platform can rebuild exactly. The webgpu checks
 * (Node and browser) run it on two backends and compare the weights.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Ops } from "../networks/tfjs.ts";
import { CycleGAN, type ModelOptions } from "./cyclegan.ts";

export interface StepRun {
  options: ModelOptions;
  /** Side of the square synthetic images. */
  size: number;
  steps: number;
}

/** Weights after the run, by "net.parameter", plus the last step's losses. */
export interface StepRunResult {
  weights: Record<string, number[]>;
  losses: Record<string, number>;
}

/** Smooth, distinct A and B images in [-1, 1] for step `k`. */
export function syntheticBatch(size: number, k: number): [tf.Tensor4D, tf.Tensor4D] {
  const n = size * size * 3;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = Math.sin(i * 0.37 + k);
    b[i] = Math.cos(i * 0.11 - k) * 0.9;
  }
  return [tf.tensor4d(a, [1, size, size, 3]), tf.tensor4d(b, [1, size, size, 3])];
}

export async function runSteps(run: StepRun, ops: Ops): Promise<StepRunResult> {
  const model = new CycleGAN(run.options, ops);
  try {
    for (let k = 0; k < run.steps; k++) {
      model.setInput(...syntheticBatch(run.size, k));
      model.optimizeParameters();
    }
    const weights: Record<string, number[]> = {};
    for (const [net, params] of Object.entries(model.nets))
      for (const [name, v] of params) weights[`${net}.${name}`] = Array.from(await v.data());
    return { weights, losses: await model.losses() };
  } finally {
    model.dispose();
  }
}
