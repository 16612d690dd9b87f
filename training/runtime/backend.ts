/**
 * Picks and initialises the TensorFlow.js backend for training, and the
 * primitive ops that are correct (and fast) on it.
 *
 * auto: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (optional peer
 * dependencies: their install downloads libtensorflow), then native (the
 * WebAssembly backend with its convolutions on oneDNN, native/dnnl-conv/),
 * then WebAssembly (SIMD), then the pure-JS CPU backend.
 * webgpu (asked for by name only: a software adapter is slower than wasm)
 * runs @tensorflow/tfjs-backend-webgpu on Dawn (the `webgpu` package) in
 * Node, or on the page's navigator.gpu in a browser.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
// The tfjs bundle registers tfjs-core's gradient functions (tfjs-core's own
// Node build leaves them out) and the CPU backend; everything else comes from tfjs-core.
import "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import { type Ops, referenceOps } from "../networks/tfjs.ts";
import {
  ADDON_PATH,
  checkAddon,
  type DnnlAddon,
  installNativeConvKernels,
  loadAddon,
  removeNativeConvKernels,
} from "./native-conv.ts";
import { trainingOps } from "./ops.ts";
import { registerWasmKernels } from "./wasm-kernels.ts";
import { loadWebgpu } from "./webgpu.ts";

export const BACKEND_CHOICES = ["auto", "tensorflow", "webgpu", "native", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface Runtime {
  /** Human-readable, e.g. "wasm (SIMD, 1 thread)". */
  name: string;
  /** The tfjs backend name now active: "tensorflow", "webgpu", "wasm" or "cpu". */
  backend: string;
  ops: Ops;
  /** The kernel set it was started with (a worker thread starts the same one). */
  kernels: "fast" | "baseline";
  /** The choice that loaded ("auto" resolved): a worker thread starts the same one. */
  kind: Exclude<BackendChoice, "auto">;
  /** native only: OpenMP threads for this thread's conv kernels from now on. */
  setConvThreads?: (n: number) => void;
}

/** Conv threads for each side of a step split over two workers: half the cores. */
export function convThreadsPerSide(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

const TFJS_VERSION = "4.22.0";
/** auto: fastest first (measured in docs/training-runtime.md). */
const AUTO_ORDER = ["tensorflow", "native", "wasm", "cpu"] as const;
const require = createRequire(import.meta.url);

export interface BackendOptions {
  /**
   * "fast" (default): the runtime's kernels and ops. "baseline": the
   * unoptimised path (library kernels, the simple wasm gradient fixes,
   * referenceOps) for before/after benchmarks; it computes the same numbers.
   */
  kernels?: "fast" | "baseline";
  /**
   * native: OpenMP threads for the oneDNN convolutions. Default: every core
   * (one step at a time; two workers per step use convThreadsPerSide each).
   */
  convThreads?: number;
  /** native: the addon file (default: native/dnnl-conv/build/dnnl_conv.node). */
  nativeAddon?: string;
}

type Loader = () => Promise<string>;

/** Import a native binding package; resolves to a description or rejects with why not. */
async function loadNative(pkg: string): Promise<string> {
  // A variable specifier: these packages are optional and absent at type-check time.
  const specifier: string = pkg;
  await import(specifier);
  if (!tf.findBackendFactory("tensorflow")) {
    throw new Error(
      `${pkg} loaded but registered no "tensorflow" backend with this @tensorflow/tfjs-core; ` +
        `keep every @tensorflow package at exactly ${TFJS_VERSION}`,
    );
  }
  if (!tf.findBackend("tensorflow")) {
    throw new Error(
      `${pkg}: its native backend failed to initialise (tfjs printed why above; often a libtensorflow or CUDA library that does not load)`,
    );
  }
  if (!(await tf.setBackend("tensorflow"))) throw new Error(`${pkg}: backend failed to start`);
  return pkg.endsWith("-gpu") ? "tensorflow (tfjs-node-gpu, CUDA)" : "tensorflow (tfjs-node, CPU)";
}

async function loadWasm(kernels: "fast" | "baseline"): Promise<string> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // In Node the .wasm binaries are read from the package folder, not fetched.
  const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  wasm.setWasmPaths(`${dir}${path.sep}`);
  removeNativeConvKernels();
  registerWasmKernels(kernels);
  if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend failed to initialise");
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = wasm.getThreadsCount();
  return `wasm (${simd ? "SIMD" : "no SIMD"}, ${threads} thread${threads === 1 ? "" : "s"})`;
}

/** wasm with its convolutions on oneDNN (training/runtime/native-conv.ts). */
async function loadNativeConvs(threads: number, file: string): Promise<string> {
  const addon = loadAddon(file);
  addon.setThreads(threads);
  checkAddon(addon);
  const wasm = await loadWasm("fast");
  installNativeConvKernels(addon);
  nativeAddon = addon;
  // Two workers per step give each side half the threads: the total stays the same.
  const cores = `${threads} core${threads === 1 ? "" : "s"}`;
  return `native (oneDNN ${addon.info().version} convolutions on ${cores}; ${wasm} for the rest)`;
}

/** The addon the last native load installed, for Runtime.setConvThreads. */
let nativeAddon: DnnlAddon | null = null;

async function loadCpu(): Promise<string> {
  await import("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend failed to initialise");
  return "cpu (pure JavaScript)";
}

const NATIVE_HINT =
  `install it with: npm install --save-exact @tensorflow/tfjs-node@${TFJS_VERSION} ` +
  `(or @tensorflow/tfjs-node-gpu@${TFJS_VERSION} on Linux with an NVIDIA GPU and CUDA); ` +
  "its install script downloads libtensorflow, so it needs network access";

function loaders(kind: Exclude<BackendChoice, "auto">, o: Required<BackendOptions>): Loader[] {
  switch (kind) {
    case "tensorflow":
      return [
        () => loadNative("@tensorflow/tfjs-node-gpu"),
        () => loadNative("@tensorflow/tfjs-node"),
      ];
    case "webgpu":
      return [loadWebgpu];
    case "native":
      if (o.kernels === "baseline") throw new Error("native has no baseline kernel set; use wasm");
      return [() => loadNativeConvs(o.convThreads, o.nativeAddon)];
    case "wasm":
      return [() => loadWasm(o.kernels)];
    case "cpu":
      return [loadCpu];
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? (e.message.split("\n")[0] ?? e.name) : String(e);
}

async function firstThatLoads(loaders: Loader[], failures: string[]): Promise<string | null> {
  for (const load of loaders) {
    try {
      return await load();
    } catch (e) {
      failures.push(reason(e));
    }
  }
  return null;
}

/**
 * Initialise `choice` (or the best available one for "auto") and return the
 * ops to train with. An explicit choice that cannot load throws, saying how to install it.
 */
export async function initBackend(
  choice: BackendChoice,
  options: BackendOptions = {},
): Promise<Runtime> {
  const o: Required<BackendOptions> = {
    kernels: "fast",
    convThreads: availableParallelism(),
    nativeAddon: ADDON_PATH,
    ...options,
  };
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(
      `Unsupported backend "${choice}". Should be one of: ${BACKEND_CHOICES.join(", ")}.`,
    );
  }
  const baseline = o.kernels === "baseline";
  // The baseline set is the wasm path before any kernel work: never on native convs.
  const order: Exclude<BackendChoice, "auto">[] =
    choice !== "auto" ? [choice] : baseline ? ["tensorflow", "wasm", "cpu"] : [...AUTO_ORDER];
  const failures: string[] = [];
  for (const kind of order) {
    const before = failures.length;
    const name = await firstThatLoads(loaders(kind, o), failures);
    if (kind === "native" && choice === "auto" && failures.length > before) {
      // The one line that says why training runs slower than it could.
      console.warn(
        `[backend] native convolutions unavailable, training on wasm: ${failures.at(-1)}`,
      );
    }
    if (name !== null) {
      const addon = kind === "native" ? nativeAddon : null;
      return {
        name: baseline ? `${name}, baseline kernels` : name,
        backend: tf.getBackend(),
        ops: baseline ? referenceOps : trainingOps,
        kernels: o.kernels,
        kind,
        ...(addon ? { setConvThreads: (n: number) => addon.setThreads(n) } : {}),
      };
    }
  }
  const hint = choice === "tensorflow" ? `; ${NATIVE_HINT}` : "";
  throw new Error(`backend "${choice}" could not be loaded (${failures.join("; ")})${hint}`);
}

/** MiB of GPU memory the current backend holds (webgpu: its buffer pool keeps the peak), or null off the GPU. */
export function gpuMemoryMiB(): number | null {
  const bytes = (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU;
  return bytes === undefined ? null : bytes / 2 ** 20;
}
