/**
 * Can a second core help the WebAssembly backend in Node? (An experiment, not
 * a product path.) tfjs-backend-wasm 4.22 ships a threaded XNNPACK build, but
 * Node never gets it: WASM_HAS_MULTITHREAD_SUPPORT is false there; forcing it
 * fails because the pthread workers are started from blob: URLs, which Node's
 * worker_threads reject; and XNNPACK's pool is capped at logical cores / 2.
 * This starts it anyway with a Worker shim (blob text delivered as eval'd code)
 * and a doubled os.cpus() during init, then times conv + GEMM kernels and a
 * whole CycleGAN step at 1 and 2 threads, each count in a fresh process,
 * alternating. The shim leans on the bundle's internals; results are for the report.
 *
 *   node bench/cli.ts wasm-threads --rounds 3
 *
 * (options straight after the name: after a `--`, parseArgs rejects them)
 */

import { resolveObjectURL } from "node:buffer";
import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker as NodeWorker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { type Row, writeReport } from "./report.ts";

/** Worker-side bootstrap: receive the worker script, then the module script for importScripts. */
const BOOT = `
const { parentPort } = require("worker_threads");
Object.assign(globalThis, { require$$0: require("fs"), require$$1: require("path"),
  require$$3: require("perf_hooks"), require$$4: require("os"), commonjsGlobal: globalThis });
let pending = null;
parentPort.once("message", (first) => {
  (0, eval)(first.code);
  const load = globalThis.importScripts;
  globalThis.importScripts = (f) => {
    if (pending === null) return load(f);
    const s = pending; pending = null; (0, eval)(s);
  };
  parentPort.on("message", (m) => { if (m && m.script !== undefined) pending = m.script; });
});`;

/** A worker_threads Worker that accepts the blob: URLs the wasm backend hands out. */
class BlobWorker extends NodeWorker {
  private chain: Promise<void>;
  private queued = 0;
  private started = false;
  constructor(url: string) {
    super(BOOT, { eval: true });
    const blob = resolveObjectURL(url);
    if (!blob) throw new Error(`no blob behind ${url}`);
    this.chain = blob.text().then((code) => {
      super.postMessage({ code });
      this.started = true;
    });
  }
  override postMessage(msg: unknown, transfer?: readonly Transferable[]): void {
    const m = msg as { cmd?: string; urlOrBlob?: unknown } | null;
    const blob = m?.cmd === "load" && m.urlOrBlob instanceof Blob ? m.urlOrBlob : null;
    // Synchronous once started: the main thread may block on a pthread it just posted to.
    if (this.started && this.queued === 0 && blob === null) {
      super.postMessage(msg, transfer as never);
      return;
    }
    this.queued++;
    this.chain = this.chain.then(async () => {
      if (blob !== null) super.postMessage({ script: await blob.text() });
      super.postMessage(blob !== null ? { ...m, urlOrBlob: "inline" } : msg, transfer as never);
      this.queued--;
    });
  }
}

async function child(threads: number): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const { initBackend } = await import("../training/runtime/backend.ts");
  const { trainerStep } = await import("./trainer-step.ts");
  Object.defineProperty(globalThis, "Worker", {
    get: () => BlobWorker,
    set: () => {},
    configurable: true,
  });
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  wasm.setThreadsCount(threads);
  const cpus = os.cpus;
  os.cpus = () => [...cpus(), ...cpus()];
  const rt = await initBackend("wasm");
  os.cpus = cpus;
  const x = tf.randomNormal([1, 66, 66, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const a = tf.randomNormal([1152, 1024]) as tf.Tensor2D;
  const b = tf.randomNormal([1024, 128]) as tf.Tensor2D;
  const kernels = () =>
    tf.tidy(() => {
      for (const t of [tf.conv2d(x, w, 1, "valid"), tf.matMul(a, b)]) t.dataSync();
    });
  kernels();
  let t0 = performance.now();
  for (let i = 0; i < 20; i++) kernels();
  const gflops =
    (20 * 2 * (64 * 64 * 64 * 64 * 9 + 1152 * 1024 * 128)) / 1e9 / ((performance.now() - t0) / 1e3);
  const step = trainerStep({ ngf: 16, blocks: 6, ndf: 64, ops: rt.ops });
  const img = () => tf.randomUniform([1, 64, 64, 3], -1, 1) as tf.Tensor4D;
  const [ia, ib] = [img(), img()];
  step.run(ia, ib);
  t0 = performance.now();
  step.run(ia, ib);
  step.run(ia, ib);
  const stepS = (performance.now() - t0) / 2e3;
  console.log(JSON.stringify({ backend: rt.name, gflops, stepS }));
  process.exit(0);
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { rounds: { type: "string", default: "3" } },
  });
  const rows: Row[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const threads of [1, 2]) {
      const out = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--child", String(threads)],
        {
          encoding: "utf8",
          timeout: 120_000,
        },
      );
      const line = out.stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line) throw new Error(`threads ${threads}: no result (${out.stderr.slice(-500)})`);
      const res = JSON.parse(line) as { backend: string; gflops: number; stepS: number };
      rows.push({
        round: r + 1,
        backend: res.backend,
        "conv+GEMM GFLOP/s": res.gflops,
        "64px step s (wall)": res.stepS,
        load: os.loadavg()[0] ?? null,
      });
    }
  }
  writeReport({
    name: "wasm-threads",
    settings: { rounds: values.rounds },
    rows,
    notes: [
      "wall times: only meaningful on an otherwise idle machine (load = 1-minute load average)",
    ],
  });
}

const childAt = process.argv.indexOf("--child");
if (childAt > 0) await child(Number(process.argv[childAt + 1]));
