/**
 * The state a checkpoint records beside the tensors (counters, random stream,
 * provenance), and saving it. Counters move with the loop; Adam's step counts
 * and the random stream are read from the model at each save.
 */

import type { OpenedRun } from "../model/open-run.ts";
import type { StepRunner } from "../model/step-runner.ts";
import { modelTensors } from "./model-io.ts";
import type { CheckpointState, Counters, DatasetInfo } from "./read.ts";
import { saveCheckpoint } from "./write.ts";

export class RunState {
  /** Where the run is; the loop advances it. */
  readonly counters: Counters;
  private readonly run: OpenedRun;
  private readonly runner: StepRunner;
  private readonly dataset: { length: number; info(): DatasetInfo };
  private readonly backend: string;
  /** Wall seconds of earlier sessions, and when this one began. */
  private readonly wallBefore: number;
  private readonly started = performance.now();
  private savedAt: number;

  constructor(
    run: OpenedRun,
    runner: StepRunner,
    dataset: { length: number; info(): DatasetInfo },
    runtimeName: string,
  ) {
    this.run = run;
    this.runner = runner;
    this.dataset = dataset;
    this.counters = { ...run.counters };
    this.backend = runner.threads === 2 ? `${runtimeName}, two workers per step` : runtimeName;
    this.wallBefore = run.resume?.state.meta.wallSeconds ?? 0;
    this.savedAt = run.resume ? this.counters.totalIters : -1;
  }

  /** Training seconds of the run so far, over every session. */
  seconds(): number {
    return this.wallBefore + (performance.now() - this.started) / 1000;
  }

  /** False when `latest` holds where the run is now. */
  get unsaved(): boolean {
    return this.savedAt !== this.counters.totalIters;
  }

  state(c: Counters = this.counters): CheckpointState {
    const { model } = this.runner;
    const o = this.run.options;
    return {
      options: o,
      counters: { ...c, adamStepG: model.optG.step, adamStepD: model.optD.step },
      rng: model.rng.state(),
      meta: {
        iterations: c.totalIters,
        epochs: c.epoch - o.epoch_count + c.epochIter / this.dataset.length,
        wallSeconds: this.seconds(),
        backend: this.backend,
        date: new Date().toISOString(),
        dataset: this.dataset.info(),
      },
    };
  }

  /** Save `latest` (and `keepAs`, e.g. "epoch_5") with counters `c` (default: where the run is). */
  async save(keepAs?: string, c: Counters = this.counters): Promise<void> {
    await this.runner.sync(true);
    const tensors = modelTensors(this.runner.model);
    await saveCheckpoint({ runDir: this.run.runDir, tensors, state: this.state(c), keepAs });
    this.savedAt = c.totalIters;
  }
}
