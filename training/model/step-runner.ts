/**
 * The model of a run and how its step runs: in this thread, or split over two
 * workers (two-workers/) where that pays. Either way the loop sees one model.
 */
import { availableParallelism } from "node:os";
import type * as tf from "@tensorflow/tfjs-core";
import { restoreModel } from "../checkpoint/model-io.ts";
import type { Checkpoint } from "../checkpoint/read.ts";
import type { TrainOptions } from "../options.ts";
import { convThreadsPerSide, type Runtime } from "../runtime/backend.ts";
import { CycleGAN } from "./cyclegan.ts";
import { WorkerPair } from "./two-workers/pair.ts";
import { SplitCycleGAN } from "./two-workers/split-model.ts";

export interface StepRunner {
  readonly model: CycleGAN;
  readonly threads: 1 | 2;
  /** One step on a batch; the model takes ownership of A and B. */
  optimize(A: tf.Tensor4D, B: tf.Tensor4D): Promise<void>;
  /** Before reading the model: its losses (`full` false), or also weights, pools and visuals. */
  sync(full: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Two workers per step where they pay: wasm runs one thread per instance; on
 * native (wasm with oneDNN convolutions) two workers with half the cores' conv
 * threads each also beat one step with all of them on a quiet machine
 * (1.2-1.4x, docs/training-runtime.md), so auto splits there too.
 */
function stepThreads(o: TrainOptions, runtime: Runtime): 1 | 2 {
  if (runtime.backend !== "wasm") {
    if (o.threads === "2")
      throw new Error(`--threads 2 needs the wasm backend, not ${runtime.name}`);
    return 1;
  }
  if (o.threads === "auto") return availableParallelism() >= 2 ? 2 : 1;
  return o.threads === "2" ? 2 : 1;
}

/** A fresh model, or the checkpoint's, ready to step. */
export async function startModel(
  o: TrainOptions,
  runtime: Runtime,
  resume: Checkpoint | null,
): Promise<StepRunner> {
  const threads = stepThreads(o, runtime);
  // two workers on native: each side's conv kernels get half the cores (the worker sets its own)
  if (threads === 2) runtime.setConvThreads?.(convThreadsPerSide());
  const model = threads === 2 ? new SplitCycleGAN(o, runtime.ops) : new CycleGAN(o, runtime.ops);
  let pair: WorkerPair | null = null;
  try {
    if (resume) await restoreModel(model, resume);
    if (model instanceof SplitCycleGAN)
      pair = await WorkerPair.start(model, o, runtime.kind, runtime.kernels);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return {
    model,
    threads,
    async optimize(A, B) {
      model.setInput(A, B);
      if (pair) await pair.optimize(A, B);
      else model.optimizeParameters();
    },
    sync: async (full) => pair?.sync(full),
    async close() {
      await pair?.close();
      model.dispose();
    },
  };
}
