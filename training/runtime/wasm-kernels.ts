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
import { type ConvGeometry, convFilterGrad, convInputGrad } from "./conv-grads.ts";
import { wasmSliceKernel } from "./wasm-slice.ts";

interface BackpropAttrs {
  strides: number | [number, number];
  pad:
    | "valid"
    | "same"
    | number
    | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function geometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  a: BackpropAttrs,
): ConvGeometry {
  if (a.dataFormat !== "NHWC") {
    throw new Error(`wasm conv gradients support dataFormat NHWC only, got ${a.dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
  return {
    strides: [info.strideHeight, info.strideWidth],
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

const KERNELS: tf.KernelConfig[] = [
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const a = attrs as unknown as BackpropAttrs & {
        filterShape: [number, number, number, number];
      };
      const g = geometry(x.shape, a.filterShape, a);
      return convFilterGrad(x, dy, [a.filterShape[0], a.filterShape[1]], g);
    },
  },
  {
    kernelName: tf.Conv2DBackpropInput,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
      const a = attrs as unknown as BackpropAttrs & {
        inputShape: [number, number, number, number];
      };
      const g = geometry(a.inputShape, filter.shape, a);
      return convInputGrad(dy, filter, a.inputShape, g);
    },
  },
];

/** The library's own kernels that registerWasmKernels replaced, kept for benchmarks. */
export const replacedWasmKernels = new Map<string, tf.KernelConfig>();

/** Install the kernels above (replacing the built-in ones of the same name). Idempotent. */
export function registerWasmKernels(): void {
  const slice = replacedWasmKernels.get(tf.Slice) ?? tf.getKernel(tf.Slice, "wasm");
  for (const k of [...KERNELS, wasmSliceKernel(slice?.kernelFunc)]) {
    const existing = tf.getKernel(k.kernelName, k.backendName);
    if (existing) {
      if (!replacedWasmKernels.has(k.kernelName)) replacedWasmKernels.set(k.kernelName, existing);
      tf.unregisterKernel(k.kernelName, k.backendName);
    }
    tf.registerKernel(k);
  }
}
