/**
 * What this browser can run, and which engine a choice resolves to.
 * Automatic prefers WebGPU on a real GPU; a software ("fallback") adapter is
 * 100-300x slower than WebAssembly, so Automatic skips it (it can still be
 * forced).
 */
import type { EngineName } from "./protocol.ts";

export type EngineChoice = "auto" | EngineName;

export const ENGINE_CHOICES: readonly EngineChoice[] = ["auto", "webgpu", "wasm"];

export interface Caps {
  /** A WebGPU adapter exists and the WebGPU engine can load here. */
  webgpu: boolean;
  /** Why WebGPU is unavailable, in words for the visitor. */
  webgpuReason?: string;
  shaderF16: boolean;
  fallbackAdapter: boolean;
  /** WebAssembly threads the worker will use. */
  threads: number;
}

export async function detectCaps(): Promise<Caps> {
  const threads = globalThis.crossOriginIsolated ? navigator.hardwareConcurrency || 1 : 1;
  const base = { shaderF16: false, fallbackAdapter: false, threads };
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ...base, webgpu: false, webgpuReason: "this browser has no WebGPU" };
  // The WebGPU build of onnxruntime-web that fits the site uses WebAssembly JSPI.
  if (typeof (WebAssembly as unknown as { Suspending?: unknown }).Suspending !== "function") {
    return {
      ...base,
      webgpu: false,
      webgpuReason: "this browser lacks WebAssembly JSPI, which the WebGPU engine needs",
    };
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    adapter = null;
  }
  if (!adapter) return { ...base, webgpu: false, webgpuReason: "no WebGPU adapter is available" };
  return {
    webgpu: true,
    shaderF16: adapter.features.has("shader-f16"),
    fallbackAdapter: adapter.info.isFallbackAdapter,
    threads,
  };
}

export interface Resolved {
  engine: EngineName;
  /** Said to the visitor when the choice could not be honoured. */
  note?: string;
}

export function resolveEngine(choice: EngineChoice, caps: Caps): Resolved {
  if (!(ENGINE_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(
      `Unsupported engine "${choice}". Should be one of: ${ENGINE_CHOICES.join(", ")}.`,
    );
  }
  if (choice === "wasm") return { engine: "wasm" };
  if (choice === "webgpu") {
    return caps.webgpu
      ? { engine: "webgpu" }
      : {
          engine: "wasm",
          note: `No WebGPU: ${caps.webgpuReason}. Running on WebAssembly instead.`,
        };
  }
  return { engine: caps.webgpu && !caps.fallbackAdapter ? "webgpu" : "wasm" };
}

/** "WebGPU fp16", "WebAssembly int8 with 4 threads". */
export function engineLabel(engine: EngineName, dtype: string, threads: number): string {
  if (engine === "webgpu") return `WebGPU ${dtype}`;
  return `WebAssembly ${dtype} with ${threads} thread${threads === 1 ? "" : "s"}`;
}
