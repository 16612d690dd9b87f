/**
 * Convolution kernels at native speed: Conv2D, Conv2DBackpropInput (also the
 * transposed conv's forward pass) and Conv2DBackpropFilter on the wasm
 * backend, computed by oneDNN through the addon in native/dnnl-conv/ (built by
 * scripts/build-native.sh into native/dnnl-conv/build/). The addon reads and
 * writes the wasm heap in place: no copies. Everything else in a step stays
 * on the wasm backend's kernels.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

/** The addon's interface (native/dnnl-conv/conv.cc). */
export interface DnnlAddon {
  /** op 0: x, w -> y; 1: dy, w -> dx; 2: x, dy -> dw. geometry: see convGeometry. */
  conv(
    op: 0 | 1 | 2,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    geometry: Int32Array,
  ): void;
  setThreads(n: number): void;
  describe(op: 0 | 1 | 2, geometry: Int32Array): string;
  info(): { version: string; threads: number };
}

export const ADDON_PATH = new URL("../../native/dnnl-conv/build/dnnl_conv.node", import.meta.url)
  .pathname;

const BUILD_HINT =
  "build it with: bash scripts/build-native.sh (needs g++ and Debian's libdnnl-dev; scripts/start.sh and scripts/test.sh run it)";

/** Load the addon, or throw one line saying why not. */
export function loadAddon(path = ADDON_PATH): DnnlAddon {
  if (!existsSync(path)) throw new Error(`the oneDNN conv addon is not built; ${BUILD_HINT}`);
  // Read by libgomp once, when the addon pulls it in: idle OpenMP threads sleep instead of
  // spinning. Spinning made a 64 px step 20x slower on a loaded 2-core machine (9.3 vs 0.45 s).
  process.env.OMP_WAIT_POLICY ??= "PASSIVE";
  try {
    return createRequire(import.meta.url)(path) as DnnlAddon;
  } catch (e) {
    const why = e instanceof Error ? (e.message.split("\n")[0] ?? e.name) : String(e);
    throw new Error(`the oneDNN conv addon does not load (${why}); ${BUILD_HINT}`);
  }
}

type Shape4 = [number, number, number, number];

/** n h w ci oh ow co kh kw sh sw padTop padLeft padBottom padRight, as the addon reads it. */
export function convGeometry(
  xShape: Shape4,
  filterShape: Shape4,
  attrs: { strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown },
): Int32Array {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
  const p = info.padInfo;
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  );
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat: string;
  dilations?: number | [number, number];
  dimRoundingMode?: unknown;
}

const plain = (a: ConvAttrs) =>
  a.dataFormat === "NHWC" &&
  (a.dilations === undefined ||
    a.dilations === 1 ||
    (Array.isArray(a.dilations) && a.dilations[0] === 1 && a.dilations[1] === 1));

/** [a, b] inputs of the addon call, the conv's x and filter shapes. */
type Pick = (
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
) => [tf.TensorInfo, tf.TensorInfo, Shape4, Shape4];

const PICKS: [string, 0 | 1 | 2, Pick][] = [
  [
    tf.Conv2D,
    0,
    ({ x, filter }) => [
      x as tf.TensorInfo,
      filter as tf.TensorInfo,
      x?.shape as Shape4,
      filter?.shape as Shape4,
    ],
  ],
  [
    tf.Conv2DBackpropInput,
    1,
    ({ dy, filter }, attrs) => [
      dy as tf.TensorInfo,
      filter as tf.TensorInfo,
      (attrs as unknown as { inputShape: Shape4 }).inputShape,
      filter?.shape as Shape4,
    ],
  ],
  [
    tf.Conv2DBackpropFilter,
    2,
    ({ x, dy }, attrs) => [
      x as tf.TensorInfo,
      dy as tf.TensorInfo,
      x?.shape as Shape4,
      (attrs as unknown as { filterShape: Shape4 }).filterShape,
    ],
  ],
];

/** Work and time in this thread's native conv calls since it started (for benchmarks). */
export interface ConvTotals {
  calls: number;
  seconds: number;
  flops: number;
}
const totals: ConvTotals = { calls: 0, seconds: 0, flops: 0 };

export function nativeConvTotals(): ConvTotals {
  return { ...totals };
}

/** The three kernels on wasm; what oneDNN is not asked to do (dilation, NCHW) goes to `fallback`. */
export function nativeConvKernels(
  addon: DnnlAddon,
  fallback: (name: string) => tf.KernelFunc | undefined,
): tf.KernelConfig[] {
  return PICKS.map(([name, op, pick]) => ({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as ConvAttrs;
      if (!plain(attrs)) {
        const f = fallback(name);
        if (!f)
          throw new Error(`${name}: no kernel for dataFormat ${attrs.dataFormat} / dilations`);
        return f(args);
      }
      const [a, b, xShape, filterShape] = pick(args.inputs, args.attrs ?? {});
      const g = convGeometry(xShape, filterShape, attrs);
      const outShape = op === 0 ? [g[0], g[4], g[5], g[6]] : op === 1 ? xShape : filterShape;
      const backend = args.backend as BackendWasm;
      const out = backend.makeOutput(outShape as number[], "float32");
      // Views after makeOutput: allocating may grow (and so move) the heap.
      const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
      const t0 = performance.now();
      addon.conv(op, view(a), view(b), view(out), g);
      totals.seconds += (performance.now() - t0) / 1000;
      totals.calls++;
      // 2 x multiply-adds: n * oh * ow * co * ci * kh * kw, whichever of the three ops.
      totals.flops += [0, 4, 5, 6, 3, 7, 8].reduce((f, i) => f * (g[i] as number), 2);
      return out;
    },
  }));
}

/** The library kernels installNativeConvKernels replaced (the wasm set), for removeNativeConvKernels. */
const replaced = new Map<string, tf.KernelConfig>();

/** Put the three native kernels in place of the wasm ones (which stay as the fallback for dilations). */
export function installNativeConvKernels(addon: DnnlAddon): void {
  const kernels = nativeConvKernels(addon, (name) => replaced.get(name)?.kernelFunc);
  for (const k of kernels) {
    const existing = tf.getKernel(k.kernelName, "wasm");
    if (existing) {
      if (!replaced.has(k.kernelName)) replaced.set(k.kernelName, existing);
      tf.unregisterKernel(k.kernelName, "wasm");
    }
    tf.registerKernel(k);
  }
}

/** Put the wasm kernels back (initBackend("wasm") after "native" in one process). */
export function removeNativeConvKernels(): void {
  for (const [name, k] of replaced) {
    if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
    tf.registerKernel(k);
  }
  replaced.clear();
}

/**
 * A plain-loop convolution in float64 for checkAddon: y, dx or dw of one
 * geometry (the addon's layout), so a broken build cannot train with wrong numbers.
 */
export function referenceConv(
  op: 0 | 1 | 2,
  a: Float32Array,
  b: Float32Array,
  g: Int32Array,
): Float64Array {
  const [n, h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl] = Array.from(g) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const out = new Float64Array(
    op === 0 ? n * oh * ow * co : op === 1 ? n * h * w * ci : kh * kw * ci * co,
  );
  for (let b0 = 0; b0 < n; b0++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const yi = i * sh + u - pt;
            const xj = j * sw + v - pl;
            if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
            for (let c = 0; c < ci; c++)
              for (let o = 0; o < co; o++) {
                const xIdx = ((b0 * h + yi) * w + xj) * ci + c;
                const yIdx = ((b0 * oh + i) * ow + j) * co + o;
                const wIdx = ((u * kw + v) * ci + c) * co + o;
                const [to, p, q] =
                  op === 0
                    ? [yIdx, xIdx, wIdx]
                    : op === 1
                      ? [xIdx, yIdx, wIdx]
                      : [wIdx, xIdx, yIdx];
                out[to] = (out[to] as number) + (a[p] as number) * (b[q] as number);
              }
          }
  return out;
}

/** Every op on a small strided, padded geometry against referenceConv; throws one line if off. */
export function checkAddon(addon: DnnlAddon): void {
  // Explicit pads: tfjs sizes a numeric pad from the filter height and the row stride alone.
  const pad = [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ];
  const g = convGeometry([2, 7, 6, 3], [3, 4, 3, 5], { strides: [2, 1], pad });
  const [n, , , , oh, ow, co] = Array.from(g) as number[];
  const sizes = [
    2 * 7 * 6 * 3,
    3 * 4 * 3 * 5,
    (n as number) * (oh as number) * (ow as number) * (co as number),
  ] as const;
  let seed = 7;
  const fill = (len: number) =>
    Float32Array.from({ length: len }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 30 - 1;
    });
  const [x, w, y] = sizes.map(fill) as [Float32Array, Float32Array, Float32Array];
  const cases: [0 | 1 | 2, Float32Array, Float32Array, number][] = [
    [0, x, w, sizes[2]],
    [1, y, w, sizes[0]],
    [2, x, y, sizes[1]],
  ];
  for (const [op, a, b, len] of cases) {
    const got = new Float32Array(len);
    addon.conv(op, a, b, got, g);
    const want = referenceConv(op, a, b, g);
    let err = 0;
    let scale = 0;
    for (let i = 0; i < len; i++) {
      err = Math.max(err, Math.abs((got[i] as number) - (want[i] as number)));
      scale = Math.max(scale, Math.abs(want[i] as number));
    }
    if (!(err <= 1e-5 * scale)) {
      throw new Error(
        `the oneDNN conv addon computes wrong numbers (${["forward", "backward data", "backward weights"][op]}: relative error ${(err / scale).toExponential(1)})`,
      );
    }
  }
}
