/**
 * Gradient kernels for the WebAssembly backend of tfjs 4.22:
 * - Conv2DBackpropFilter is missing (every conv's weight gradient fails);
 * - Conv2DBackpropInput is a plain C++ loop about 10x slower than the forward
 *   conv (it is also the transposed conv's forward pass).
 * Both are re-expressed with the kernels wasm runs through XNNPACK
 * (training/runtime/conv-grads.ts), so plain tf.conv2d / tf.conv2dTranspose
 * train correctly and fast on wasm too.
 * - Slice copies its whole input per call (training/runtime/wasm-slice.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import { BASELINE_KERNELS } from "./baseline-kernels.ts";
import { convFilterGrad, convGradKernels, convInputGrad } from "./conv-grads.ts";
import { wasmSliceKernel } from "./wasm-slice.ts";

const KERNELS = convGradKernels(convFilterGrad, convInputGrad);

/** The library's own kernels that registerWasmKernels replaced, kept for benchmarks. */
export const replacedWasmKernels = new Map<string, tf.KernelConfig>();

/**
 * Install the kernels above ("fast"), or the unoptimised ones of
 * baseline-kernels.ts ("baseline"), replacing any of the same name.
 */
export function registerWasmKernels(set: "fast" | "baseline" = "fast"): void {
  const slice = replacedWasmKernels.get(tf.Slice) ?? tf.getKernel(tf.Slice, "wasm");
  const kernels =
    set === "fast"
      ? [...KERNELS, wasmSliceKernel(slice?.kernelFunc)]
      : [...BASELINE_KERNELS, ...(slice ? [slice] : [])];
  for (const k of kernels) {
    const existing = tf.getKernel(k.kernelName, k.backendName);
    if (existing) {
      if (!replacedWasmKernels.has(k.kernelName)) replacedWasmKernels.set(k.kernelName, existing);
      tf.unregisterKernel(k.kernelName, k.backendName);
    }
    tf.registerKernel(k);
  }
}
