/**
 * Issue 15's first route, measured: onnxruntime-node sessions as TensorFlow.js
 * kernels. A kernel must return synchronously and `InferenceSession.run` is
 * asynchronous only, so the one way in is a bridge: the kernel copies its
 * input out of the wasm heap into shared memory, wakes a worker thread that
 * owns the session, blocks in `Atomics.wait` until the worker has run it, and
 * copies the result back. The session takes NHWC input and an hwio filter as
 * TensorFlow.js holds them, with Transpose nodes in the graph, since the
 * filter changes every step and cannot be an initializer.
 *
 *   node bench/kernels-ort-bridge.ts [--reps 20]
 *
 * Prints, per conv shape: the session's own run time in the worker, the
 * bridged call as a kernel would see it, and oneDNN's call (the native
 * backend) on the same data, all one thread, wall time, median.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import {
  AttributeType,
  DataType,
  encodeModel,
  IR_VERSION,
  OPSET,
} from "../training/export/proto.ts";
import { ADDON_PATH, convGeometry, loadAddon } from "../training/runtime/native-conv.ts";

interface Shape {
  label: string;
  h: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: number;
}

// The shapes of a 128 px / ngf 32 generator that carry most of its work.
const SHAPES: Shape[] = [
  { label: "res block 34x34x128->128 k3 (valid)", h: 34, ci: 128, co: 128, k: 3, s: 1, pad: 0 },
  { label: "down 128x128x32->64 k3 s2", h: 128, ci: 32, co: 64, k: 3, s: 2, pad: 1 },
  { label: "first 134x134x3->32 k7 (valid)", h: 134, ci: 3, co: 32, k: 7, s: 1, pad: 0 },
];

const out = (sh: Shape) => Math.floor((sh.h + 2 * sh.pad - sh.k) / sh.s) + 1;

/** Conv on NHWC x and an hwio filter, both graph inputs, NHWC out. */
function onnxConvNhwc(sh: Shape): Uint8Array {
  const o = out(sh);
  const type = (d: number[]) => ({
    tensor_type: { elem_type: DataType.FLOAT, shape: { dim: d.map((v) => ({ dim_value: v })) } },
  });
  const perm = (name: string, input: string, output: string, p: number[]) => ({
    name,
    op_type: "Transpose",
    input: [input],
    output: [output],
    attribute: [{ name: "perm", type: AttributeType.INTS, ints: p }],
  });
  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: "", version: OPSET }],
    producer_name: "bench-ort-bridge",
    producer_version: "1",
    metadata_props: [],
    graph: {
      name: "conv",
      node: [
        perm("x_nchw", "x", "xt", [0, 3, 1, 2]),
        perm("w_oihw", "w", "wt", [3, 2, 0, 1]),
        {
          name: "conv",
          op_type: "Conv",
          input: ["xt", "wt"],
          output: ["yt"],
          attribute: [
            { name: "kernel_shape", type: AttributeType.INTS, ints: [sh.k, sh.k] },
            { name: "strides", type: AttributeType.INTS, ints: [sh.s, sh.s] },
            { name: "pads", type: AttributeType.INTS, ints: [sh.pad, sh.pad, sh.pad, sh.pad] },
          ],
        },
        perm("y_nhwc", "yt", "y", [0, 2, 3, 1]),
      ],
      initializer: [],
      input: [
        { name: "x", type: type([1, sh.h, sh.h, sh.ci]) },
        { name: "w", type: type([sh.k, sh.k, sh.ci, sh.co]) },
      ],
      output: [{ name: "y", type: type([1, o, o, sh.co]) }],
    },
  });
}

interface WorkerInit {
  shape: Shape;
  ctrl: SharedArrayBuffer;
  x: SharedArrayBuffer;
  w: SharedArrayBuffer;
  y: SharedArrayBuffer;
}

/** Node has Atomics.waitAsync; this TypeScript lib does not declare it yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { value: Promise<string> | string };
  }
).waitAsync;

/** The worker: owns the session, runs it whenever ctrl[0] is raised, lowers it when done. */
async function serve(init: WorkerInit): Promise<void> {
  const session = await ort.InferenceSession.create(onnxConvNhwc(init.shape), {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const ctrl = new Int32Array(init.ctrl);
  const sh = init.shape;
  const x = new ort.Tensor("float32", new Float32Array(init.x), [1, sh.h, sh.h, sh.ci]);
  const w = new ort.Tensor("float32", new Float32Array(init.w), [sh.k, sh.k, sh.ci, sh.co]);
  const y = new Float32Array(init.y);
  const runMs: number[] = [];
  parentPort?.postMessage("ready");
  // A pending Atomics.waitAsync does not keep a thread's event loop alive; this timer does.
  const alive = setInterval(() => {}, 2 ** 30);
  for (;;) {
    await waitAsync(ctrl, 0, 0).value;
    if (Atomics.load(ctrl, 0) === 2) break;
    const t0 = performance.now();
    const r = await session.run({ x, w });
    runMs.push(performance.now() - t0);
    y.set(r.y?.data as Float32Array);
    Atomics.store(ctrl, 0, 0);
    Atomics.notify(ctrl, 0);
  }
  clearInterval(alive);
  parentPort?.postMessage(runMs);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function measure(sh: Shape, reps: number) {
  const o = out(sh);
  const sizes = [sh.h * sh.h * sh.ci, sh.k * sh.k * sh.ci * sh.co, o * o * sh.co];
  const [xs, ws, ys] = sizes.map((n) => new SharedArrayBuffer(4 * n)) as SharedArrayBuffer[];
  const ctrl = new SharedArrayBuffer(4);
  const init: WorkerInit = {
    shape: sh,
    ctrl,
    x: xs as SharedArrayBuffer,
    w: ws as SharedArrayBuffer,
    y: ys as SharedArrayBuffer,
  };
  const worker = new Worker(new URL(import.meta.url), { workerData: init });
  await new Promise((resolve) => worker.once("message", resolve));
  // What a kernel holds: its tensors in the wasm heap (here plain arrays of the same sizes).
  const heap = sizes.map((n) => new Float32Array(n).map(() => Math.random() - 0.5));
  const [hx, hw, hy] = heap as [Float32Array, Float32Array, Float32Array];
  const c = new Int32Array(ctrl);
  const bridged: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    new Float32Array(xs as SharedArrayBuffer).set(hx);
    new Float32Array(ws as SharedArrayBuffer).set(hw);
    Atomics.store(c, 0, 1);
    Atomics.notify(c, 0);
    Atomics.wait(c, 0, 1); // the kernel blocks here: synchronous, as registerKernel requires
    hy.set(new Float32Array(ys as SharedArrayBuffer));
    if (r >= 2) bridged.push(performance.now() - t0);
  }
  Atomics.store(c, 0, 2);
  Atomics.notify(c, 0);
  const runMs = (await new Promise((resolve) => worker.once("message", resolve))) as number[];
  await worker.terminate();
  let native: number | null = null;
  if (existsSync(ADDON_PATH)) {
    const addon = loadAddon();
    addon.setThreads(1);
    const g = convGeometry([1, sh.h, sh.h, sh.ci], [sh.k, sh.k, sh.ci, sh.co], {
      strides: sh.s,
      pad: [
        [0, 0],
        [sh.pad, sh.pad],
        [sh.pad, sh.pad],
        [0, 0],
      ],
    });
    const times: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      const t0 = performance.now();
      addon.conv(0, hx, hw, hy, g);
      if (r >= 2) times.push(performance.now() - t0);
    }
    native = median(times);
  }
  const gflop = (2 * o * o * sh.co * sh.ci * sh.k * sh.k) / 1e9;
  return { run: median(runMs.slice(2)), bridged: median(bridged), native, gflop };
}

if (!isMainThread) {
  await serve(workerData as WorkerInit);
} else if (import.meta.main) {
  const { values } = parseArgs({ options: { reps: { type: "string", default: "20" } } });
  const reps = Number(values.reps);
  console.log(
    "| conv (forward) | GFLOP | ORT run in worker ms | bridged kernel call ms | bridge overhead ms | oneDNN call ms | GF/s ORT bridged | GF/s oneDNN |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const sh of SHAPES) {
    const m = await measure(sh, reps);
    const f = (v: number | null) => (v === null ? "-" : v.toFixed(2));
    console.log(
      `| ${sh.label} | ${m.gflop.toFixed(3)} | ${f(m.run)} | ${f(m.bridged)} | ${f(m.bridged - m.run)} | ${f(m.native)} | ${(m.gflop / (m.bridged / 1e3)).toFixed(1)} | ${m.native === null ? "-" : (m.gflop / (m.native / 1e3)).toFixed(1)} |`,
    );
  }
}
