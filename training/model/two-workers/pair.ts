/**
 * A CycleGAN step on two CPU cores. The WebAssembly backend runs one thread
 * in Node (docs/training-runtime.md#threads), so the step itself is split: this
 * thread runs side A (the A cycle, idt_A, D_A) on the main model (a
 * SplitCycleGAN), a worker_threads worker runs side B (the B cycle, idt_B,
 * D_B) on its own copy.
 * Each side computes its share of the generator gradients; they swap shares,
 * both add them (a + b == b + a bit for bit) and take the same Adam step, so
 * the generators stay identical. Each discriminator lives on one side; both
 * sides advance both pools' shared random stream. Before anything reads the
 * model (losses, sample grids, checkpoints) `sync` copies side B's part back,
 * so checkpoints, resume and the rest of the loop see one ordinary CycleGAN.
 *
 * The result equals the one-thread step up to float rounding (the gradient
 * terms are added in another order); tests/training/two-workers.test.ts.
 *
 * Files: split-model.ts (the model's two halves), messages.ts (what crosses
 * threads), side-worker.ts (the worker), mailbox.ts (in-order receipt).
 */
import { Worker } from "node:worker_threads";
import type * as tf from "@tensorflow/tfjs-core";
import type { TrainOptions } from "../../options.ts";
import type { BackendChoice } from "../../runtime/backend.ts";
import { disposeGrads } from "../adam.ts";
import { Mailbox } from "./mailbox.ts";
import {
  addGrads,
  assignVariables,
  type FromWorker,
  type FullState,
  modelVariables,
  type PackedMap,
  pack,
  packGrads,
  packVariables,
  type ToWorker,
  unpack,
} from "./messages.ts";
import { SIDES, type SplitCycleGAN } from "./split-model.ts";

export class WorkerPair {
  private readonly worker: Worker;
  private readonly model: SplitCycleGAN;
  private readonly mail = new Mailbox<FromWorker>();
  private failure: Error | null = null;
  /** What the model already holds of side B since the last step (a save after a grid re-sends nothing). */
  private synced: "nothing" | "losses" | "full" = "full";

  private constructor(model: SplitCycleGAN, worker: Worker) {
    this.model = model;
    this.worker = worker;
    worker.on("message", (m: FromWorker) => this.deliver(m));
    worker.on("error", (e) => this.fail(e));
    worker.on("exit", (code) =>
      this.fail(new Error(`the side-B training worker exited (${code})`)),
    );
  }

  /** Start the worker with the model's current state (fresh or just restored). */
  static async start(
    model: SplitCycleGAN,
    options: TrainOptions,
    backend: BackendChoice,
    kernels: "fast" | "baseline",
  ): Promise<WorkerPair> {
    // From the sources, or next to a bundle (bench/gpu-bundle.ts builds side-worker.mjs).
    const file = import.meta.url.endsWith(".ts") ? "./side-worker.ts" : "./side-worker.mjs";
    const worker = new Worker(new URL(file, import.meta.url));
    const pair = new WorkerPair(model, worker);
    try {
      const state: FullState = {
        variables: packVariables(modelVariables(model)),
        pools: {
          A: model.poolA.images().map(pack),
          B: model.poolB.images().map(pack),
        },
        rng: model.rng.state(),
        adamStepG: model.optG.step,
        adamStepD: model.optD.step,
      };
      pair.send({ type: "init", options, backend, kernels, state });
      await pair.expect("ready");
    } catch (e) {
      // The caller never gets the pair to close: a live worker would keep the process running.
      await pair.close();
      throw e;
    }
    return pair;
  }

  /** One step; the model already holds the batch (setInput). */
  async optimize(A: tf.Tensor4D, B: tf.Tensor4D): Promise<void> {
    this.synced = "nothing";
    this.send({ type: "step", lr: this.model.optG.lr, A: pack(A), B: pack(B) });
    try {
      const own = this.model.sideGradients("A");
      let theirs: PackedMap;
      try {
        this.send({ type: "grads", grads: packGrads(own) });
        theirs = (await this.expect("grads")).grads;
      } catch (e) {
        disposeGrads(own);
        throw e;
      }
      this.model.finishSide("A", addGrads(own, theirs));
      await this.expect("stepped");
    } catch (e) {
      // The worker is left mid-step: any later message would break the protocol.
      this.failure ??= e as Error;
      throw e;
    }
  }

  /**
   * Copy side B's losses into the model; with `full`, also D_B, its Adam
   * moments, the pool of fake A images and the B visuals (for grids and checkpoints).
   */
  async sync(full: boolean): Promise<void> {
    if (this.synced === "full" || (!full && this.synced === "losses")) return;
    this.send({ type: "sync", full });
    const r = await this.expect("synced");
    const visuals = (r.visuals ?? []).map((p) => unpack(p) as tf.Tensor4D);
    if (full) {
      assignVariables(modelVariables(this.model, SIDES.B.D), r.variables ?? {});
      this.model.poolA.restore((r.pool ?? []).map((p) => unpack(p) as tf.Tensor4D));
      this.model.adoptSide("B", visuals, r.losses);
    } else this.model.adoptSide("B", [], r.losses);
    this.synced = full ? "full" : "losses";
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }

  private send(m: ToWorker): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(m);
  }

  private deliver(m: FromWorker): void {
    if (m.type === "error") {
      this.fail(new Error(`side-B training worker: ${m.message}`));
      return;
    }
    this.mail.put(m);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.mail.put({ type: "error", message: e.message }); // wakes a reader waiting in expect()
  }

  private async expect<T extends FromWorker["type"]>(
    type: T,
  ): Promise<Extract<FromWorker, { type: T }>> {
    // a failure is final: what is still queued behind it is not read
    const m = this.failure
      ? ({ type: "error", message: this.failure.message } as const)
      : await this.mail.next();
    if (m.type === "error") throw this.failure ?? new Error(m.message);
    if (m.type !== type) throw new Error(`two-worker protocol: expected ${type}, got ${m.type}`);
    return m as Extract<FromWorker, { type: T }>;
  }
}
