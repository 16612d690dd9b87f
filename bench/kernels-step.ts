/**
 * The trainer's CycleGAN step (bench/trainer-step.ts) on wasm (or native, --native):
 * the unoptimised ("baseline") and the runtime's ("fast") kernels measured
 * alternately in one process, then a per-kernel CPU profile of the fast one.
 */
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { buildDiscriminator, buildGenerator } from "../training/networks/index.ts";
import { countMacs } from "../training/networks/spec.ts";
import { initBackend, type Runtime } from "../training/runtime/backend.ts";
import { type Row, writeReport } from "./report.ts";
import { cpuMicros } from "./timing.ts";
import { type TrainerStep, trainerStep } from "./trainer-step.ts";

export interface StepOptions {
  size: number;
  ngf: number;
  blocks: 6 | 9;
  ndf: number;
  reps: number;
  /** Also time the baseline kernels (slow: minutes at 128 px). */
  compare: boolean;
  /** "native": the fast set with the convolutions on oneDNN, one conv thread. */
  backend: "wasm" | "native";
}

/**
 * Wrap every kernel of `backendName` to add its self CPU time (its own time
 * less the kernels it calls) to `into`. Returns a function that restores them.
 */
function instrumentKernels(backendName: string, into: Map<string, { us: number; calls: number }>) {
  const originals = tf.getKernelsForBackend(backendName);
  const childTime: number[] = [];
  const swap = (config: tf.KernelConfig) => {
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
  };
  for (const k of originals) {
    swap({
      ...k,
      kernelFunc: (args) => {
        const t0 = cpuMicros();
        childTime.push(0);
        try {
          return k.kernelFunc(args);
        } finally {
          const spent = cpuMicros() - t0;
          const self = spent - (childTime.pop() as number);
          if (childTime.length > 0)
            childTime[childTime.length - 1] = (childTime.at(-1) as number) + spent;
          const e = into.get(k.kernelName) ?? { us: 0, calls: 0 };
          e.us += self;
          e.calls += 1;
          into.set(k.kernelName, e);
        }
      },
    });
  }
  return () => {
    for (const k of originals) swap(k);
  };
}

/** Bytes of the wasm heap (linear memory), which only grows: a high-water mark. */
function wasmHeapBytes(): number {
  const module = (tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array };
  return module.HEAPU8.buffer.byteLength;
}

/**
 * Nominal multiply-adds of one step: 6 generator passes (forward, input
 * and weight gradients), 2 discriminator passes in the G update (forward and
 * input gradients) and 4 in the D update (forward, both gradients).
 */
function stepMacs(o: StepOptions): number {
  const g = countMacs(buildGenerator(`resnet_${o.blocks}blocks`, { ngf: o.ngf }), o.size, o.size);
  const d = countMacs(buildDiscriminator("basic", { ndf: o.ndf, nLayersD: 3 }), o.size, o.size);
  return 6 * 3 * g + 2 * 2 * d + 4 * 3 * d;
}

async function timeSteps(rt: Runtime, o: StepOptions, images: [tf.Tensor4D, tf.Tensor4D]) {
  const step = trainerStep({ ngf: o.ngf, blocks: o.blocks, ndf: o.ndf, ops: rt.ops });
  step.run(...images); // warm-up: XNNPACK operators, heap growth
  let cpu = Number.POSITIVE_INFINITY;
  let wall = Number.POSITIVE_INFINITY;
  for (let i = 0; i < o.reps; i++) {
    const c0 = cpuMicros();
    const t0 = performance.now();
    step.run(...images);
    cpu = Math.min(cpu, (cpuMicros() - c0) / 1e6);
    wall = Math.min(wall, (performance.now() - t0) / 1e3);
  }
  return { step, cpu, wall };
}

export async function runStep(o: StepOptions): Promise<void> {
  const image = () => tf.randomUniform([1, o.size, o.size, 3], -1, 1) as tf.Tensor4D;
  const images: [tf.Tensor4D, tf.Tensor4D] = [image(), image()];
  const gflop = (2 * stepMacs(o)) / 1e9;
  const rows: Row[] = [];
  const sets = o.compare ? (["baseline", "fast"] as const) : (["fast"] as const);
  let fast: Awaited<ReturnType<typeof timeSteps>> | undefined;
  for (const kernels of sets) {
    const rt = await initBackend(kernels === "fast" ? o.backend : "wasm", {
      kernels,
      convThreads: 1,
    });
    const r = await timeSteps(rt, o, images);
    rows.push({
      kernels,
      "CPU s/step": r.cpu,
      "wall s/step": r.wall,
      "GFLOP/s (CPU)": gflop / r.cpu,
    });
    if (kernels === "fast") fast = r;
    else r.step.dispose();
  }
  const step = fast?.step as TrainerStep;
  const byKernel = new Map<string, { us: number; calls: number }>();
  const restore = instrumentKernels("wasm", byKernel);
  const c0 = cpuMicros();
  step.run(...images);
  const profiled = (cpuMicros() - c0) / 1e6;
  restore();
  step.dispose();
  tf.dispose(images);
  const inKernels = [...byKernel.values()].reduce((t, e) => t + e.us, 0) / 1e6;
  const profile: Row[] = [...byKernel]
    .sort((x, y) => y[1].us - x[1].us)
    .slice(0, 14)
    .map(([name, e]) => ({
      kernel: name,
      calls: e.calls,
      "self CPU s": e.us / 1e6,
      "%": (100 * e.us) / 1e6 / profiled,
    }));
  profile.push({
    kernel: "(outside kernels: JS, tape, GC)",
    calls: null,
    "self CPU s": profiled - inKernels,
    "%": (100 * (profiled - inKernels)) / profiled,
  });
  const settings = { ...o, gflopPerStep: gflop };
  writeReport(
    {
      name: "kernels-step",
      settings,
      rows,
      notes: [
        `${gflop.toFixed(0)} GFLOP per step (nominal); best of ${o.reps} steps after a warm-up`,
        `wasm heap high-water mark: ${(wasmHeapBytes() / 2 ** 30).toFixed(2)} GiB of 4`,
      ],
    },
    { tfjs: tf.version_core },
  );
  writeReport(
    {
      name: "kernels-step-profile",
      settings,
      rows: profile,
      notes: [
        "self time: a kernel's time less the kernels it calls (the conv gradients call Conv2D, BatchMatMul, ...)",
      ],
    },
    { tfjs: tf.version_core },
  );
}
