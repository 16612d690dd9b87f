/**
 * One training-speed measurement in its own process (so peak RSS and the
 * wasm heap are its own): a CycleGAN step on random 1 x S x S images, timed
 * after warm-up. Started by bench/train.ts with the job as JSON in argv[2];
 * sends a JobResult back over IPC.
 *
 * Variants: "before" = the runtime's "baseline" set (plain tfjs ops, the
 * library's kernels and the simple wasm gradient fixes: the state before
 * issue 9's work), one thread; "after" = the runtime's ops and kernels, one
 * thread; "after2" = the same split over two workers per step
 * (training/model/two-workers/: what `npm run train` uses on wasm with 2+
 * cores). All compute the same numbers up to float rounding.
 */
import { availableParallelism } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { CycleGAN } from "../training/model/cyclegan.ts";
import { WorkerPair } from "../training/model/two-workers/pair.ts";
import { SplitCycleGAN } from "../training/model/two-workers/split-model.ts";
import { parseTrainOptions } from "../training/options.ts";
import { convThreadsPerSide, gpuMemoryMiB, initBackend } from "../training/runtime/backend.ts";
import { nativeConvTotals } from "../training/runtime/native-conv.ts";

export const VARIANTS = ["before", "after", "after2"] as const;
export type Variant = (typeof VARIANTS)[number];

export interface Job {
  backend: "tensorflow" | "webgpu" | "native" | "wasm" | "cpu";
  variant: Variant;
  size: number;
  ngf: number;
  blocks: 6 | 9;
  warmup: number;
  iters: number;
}

export interface JobResult {
  backendName: string;
  /** Seconds per measured iteration. */
  seconds: number[];
  peakRssMiB: number;
  wasmHeapMiB: number | null;
  /** GPU memory the webgpu backend held at the end (its buffer pool keeps the peak). */
  gpuMiB: number | null;
  /** native: the main thread's oneDNN conv calls during the timed iterations (two workers: side A only). */
  conv: { seconds: number; flops: number; calls: number } | null;
}

async function main(job: Job): Promise<JobResult> {
  const runtime = await initBackend(job.backend, {
    kernels: job.variant === "before" ? "baseline" : "fast",
    // native: one step with every core's conv threads; two workers: half the cores each
    convThreads: job.variant === "after2" ? convThreadsPerSide() : availableParallelism(),
  });
  const options = parseTrainOptions([
    ...["--dataroot", "-", "--netG", `resnet_${job.blocks}blocks`, "--ngf", String(job.ngf)],
    ...["--seed", "1"],
  ]).options;
  const model =
    job.variant === "after2"
      ? new SplitCycleGAN(options, runtime.ops)
      : new CycleGAN(options, runtime.ops);
  const pair =
    model instanceof SplitCycleGAN
      ? await WorkerPair.start(model, options, job.backend, "fast")
      : null;
  const seconds: number[] = [];
  let convStart = nativeConvTotals();
  for (let i = 0; i < job.warmup + job.iters; i++) {
    if (i === job.warmup) convStart = nativeConvTotals();
    const shape = [1, job.size, job.size, 3] as const;
    const [A, B] = [tf.randomUniform([...shape], -1, 1), tf.randomUniform([...shape], -1, 1)];
    model.setInput(A as tf.Tensor4D, B as tf.Tensor4D);
    const t0 = performance.now();
    if (pair) await pair.optimize(A as tf.Tensor4D, B as tf.Tensor4D);
    else model.optimizeParameters();
    await model.losses(); // waits for the step to finish on asynchronous backends
    if (i >= job.warmup) seconds.push((performance.now() - t0) / 1000);
  }
  const convEnd = nativeConvTotals();
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  await pair?.close();
  const gpuMiB = gpuMemoryMiB();
  model.dispose();
  return {
    backendName: runtime.name,
    seconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    wasmHeapMiB: heap ? heap.byteLength / 2 ** 20 : null,
    gpuMiB,
    conv:
      runtime.kind === "native"
        ? {
            seconds: convEnd.seconds - convStart.seconds,
            flops: convEnd.flops - convStart.flops,
            calls: convEnd.calls - convStart.calls,
          }
        : null,
  };
}

if (import.meta.main) {
  const result = await main(JSON.parse(process.argv[2] ?? "{}") as Job);
  process.send?.(result);
  process.exit(0);
}
