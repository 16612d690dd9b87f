/**
 * The check every variant passes before it is written: run it in
 * onnxruntime-node on sample inputs and compare with the TensorFlow.js
 * generator (float32) on the same inputs.
 *
 * Budgets: budgets.ts (also in docs/export.md).
 */
import type { Dtype } from "../../models/schema.ts";
import type { NetworkSpec } from "../networks/spec.ts";
import { withinBudget } from "./budgets.ts";
import { onnxRunner, type PlanarImage, tfjsRunner } from "./infer.ts";
import { compareOutputs, type ErrorFigures, worst } from "./metrics.ts";
import { buildOnnx, type Weights } from "./onnx.ts";

export { BUDGETS, budgetText, withinBudget } from "./budgets.ts";

export interface VariantCheck {
  dtype: Dtype;
  onnx: Uint8Array;
  figures: ErrorFigures;
  passed: boolean;
  /** Median onnxruntime-node run time over the check inputs, ms (indicative only). */
  latencyMs: number;
  /** The variant's outputs for the check inputs, in input order. */
  outputs: PlanarImage[];
}

/** Called once per unit of work (one engine run or one file built), with a label. */
export type Tick = (label: string) => void;

/** Units of work checkGenerator reports through `tick`, for progress bars. */
export function checkSteps(dtypes: readonly Dtype[], inputs: number): number {
  return inputs + dtypes.length * (1 + inputs);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/**
 * Build and check each dtype. `inputs` are planar [3, H, W] images in [-1, 1];
 * the TensorFlow.js backend must be set up by the caller.
 */
export async function checkGenerator(
  spec: NetworkSpec,
  weights: Weights,
  dtypes: readonly Dtype[],
  inputs: readonly PlanarImage[],
  tick: Tick = () => {},
): Promise<VariantCheck[]> {
  if (inputs.length === 0) throw new Error("the export check needs at least one input image");
  const reference = tfjsRunner(spec, weights);
  const expected: PlanarImage[] = [];
  try {
    for (const x of inputs) {
      expected.push(await reference.run(x));
      tick(`${spec.kind}: TensorFlow.js reference`);
    }
  } finally {
    reference.dispose();
  }
  const results: VariantCheck[] = [];
  for (const dtype of dtypes) {
    const onnx = buildOnnx(spec, weights, dtype);
    tick(`${spec.kind}: built ${dtype}`);
    const session = await onnxRunner(onnx, spec.sizeMultiple);
    const outputs: PlanarImage[] = [];
    const times: number[] = [];
    try {
      for (const x of inputs) {
        const t0 = performance.now();
        outputs.push(await session.run(x));
        times.push(performance.now() - t0);
        tick(`${spec.kind}: ${dtype} in onnxruntime`);
      }
    } finally {
      await session.release();
    }
    const figures = worst(outputs.map((o, i) => compareOutputs(o.data, expected[i]?.data ?? [])));
    results.push({
      dtype,
      onnx,
      figures,
      passed: withinBudget(dtype, figures),
      latencyMs: median(times),
      outputs,
    });
  }
  return results;
}
