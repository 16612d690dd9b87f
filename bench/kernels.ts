/**
 * Conv kernel throughput on the WebAssembly backend for every conv shape of a
 * CycleGAN generator + PatchGAN at one size: the forward conv, the input
 * gradient (the library's Conv2DBackpropInput vs ours) and the weight gradient
 * (ours; the library has none), next to onnxruntime-node's Conv on the same
 * shape (native MLAS: the practical limit of this CPU), 1 and 2 threads.
 *
 * With --step: the trainer's CycleGAN step instead (bench/kernels-step.ts),
 * --compare adding the unoptimised kernels' time for the same step.
 *
 *   node bench/cli.ts kernels --size 128 --ngf 32 --blocks 6 --ndf 64 --reps 3
 *   node bench/cli.ts kernels --step --compare --size 64 --ngf 16 --reps 2
 *
 * (options straight after the name: after a `--`, parseArgs rejects them)
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import * as ort from "onnxruntime-node";
import {
  AttributeType,
  DataType,
  encodeModel,
  IR_VERSION,
  OPSET,
} from "../training/export/proto.ts";
import { buildDiscriminator, buildGenerator } from "../training/networks/index.ts";
import type { Layer, NetworkSpec } from "../training/networks/spec.ts";
import { initBackend } from "../training/runtime/backend.ts";
import { convFilterGrad, convInputGrad } from "../training/runtime/conv-grads.ts";
import {
  ADDON_PATH,
  convGeometry,
  type DnnlAddon,
  loadAddon,
} from "../training/runtime/native-conv.ts";
import { replacedWasmKernels } from "../training/runtime/wasm-kernels.ts";
import { runStep } from "./kernels-step.ts";
import { type Row, writeReport } from "./report.ts";
import { time } from "./timing.ts";

/** One convolution as the forward pass sees it: input already padded by `pad` zeros. */
interface ConvShape {
  label: string;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: number;
  transposed: boolean;
}

function convShapes(spec: NetworkSpec, size: number, net: string): ConvShape[] {
  const out: ConvShape[] = [];
  const walk = (layers: Layer[], h: number, w: number): [number, number] => {
    for (const l of layers) {
      if (l.op === "reflectPad") {
        h += 2 * l.pad;
        w += 2 * l.pad;
      } else if (l.op === "upsample") {
        h *= l.scale;
        w *= l.scale;
      } else if (l.op === "conv") {
        const shape = {
          h,
          w,
          ci: l.inChannels,
          co: l.outChannels,
          k: l.kernel,
          stride: l.stride,
          pad: l.padding,
        };
        out.push({ ...shape, label: `${net} ${l.name}`, transposed: false });
        h = Math.floor((h + 2 * l.padding - l.kernel) / l.stride) + 1;
        w = Math.floor((w + 2 * l.padding - l.kernel) / l.stride) + 1;
      } else if (l.op === "convTranspose") {
        // Measured as the conv it transposes: from its output back to its input.
        const oh = (h - 1) * l.stride - 2 * l.padding + l.kernel + l.outputPadding;
        const ow = (w - 1) * l.stride - 2 * l.padding + l.kernel + l.outputPadding;
        const shape = {
          h: oh,
          w: ow,
          ci: l.outChannels,
          co: l.inChannels,
          k: l.kernel,
          stride: l.stride,
          pad: l.padding,
        };
        out.push({ ...shape, label: `${net} ${l.name}`, transposed: true });
        h = oh;
        w = ow;
      } else if (l.op === "residual" || l.op === "concatSkip") {
        walk(l.body, h, w);
      }
    }
    return [h, w];
  };
  walk(spec.layers, size, size);
  // Identical shapes (the residual blocks) are measured once.
  const seen = new Set<string>();
  return out.filter((s) => {
    const key = JSON.stringify({ ...s, label: "" });
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Run f with `config` registered in place of the kernel of the same name. */
async function withKernel<T>(config: tf.KernelConfig, f: () => Promise<T>): Promise<T> {
  const current = tf.getKernel(config.kernelName, config.backendName) as tf.KernelConfig;
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
  // Kernels bind their wasm exports in setupFunc, which ran only for the kernels present at init.
  config.setupFunc?.(tf.backend());
  try {
    return await f();
  } finally {
    tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(current);
  }
}

/** A one-node ONNX model: Conv (NCHW) with the weights as an initializer, as in inference. */
function onnxConv(s: ConvShape): Uint8Array {
  const weights = new Float32Array(s.co * s.ci * s.k * s.k).map(() => Math.random() - 0.5);
  const dims = (d: number[]) => ({ dim: d.map((v) => ({ dim_value: v })) });
  const oh = Math.floor((s.h + 2 * s.pad - s.k) / s.stride) + 1;
  const ow = Math.floor((s.w + 2 * s.pad - s.k) / s.stride) + 1;
  const tensorType = (d: number[]) => ({
    tensor_type: { elem_type: DataType.FLOAT, shape: dims(d) },
  });
  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: "", version: OPSET }],
    producer_name: "bench-kernels",
    producer_version: "1",
    metadata_props: [],
    graph: {
      name: "conv",
      node: [
        {
          name: "conv",
          op_type: "Conv",
          input: ["x", "w"],
          output: ["y"],
          attribute: [
            { name: "kernel_shape", type: AttributeType.INTS, ints: [s.k, s.k] },
            { name: "strides", type: AttributeType.INTS, ints: [s.stride, s.stride] },
            { name: "pads", type: AttributeType.INTS, ints: [s.pad, s.pad, s.pad, s.pad] },
          ],
        },
      ],
      initializer: [
        {
          name: "w",
          dims: [s.co, s.ci, s.k, s.k],
          data_type: DataType.FLOAT,
          raw_data: new Uint8Array(weights.buffer),
        },
      ],
      input: [{ name: "x", type: tensorType([1, s.ci, s.h, s.w]) }],
      output: [{ name: "y", type: tensorType([1, s.co, oh, ow]) }],
    },
  });
}

/** CPU ms (best of reps) of the native backend's three oneDNN calls for one shape. */
async function nativeMs(addon: DnnlAddon, s: ConvShape, reps: number) {
  const g = convGeometry([1, s.h, s.w, s.ci], [s.k, s.k, s.ci, s.co], {
    strides: s.stride,
    pad: [
      [0, 0],
      [s.pad, s.pad],
      [s.pad, s.pad],
      [0, 0],
    ],
  });
  const fill = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
  const x = fill(s.h * s.w * s.ci);
  const w = fill(s.k * s.k * s.ci * s.co);
  const y = fill((g[4] as number) * (g[5] as number) * s.co);
  const best = (op: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array) =>
    time(reps, async () => addon.conv(op, a, b, out, g));
  return {
    fwd: await best(0, x, w, new Float32Array(y.length)),
    dx: await best(1, y, w, new Float32Array(x.length)),
    dw: await best(2, x, y, new Float32Array(w.length)),
  };
}

async function ortMs(s: ConvShape, threads: number, reps: number): Promise<number> {
  const session = await ort.InferenceSession.create(onnxConv(s), {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
  });
  const x = new ort.Tensor("float32", new Float32Array(s.ci * s.h * s.w).fill(0.5), [
    1,
    s.ci,
    s.h,
    s.w,
  ]);
  const ms = await time(reps, () => session.run({ x }), threads === 1 ? "cpu" : "wall");
  await session.release();
  return ms;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: "string", default: "128" },
      ngf: { type: "string", default: "32" },
      blocks: { type: "string", default: "6" },
      ndf: { type: "string", default: "64" },
      reps: { type: "string", default: "3" },
      ort: { type: "boolean", default: true },
      step: { type: "boolean", default: false },
      compare: { type: "boolean", default: false },
      native: { type: "boolean", default: false },
    },
    allowNegative: true,
  });
  if (values.step) {
    return runStep({
      size: Number(values.size),
      ngf: Number(values.ngf),
      blocks: Number(values.blocks) === 9 ? 9 : 6,
      ndf: Number(values.ndf),
      reps: Number(values.reps),
      compare: values.compare,
      backend: values.native ? "native" : "wasm",
    });
  }
  const size = Number(values.size);
  const reps = Number(values.reps);
  const rt = await initBackend("wasm");
  // oneDNN (the native backend's kernels) on one thread, called directly; null where not built
  const addon = existsSync(ADDON_PATH) ? loadAddon() : null;
  addon?.setThreads(1);
  const g = buildGenerator(`resnet_${values.blocks}blocks`, { ngf: Number(values.ngf) });
  const d = buildDiscriminator("basic", { ndf: Number(values.ndf), nLayersD: 3 });
  const shapes = [...convShapes(g, size, "G"), ...convShapes(d, size, "D")];
  const builtin = replacedWasmKernels.get(tf.Conv2DBackpropInput);
  const maxOld = 2e8;
  const rows: Row[] = [];
  for (const s of shapes) {
    const x = tf.randomNormal([1, s.h, s.w, s.ci]) as tf.Tensor4D;
    const w = tf.randomNormal([s.k, s.k, s.ci, s.co]) as tf.Tensor4D;
    const geometry = {
      strides: [s.stride, s.stride] as [number, number],
      padTop: s.pad,
      padLeft: s.pad,
    };
    const padded = tf.pad(x, [
      [0, 0],
      [s.pad, s.pad],
      [s.pad, s.pad],
      [0, 0],
    ]) as tf.Tensor4D;
    const y = tf.conv2d(padded, w, s.stride, "valid");
    const macs = y.size * s.ci * s.k * s.k;
    const gflops = (ms: number) => (2 * macs) / ms / 1e6;
    const fwdMs = await time(reps, () => tf.conv2d(padded, w, s.stride, "valid"));
    const dxMs = await time(reps, () => convInputGrad(y, w, x.shape, geometry));
    const dwMs = await time(reps, () => convFilterGrad(x, y, [s.k, s.k], geometry));
    const oldDxMs =
      builtin && macs < maxOld
        ? await withKernel(builtin, () =>
            time(1, () => tf.conv2dTranspose(y, w, x.shape, s.stride, s.pad)),
          )
        : null;
    const nat = addon ? await nativeMs(addon, s, reps) : null;
    const ort1 = values.ort ? await ortMs(s, 1, reps) : null;
    const ort2 = values.ort ? await ortMs(s, 2, reps) : null;
    rows.push({
      layer: `${s.label}${s.transposed ? " (T)" : ""}`,
      shape: `${s.h}x${s.w}x${s.ci}->${s.co} k${s.k}s${s.stride}`,
      GMAC: macs / 1e9,
      "fwd GF/s": gflops(fwdMs),
      "dx GF/s": gflops(dxMs),
      "dx old GF/s": oldDxMs === null ? null : gflops(oldDxMs),
      "dW GF/s": gflops(dwMs),
      "native fwd": nat && gflops(nat.fwd),
      "native dx": nat && gflops(nat.dx),
      "native dW": nat && gflops(nat.dw),
      "ort 1t GF/s": ort1 === null ? null : gflops(ort1),
      "ort 2t GF/s": ort2 === null ? null : gflops(ort2),
    });
    tf.dispose([x, w, padded, y]);
  }
  writeReport(
    {
      name: "kernels",
      settings: { ...values, backend: rt.name },
      rows,
      notes: [
        "GF/s = 2 x multiply-adds / time; every column does the same multiply-adds for a row",
        "times: best of --reps; CPU time for single-threaded columns, wall time for ort 2t (load-sensitive)",
        "(T) rows are transposed convs, measured as the conv they transpose",
        "native fwd / dx / dW: GF/s of the native backend's oneDNN calls (native/dnnl-conv), one thread, CPU time, NHWC in place",
        `dx old: the library's wasm Conv2DBackpropInput (one run; skipped above ${maxOld / 1e9} GMAC: too slow)`,
      ],
    },
    { tfjs: tf.version_core, onnxruntime: ort.env.versions.common ?? "" },
  );
}
