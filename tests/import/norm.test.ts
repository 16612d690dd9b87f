/**
 * Reference generators trained with --norm batch or --norm none: read off the
 * keys, run like the reference's test.py (no --eval: a batch norm uses the
 * image's own statistics, then its scale and shift), checked against the
 * independent float64 forward pass in reference-resnet.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onnxRunner } from "../../training/export/infer.ts";
import { buildOnnx } from "../../training/export/onnx.ts";
import { generatorFromStateDict } from "../../training/import/state-dict.ts";
import { readTorchFile } from "../../training/import/torch-file.ts";
import { forward, paramsFromTorch, referenceOps } from "../../training/networks/tfjs.ts";
import { initBackend } from "../../training/runtime/backend.ts";
import { seededNormal } from "../../training/util/seeded.ts";
import {
  expectedWeights,
  randomTensors,
  referenceShapes,
  type TensorSpec,
  writeCheckpoint,
} from "./checkpoints.ts";
import { referenceResnet } from "./reference-resnet.ts";

let dir = "";
beforeAll(async () => {
  await initBackend("cpu");
  dir = mkdtempSync(path.join(os.tmpdir(), "import-norm-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Batch-norm scales around 1, as the reference initialises and trains them. */
function batchNormTensors(seed: number): TensorSpec[] {
  const tensors = randomTensors(referenceShapes(2, 6, "batch"), seed);
  const stats = tensors
    .filter((t) => t.shape.length === 1 && t.name.endsWith(".weight"))
    .flatMap((t) => {
      const base = t.name.slice(0, -".weight".length);
      const c = t.shape[0] as number;
      return [
        { name: `${base}.running_mean`, shape: [c], values: new Array(c).fill(0.3) },
        { name: `${base}.running_var`, shape: [c], values: new Array(c).fill(2) },
        { name: `${base}.num_batches_tracked`, shape: [], values: [7], dtype: "int64" as const },
      ];
    });
  const scaled = tensors.map((t) =>
    t.shape.length === 1 && t.name.endsWith(".weight")
      ? { ...t, values: t.values.map((v) => Math.fround(1 + v)) }
      : t,
  );
  return [...scaled, ...stats];
}

const [h, w] = [12, 16];
const image = (() => {
  const randn = seededNormal(5);
  return new Float32Array(3 * h * w).map(() => Math.tanh(randn()));
})();

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
};

/** The imported generator on one image (tfjs, reference ops) against the float64 reference. */
function worstError(file: string, tensors: TensorSpec[], kind: "batch" | "none") {
  const g = generatorFromStateDict(readTorchFile(readFileSync(file), file), file);
  const truth = referenceResnet(expectedWeights(tensors), 6, image, h, w, kind);
  const params = paramsFromTorch(g.spec, g.weights, `import-norm-${kind}/`);
  const out = tf.tidy(() => {
    const x = tf.transpose(tf.tensor4d(image, [1, 3, h, w]), [0, 2, 3, 1]) as tf.Tensor4D;
    return tf.transpose(forward(g.spec, params, x, referenceOps), [0, 3, 1, 2]).dataSync();
  });
  for (const v of params.values()) v.dispose();
  return { g, truth, worst: maxDiff(out, truth) };
}

describe("importing other norms", () => {
  it("--norm batch: scale and shift kept, running statistics dropped, the image's own statistics used, in tfjs and ONNX", async () => {
    const tensors = batchNormTensors(3);
    const file = path.join(dir, "batch.pth");
    writeCheckpoint(file, "zip", tensors);
    const weights = tensors.filter((t) => t.dtype !== "int64" && !/running_/.test(t.name));
    const { g, truth, worst } = worstError(file, weights, "batch");
    expect([g.netG, g.ngf, g.norm]).toEqual(["resnet_6blocks", 2, "batch"]);
    // 17 batch norms (3 down, 2 in each of 6 blocks, 2 up), 3 statistics each
    expect(g.dropped).toHaveLength(17 * 3);
    expect(g.dropped.every((k) => /running_mean|running_var|num_batches_tracked/.test(k))).toBe(
      true,
    );
    expect(g.weights.get("model.2.weight")?.shape).toEqual([2]);
    expect(g.weights.has("model.1.bias")).toBe(false);
    expect(worst).toBeLessThan(1e-4);

    // Exported through the statistics-aware norm: it reports and accepts a batch
    // norm's statistics like an instance norm's (2 x the channels of 17 norms).
    for (const [dtype, budget] of [
      ["fp32", 1e-4],
      ["fp16", 2e-2],
    ] as const) {
      const session = await onnxRunner(buildOnnx(g.spec, g.weights, dtype), 4);
      expect(session.statsLength).toBe(2 * (2 + 4 + 8 + 12 * 8 + 4 + 2));
      const own = await session.run({ data: image, width: w, height: h });
      expect(maxDiff(own.data, truth), dtype).toBeLessThan(budget);
      // frozen with the image's own statistics: the same picture
      const frozen = await session.run({ data: image, width: w, height: h }, own.stats);
      expect(maxDiff(frozen.data, own.data), dtype).toBeLessThan(budget / 10);
      await session.release();
    }
  });

  it("--norm none: no norm and no biases before it, as the reference builds it", () => {
    const tensors = randomTensors(referenceShapes(2, 6, "none"), 4);
    const file = path.join(dir, "none.pth");
    writeCheckpoint(file, "zip", tensors);
    const { g, worst } = worstError(file, tensors, "none");
    expect(g.norm).toBe("none");
    expect(g.dropped).toEqual([]);
    expect(worst).toBeLessThan(1e-4);
  });
});
