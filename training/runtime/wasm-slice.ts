/**
 * A Slice kernel for the wasm backend. The library's copies the whole input
 * out of the wasm heap (readSync -> HEAPU8.slice) before taking the slice, so
 * every slice costs the input's size, however small the slice; this one reads
 * the heap in place and copies only contiguous runs of the result.
 */
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

/** Below this many values a plain loop beats subarray + set (which allocates a view per run). */
const SHORT_RUN = 96;

/** Copy the box begin..begin+size of a row-major `shape` array from src to dst. */
export function copyBox(
  src: tf.TypedArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: tf.TypedArray,
): void {
  const rank = shape.length;
  // Trailing axes taken whole merge into one contiguous run with the first partial axis.
  let d = rank - 1;
  let run = 1;
  while (d > 0 && begin[d] === 0 && size[d] === shape[d]) run *= shape[d--] as number;
  run *= size[d] as number;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--)
    strides[i] = (strides[i + 1] as number) * (shape[i + 1] as number);
  let base = 0;
  for (let i = 0; i < rank; i++) base += (begin[i] as number) * (strides[i] as number);
  // Odometer over the axes before d.
  const index = new Array<number>(d).fill(0);
  const runs = size.slice(0, d).reduce((a, b) => a * b, 1);
  let out = 0;
  let offset = base;
  for (let r = 0; r < runs; r++) {
    if (run < SHORT_RUN) {
      for (let k = 0; k < run; k++) dst[out + k] = src[offset + k] as number;
    } else {
      dst.set(src.subarray(offset, offset + run), out);
    }
    out += run;
    for (let a = d - 1; a >= 0; a--) {
      offset += strides[a] as number;
      if (++(index[a] as number) < (size[a] as number)) break;
      offset -= (index[a] as number) * (strides[a] as number);
      index[a] = 0;
    }
  }
}

export function wasmSliceKernel(fallback: tf.KernelFunc | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Slice,
    backendName: "wasm",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === "string" && fallback) return fallback(args);
      const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [
        number[],
        number[],
      ];
      const backend = args.backend as BackendWasm;
      const out = backend.makeOutput(s, x.dtype);
      if (s.some((v) => v === 0)) return out;
      // Views after makeOutput: allocating may grow (and so move) the heap.
      copyBox(backend.typedArrayFromHeap(x), x.shape, b, s, backend.typedArrayFromHeap(out));
      return out;
    },
  };
}
