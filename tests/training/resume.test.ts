import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpoint } from "../../training/checkpoint/read.ts";
import { readTensors } from "../../training/checkpoint/safetensors.ts";
import { CycleGAN } from "../../training/model/cyclegan.ts";
import { train } from "../../training/model/train-loop.ts";
import { parseTrainOptions } from "../../training/options.ts";
import { initBackend, type Runtime } from "../../training/runtime/backend.ts";
import { ADDON_PATH } from "../../training/runtime/native-conv.ts";
import { makeShapes } from "./helpers/shapes.ts";

let dir: string;
let runtime: Runtime;
const quiet = { progress: false, print: () => {} };

beforeAll(async () => {
  runtime = await initBackend("wasm");
  dir = await mkdtemp(path.join(os.tmpdir(), "train-resume-"));
  await makeShapes(path.join(dir, "data"), { train: 6, test: 0, size: 32, seed: 2 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const args = (name: string, more: string[] = []) => [
  ...[
    "--dataroot",
    path.join(dir, "data"),
    "--checkpoints_dir",
    path.join(dir, "ck"),
    "--name",
    name,
  ],
  ...[
    "--netG",
    "resnet_6blocks",
    "--ngf",
    "4",
    "--netD",
    "n_layers",
    "--n_layers_D",
    "2",
    "--ndf",
    "4",
  ],
  ...["--load_size", "36", "--crop_size", "32", "--pool_size", "3", "--seed", "11"],
  // two workers per step: the split of the model across threads must resume exactly too
  ...["--threads", "2"],
  ...[
    "--n_epochs",
    "1",
    "--n_epochs_decay",
    "2",
    "--save_epoch_freq",
    "1",
    "--save_latest_freq",
    "3",
  ],
  ...["--print_freq", "2", "--display_freq", "4", "--display_winsize", "32"],
  ...more,
];

async function latestTensors(name: string) {
  const ckpt = await readCheckpoint(path.join(dir, "ck", name, "latest.safetensors"));
  return { state: ckpt.state, tensors: await readTensors(ckpt.file, ckpt.header) };
}

// The native path (oneDNN convolutions) must resume as exactly as wasm, where it is built.
const KINDS = existsSync(ADDON_PATH) ? (["wasm", "native"] as const) : (["wasm"] as const);

describe.each(KINDS)("resume on %s", (kind) => {
  beforeAll(async () => {
    runtime = await initBackend(kind);
  });
  afterAll(async () => {
    runtime = await initBackend("wasm");
  });
  // run names per backend; wasm keeps the plain names the tests below reuse
  const run = (name: string) => (kind === "wasm" ? name : `${kind}-${name}`);
  const engine = kind === "wasm" ? /^wasm \(/ : /^native \(oneDNN /;

  it("N steps straight equal N/2 + resume + N/2, and the loop leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    await train(parseTrainOptions(args(run("straight"))), { runtime, maxIters: 10, ...quiet });
    expect(tf.memory().numTensors).toBe(before);

    await train(parseTrainOptions(args(run("split"))), { runtime, maxIters: 5, ...quiet });
    const half = await latestTensors(run("split"));
    expect(half.state.counters).toMatchObject({ epoch: 1, epochIter: 5, totalIters: 5 });
    // a run killed while appending to its loss log leaves half a line; resume drops it
    await appendFile(path.join(dir, "ck", run("split"), "loss_log.jsonl"), '{"iter": 6, "epo');
    // resumed with one harmless override; the rest comes from the checkpoint
    await train(
      parseTrainOptions([
        "--continue_train",
        "--print_freq",
        "2",
        ...args(run("split")).slice(0, 6),
      ]),
      {
        runtime,
        maxIters: 5,
        ...quiet,
      },
    );

    const a = await latestTensors(run("straight"));
    const b = await latestTensors(run("split"));
    // both runs, and the resumed half, really split each step across two workers
    expect(half.state.meta.backend).toMatch(/two workers per step/);
    expect(a.state.meta.backend).toMatch(engine);
    expect(a.state.meta.backend).toMatch(/two workers per step/);
    expect(b.state.meta.backend).toMatch(/two workers per step/);
    expect(b.state.counters).toEqual(a.state.counters);
    expect(a.state.counters).toMatchObject({ epoch: 2, epochIter: 4, totalIters: 10 });
    expect(b.state.rng).toEqual(a.state.rng);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    expect([...a.tensors.keys()].filter((k) => k.startsWith("pool_A/"))).toHaveLength(3);
    let maxDiff = 0;
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)?.data as Float32Array;
      for (let i = 0; i < t.data.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((t.data[i] as number) - (u[i] as number)));
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
    // the loss log of the resumed run reads like the straight one
    const iters = async (name: string) =>
      (await readFile(path.join(dir, "ck", name, "loss_log.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).iter);
    expect(await iters(run("split"))).toEqual(await iters(run("straight")));
    expect(tf.memory().numTensors).toBe(before);
  });

  it("resumes one thread from a kept epoch checkpoint as if it had never stopped", async () => {
    const one = (name: string, more: string[] = []) => args(name, ["--threads", "1", ...more]);
    await train(parseTrainOptions(one(run("straight1"))), { runtime, maxIters: 8, ...quiet });
    // 6 pairs a epoch: stop at the end of epoch 1, then resume from epoch_1 (the start of epoch 2)
    await train(parseTrainOptions(one(run("epoch1"))), { runtime, maxIters: 6, ...quiet });
    await train(parseTrainOptions(one(run("epoch1"), ["--continue_train", "--epoch", "1"])), {
      runtime,
      maxIters: 2,
      ...quiet,
    });
    const a = await latestTensors(run("straight1"));
    const b = await latestTensors(run("epoch1"));
    expect(a.state.meta.backend).not.toMatch(/two workers/);
    expect(a.state.meta.backend).toMatch(engine);
    expect(b.state.meta.backend).not.toMatch(/two workers/);
    expect(b.state.counters).toEqual(a.state.counters);
    expect(a.state.counters).toMatchObject({ epoch: 2, epochIter: 2, totalIters: 8 });
    expect(b.state.rng).toEqual(a.state.rng);
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)?.data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < t.data.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((t.data[i] as number) - (u[i] as number)));
      expect(maxDiff, name).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe("resume", () => {
  it("refuses to overwrite a run or to change a network's shape on resume", async () => {
    await expect(train(parseTrainOptions(args("straight")), { runtime, ...quiet })).rejects.toThrow(
      /already holds a run; add --continue_train/,
    );
    await expect(
      train(parseTrainOptions([...args("straight"), "--continue_train", "--ngf", "8"]), {
        runtime,
        ...quiet,
      }),
    ).rejects.toThrow(/--ngf 8 differs from the checkpoint's 4/);
    // the reference resumes with --epoch_count; here the checkpoint's counters say where to go on
    await expect(
      train(parseTrainOptions([...args("straight"), "--continue_train", "--epoch_count", "3"]), {
        runtime,
        ...quiet,
      }),
    ).rejects.toThrow(/--epoch_count 3 differs .* goes on from the epoch and iteration saved/);
    // every 32 px image is too small to crop 64 px: a clear error, not 0 iterations and a "trained" checkpoint
    const tooSmall = args("too-small", ["--preprocess", "crop", "--crop_size", "64"]);
    await expect(train(parseTrainOptions(tooSmall), { runtime, ...quiet })).rejects.toThrow(
      /epoch 1 gave no training batch/,
    );
    await expect(
      readCheckpoint(path.join(dir, "ck", "too-small", "latest.safetensors")),
    ).rejects.toThrow(/no checkpoint/);
  });

  it("keeps the live tensor count flat across iterations", async () => {
    const o = parseTrainOptions(args("flat")).options;
    const model = new CycleGAN(o, runtime.ops);
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      model.setInput(
        tf.randomUniform([1, 32, 32, 3], -1, 1),
        tf.randomUniform([1, 32, 32, 3], -1, 1),
      );
      model.optimizeParameters();
      const losses = await model.losses();
      expect(Object.values(losses).every(Number.isFinite)).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    // the pools (size 3) grow by one image each per step until full, then nothing grows
    expect(counts.slice(3)).toEqual([counts[2], counts[2], counts[2]]);
    model.dispose();
  });
});
