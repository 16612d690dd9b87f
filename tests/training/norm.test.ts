/**
 * --norm instance|batch|none through the networks, the TensorFlow.js walker,
 * training, checkpoints and resume; import is tests/import/norm.test.ts.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreModel } from "../../training/checkpoint/model-io.ts";
import {
  checkpointFile,
  loadGeneratorFromCheckpoint,
  readCheckpoint,
} from "../../training/checkpoint/read.ts";
import { readTensors } from "../../training/checkpoint/safetensors.ts";
import { saveCheckpoint } from "../../training/checkpoint/write.ts";
import { CycleGAN } from "../../training/model/cyclegan.ts";
import { openRun } from "../../training/model/open-run.ts";
import { train } from "../../training/model/train-loop.ts";
import { buildDiscriminator, buildGenerator } from "../../training/networks/index.ts";
import { type NetworkSpec, paramShapes } from "../../training/networks/spec.ts";
import { forward, paramsFromTorch, referenceOps } from "../../training/networks/tfjs.ts";
import { parseTrainOptions } from "../../training/options.ts";
import { initBackend, type Runtime } from "../../training/runtime/backend.ts";
import { referenceShapes } from "../import/checkpoints.ts";
import { makeShapes } from "./helpers/shapes.ts";

let dir: string;
let runtime: Runtime;
beforeAll(async () => {
  runtime = await initBackend("wasm");
  dir = await mkdtemp(path.join(os.tmpdir(), "norm-"));
  await makeShapes(path.join(dir, "data"), { train: 3, test: 0, size: 32, seed: 6 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const shapes = (spec: NetworkSpec) => paramShapes(spec).map((p) => [p.name, p.shape]);

describe("networks with --norm", () => {
  it("ResNet: the reference's keys for batch and none (no bias before a norm but instance)", () => {
    for (const norm of ["instance", "batch", "none"] as const)
      expect(shapes(buildGenerator("resnet_6blocks", { ngf: 2, norm }))).toEqual(
        referenceShapes(2, 6, norm),
      );
  });

  it("PatchGAN: batch norm scale and shift at the norm's index, biases only on the outer convs", () => {
    const d = buildDiscriminator("basic", { ndf: 2, nLayersD: 3, norm: "batch" });
    expect(shapes(d)).toEqual([
      ["model.0.weight", [2, 3, 4, 4]],
      ["model.0.bias", [2]],
      ["model.2.weight", [4, 2, 4, 4]],
      ["model.3.weight", [4]],
      ["model.3.bias", [4]],
      ["model.5.weight", [8, 4, 4, 4]],
      ["model.6.weight", [8]],
      ["model.6.bias", [8]],
      ["model.8.weight", [16, 8, 4, 4]],
      ["model.9.weight", [16]],
      ["model.9.bias", [16]],
      ["model.11.weight", [1, 16, 4, 4]],
      ["model.11.bias", [1]],
    ]);
  });

  it("U-Net: batch norms at the reference's indices", () => {
    const names = paramShapes(buildGenerator("unet_128", { ngf: 2, norm: "batch" })).map(
      (p) => p.name,
    );
    expect(names.slice(0, 6)).toEqual([
      "model.model.0.weight", // outermost down conv: no bias either (use_bias)
      "model.model.1.model.1.weight",
      "model.model.1.model.2.weight",
      "model.model.1.model.2.bias",
      "model.model.1.model.3.model.1.weight",
      "model.model.1.model.3.model.2.weight",
    ]);
    expect(names.slice(-5)).toEqual([
      "model.model.1.model.5.weight",
      "model.model.1.model.6.weight",
      "model.model.1.model.6.bias",
      "model.model.3.weight", // outermost up conv keeps its bias
      "model.model.3.bias",
    ]);
    // 7 down convs and 7 up convs (one bias), 5 down norms and 6 up norms of 2 tensors
    expect(names).toHaveLength(7 + 8 + 2 * (5 + 6));
  });

  it("batch norm normalises over the batch and the image, then scales and shifts", () => {
    const spec: NetworkSpec = {
      kind: "bn",
      inChannels: 2,
      outChannels: 2,
      sizeMultiple: 1,
      layers: [{ op: "batchNorm", name: "bn", channels: 2, epsilon: 1e-5 }],
    };
    const weights = new Map([
      ["bn.weight", { shape: [2], data: new Float32Array([2, -1]) }],
      ["bn.bias", { shape: [2], data: new Float32Array([0.5, 3]) }],
    ]);
    const params = paramsFromTorch(spec, weights, "bn-test/");
    // Two 1x2 images, NHWC: channel 0 holds 1, 3 | 5, 7; channel 1 holds 0, 0 | 0, 4.
    const x = tf.tensor4d([1, 0, 3, 0, 5, 0, 7, 4], [2, 1, 2, 2]);
    const y = forward(spec, params, x, referenceOps).dataSync();
    // channel 0: mean 4, variance 5; channel 1: mean 1, variance 3 (over all 4 values)
    const expected = [1, 0, 3, 0, 5, 0, 7, 4].map((v, i) =>
      i % 2 === 0
        ? ((v - 4) / Math.sqrt(5 + 1e-5)) * 2 + 0.5
        : ((v - 1) / Math.sqrt(3 + 1e-5)) * -1 + 3,
    );
    for (const [i, e] of expected.entries()) expect(y[i]).toBeCloseTo(e, 5);
    tf.dispose([x, ...params.values()]);
  });
});

const args = (name: string, ...more: string[]) => [
  ...["--dataroot", path.join(dir, "data"), "--checkpoints_dir", path.join(dir, "ck")],
  ...["--name", name, "--netG", "resnet_6blocks", "--ngf", "4", "--netD", "n_layers"],
  ...["--n_layers_D", "2", "--ndf", "4", "--load_size", "32", "--crop_size", "32"],
  ...["--batch_size", "2", "--threads", "1", "--seed", "9", "--init_gain", "0.1", ...more],
];
const quiet = { progress: false, print: () => {} };

describe("training with --norm batch", () => {
  it("inits scales around 1, trains them, and saves and reloads them", async () => {
    const o = parseTrainOptions(args("bn", "--norm", "batch")).options;
    const fresh = new CycleGAN(o, runtime.ops);
    const scale = (await fresh.nets.G_A.get("model.2.weight")?.data()) as Float32Array;
    const mean = scale.reduce((a, b) => a + b, 0) / scale.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.15); // normal(1, 0.1), 4 values
    expect(scale.some((v) => v !== 1)).toBe(true);
    fresh.dispose();

    await train(
      parseTrainOptions(args("bn", "--norm", "batch", "--n_epochs", "1", "--n_epochs_decay", "0")),
      {
        ...quiet,
        runtime,
      },
    );
    const g = await loadGeneratorFromCheckpoint(path.join(dir, "ck", "bn"), "G_A");
    expect(g.options.norm).toBe("batch");
    expect(g.spec.layers.some((l) => l.op === "batchNorm")).toBe(true);
    const trained = g.weights.get("model.2.weight")?.data as Float32Array;
    expect([...trained]).not.toEqual([...scale]); // moved by Adam
    expect(g.weights.has("model.1.bias")).toBe(false);
    await expect(
      openRun(parseTrainOptions(args("bn", "--continue_train", "--norm", "instance"))),
    ).rejects.toThrow(/--norm instance differs from the checkpoint's batch/);
  });

  it("loads a checkpoint written before --norm existed as instance norm", async () => {
    await train(parseTrainOptions(args("old", "--n_epochs", "1", "--n_epochs_decay", "0")), {
      ...quiet,
      runtime,
    });
    const ckpt = await readCheckpoint(checkpointFile(path.join(dir, "ck", "old")));
    const { norm: _, ...before } = ckpt.state.options;
    const tensors = await readTensors(ckpt.file, ckpt.header);
    const oldDir = path.join(dir, "ck", "old-format");
    await rm(oldDir, { recursive: true, force: true });
    await mkdir(oldDir, { recursive: true });
    await saveCheckpoint({
      runDir: oldDir,
      tensors: [...tensors].map(([name, t]) => ({
        name,
        shape: t.shape,
        data: async () => t.data,
      })),
      state: { ...ckpt.state, options: before as typeof ckpt.state.options },
    });
    const old = await readCheckpoint(checkpointFile(oldDir));
    expect(JSON.parse(old.header.metadata.state as string).options.norm).toBeUndefined();
    expect(old.state.options.norm).toBe("instance");
    const model = new CycleGAN(old.state.options, runtime.ops);
    await restoreModel(model, old);
    model.dispose();
  });
});
