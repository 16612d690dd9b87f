/**
 * What a run shows and writes besides checkpoints (the reference's
 * Visualizer): messages and the progress bar, the loss log, sample grids and
 * the run page (checkpoints/NAME/index.html).
 */
import path from "node:path";
import type { Counters } from "../checkpoint/read.ts";
import { LOSS_NAMES, type Visuals } from "../model/cyclegan.ts";
import type { TrainOptions } from "../options.ts";
import { writeGrid } from "./grid.ts";
import { LossLog, type LossRecord } from "./loss-log.ts";
import { gridName, IMAGES_DIR, removeGridsAfter, writePage } from "./page.ts";
import { Progress } from "./progress.ts";

export interface ReporterHooks {
  /** Show the progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** Where messages go when there is no bar (default: stderr). */
  print?: (line: string) => void;
}

export interface RunPlan {
  runDir: string;
  options: TrainOptions;
  /** The iteration a resumed run goes on from; null for a fresh run. */
  resumedAt: number | null;
  /** Iterations when the run ends, and its last epoch. */
  total: number;
  lastEpoch: number;
  backend: string;
}

export class Reporter {
  private readonly bar: Progress;
  private plan: RunPlan | null = null;
  private log: LossLog | null = null;

  constructor(hooks: ReporterHooks) {
    this.bar = new Progress(hooks.progress, hooks.print);
  }

  /** A message above the bar (or on its own line without one). */
  say(line: string): void {
    this.bar.log(line);
  }

  /**
   * Start reporting into the run folder: the loss log (a resumed run keeps the
   * lines up to its iteration) and the grids (later ones are dropped, so the
   * page reads like one run).
   */
  async start(plan: RunPlan, at: number): Promise<void> {
    this.plan = plan;
    this.log = await LossLog.open(path.join(plan.runDir, "loss_log.jsonl"), plan.resumedAt);
    if (this.log.skipped > 0)
      this.say(
        `loss log: dropped ${this.log.skipped} unreadable line(s) (a run stopped while writing one)`,
      );
    if (plan.resumedAt !== null) await removeGridsAfter(plan.runDir, plan.resumedAt);
    this.bar.setTotal(plan.total, at);
  }

  /** Losses of iteration `r.iter`: logged, and shown on the bar (or printed). */
  async losses(r: LossRecord): Promise<void> {
    const { lastEpoch } = this.need();
    await this.log?.append(r);
    const text = LOSS_NAMES.map((n) => `${n} ${r.losses[n].toFixed(3)}`).join(" ");
    if (!this.bar.enabled) this.say(`epoch ${r.epoch} iter ${r.iter}: ${text}`);
    this.bar.tick(r.iter, r.epoch, lastEpoch, text);
  }

  /** An iteration without a loss line. */
  tick(c: Counters): void {
    this.bar.tick(c.totalIters, c.epoch, this.need().lastEpoch);
  }

  /** The sample grid of iteration `c.totalIters`, then the page. */
  async grid(visuals: Visuals, c: Counters): Promise<void> {
    const { runDir, options } = this.need();
    const file = path.join(runDir, IMAGES_DIR, gridName(c.epoch, c.totalIters));
    await writeGrid(visuals, file, options.display_winsize);
    await this.page(c);
  }

  async page(c: Counters): Promise<void> {
    const { runDir, options, lastEpoch, total, backend } = this.need();
    const epoch = c.epoch > lastEpoch ? "finished" : `epoch ${c.epoch} of ${lastEpoch}`;
    await writePage(
      runDir,
      {
        name: options.name,
        status: `${epoch}, iteration ${c.totalIters} of ${total}, ${this.bar.rate().toFixed(2)} it/s, ${backend}, updated ${new Date().toISOString()}`,
        cellWidth: options.display_winsize,
        options,
      },
      this.log?.records ?? [],
    );
  }

  /** After a save: the rate counts training, not writing. */
  resetClock(): void {
    this.bar.resetClock();
  }

  stop(): void {
    this.bar.stop();
  }

  private need(): RunPlan {
    if (!this.plan) throw new Error("Reporter.start() must come first");
    return this.plan;
  }
}
