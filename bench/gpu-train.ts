/**
 * Training speed of the real trainer (`train()`, data pipeline included) on
 * a GPU through WebGPU: the entry of the self-contained GPU run built by
 * `npm run bundle:gpu` (bench/gpu-bundle.ts), and runnable in the repository:
 *
 *   node bench/gpu-train.ts --dataroot datasets/NAME [--backend webgpu --size 256 --ngf 64
 *     --netG resnet_9blocks --iters 20 --warmup 3]
 *
 * Prints a table and writes results/gpu-train-<time>.json next to this file.
 * Iterations are timed between the end of warm-up and the last one; the
 * losses are read every iteration, so each one has finished on the GPU.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { train } from "../training/model/train-loop.ts";
import { parseTrainOptions } from "../training/options.ts";
import { gpuMemoryMiB, initBackend } from "../training/runtime/backend.ts";
import { packageVersions, runStart, TFJS_PACKAGES, writeReport } from "./report.ts";
import { itersMacs } from "./train-macs.ts";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "webgpu" },
    dataroot: { type: "string", default: path.join(import.meta.dirname, "data") },
    size: { type: "string", default: "256" },
    ngf: { type: "string", default: "64" },
    netG: { type: "string", default: "resnet_9blocks" },
    iters: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
  },
});
if (!existsSync(path.join(values.dataroot, "trainA"))) {
  console.error(`no dataset at ${values.dataroot}: pass --dataroot DIR (with trainA/ and trainB/)`);
  process.exit(2);
}
const size = Number(values.size);
const iters = Number(values.iters);
const warmup = Number(values.warmup);
if (!(iters >= 1 && warmup >= 1)) {
  console.error(
    "--iters and --warmup must be at least 1 (the first iteration builds the GPU pipelines)",
  );
  process.exit(2);
}
const started = runStart();
const blocks = Number(/resnet_(\d+)blocks/.exec(values.netG)?.[1] ?? 9);
const dir = await mkdtemp(path.join(os.tmpdir(), "gpu-train-"));
try {
  const runtime = await initBackend(values.backend as Parameters<typeof initBackend>[0]);
  console.error(`backend: ${runtime.name}`);
  const parsed = parseTrainOptions([
    ...["--dataroot", values.dataroot, "--checkpoints_dir", dir, "--name", "bench"],
    ...["--netG", values.netG, "--ngf", values.ngf, "--preprocess", "resize_and_crop"],
    ...["--load_size", String(Math.round(size * 1.12)), "--crop_size", String(size)],
    ...["--n_epochs", "100000", "--print_freq", "1", "--display_freq", "100000000"],
    ...["--save_latest_freq", "100000000", "--save_epoch_freq", "100000000"],
  ]);
  const ends: number[] = [];
  await train(parsed, {
    runtime,
    maxIters: warmup + iters,
    print: (line) => console.error(line),
    onIteration: () => ends.push(performance.now()),
  });
  const perIter = ((ends.at(-1) as number) - (ends[warmup - 1] as number)) / 1000 / iters;
  // each timed iteration's seconds (end to end of the one before), for the JSON
  const seconds = ends.slice(warmup).map((t, i) => (t - (ends[warmup - 1 + i] as number)) / 1000);
  writeReport(
    {
      name: "gpu-train",
      settings: { ...values, size, iters, warmup },
      rows: [
        {
          backend: runtime.name,
          size,
          ngf: Number(values.ngf),
          netG: values.netG,
          "it/s": 1 / perIter,
          "s/it": perIter,
          "GFLOP/s": (2 * itersMacs(size, Number(values.ngf), blocks)) / perIter / 1e9,
          "RSS MiB": process.resourceUsage().maxRSS / 1024,
          "GPU MiB": gpuMemoryMiB(),
        },
      ],
      notes: [
        `${iters} iteration(s) timed after ${warmup} warm-up, batch 1, images from ${values.dataroot}, losses read every iteration`,
        "GFLOP/s: 2 x (18 MACs_G + 16 MACs_D) per iteration (bench/train-macs.ts); s/it: the mean, every iteration's seconds are in the JSON's samples",
      ],
      samples: [{ backend: runtime.name, seconds }],
      started,
    },
    packageVersions(TFJS_PACKAGES),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(0); // Dawn and the wasm backend keep handles open
