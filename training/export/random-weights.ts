/**
 * Seeded random weights for a spec, in PyTorch/ONNX layout, without
 * TensorFlow.js: tests, benchmarks and demos make tiny models with it
 * (`buildOnnx(spec, randomWeights(spec), "fp32")`). Weights ~ normal(0, gain)
 * like the reference's init; biases ~ normal(0, biasStd) so tests see them.
 */

import { type NetworkSpec, paramShapes } from "../networks/spec.ts";
import { seededNormal } from "../util/seeded.ts";
import type { Weights } from "./onnx.ts";

export function randomWeights(
  spec: NetworkSpec,
  { seed = 1, gain = 0.02, biasStd = 0.1 }: { seed?: number; gain?: number; biasStd?: number } = {},
): Weights {
  const randn = seededNormal(seed);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const p of paramShapes(spec)) {
    const std = p.name.endsWith(".bias") ? biasStd : gain;
    const data = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = randn() * std;
    out.set(p.name, { shape: p.shape, data });
  }
  return out;
}
