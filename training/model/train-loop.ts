/**
 * The training loop (the reference's train.py): epochs from --epoch_count to
 * n_epochs + n_epochs_decay, one CycleGAN step per batch, losses every
 * --print_freq, sample grids every --display_freq, `latest` every
 * --save_latest_freq iterations and kept checkpoints every --save_epoch_freq
 * epochs. With --continue_train everything (weights, Adam, pools, random
 * streams, data position) comes back from the checkpoint, so the run goes on
 * exactly as if it had never stopped.
 */
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { type Counters, checkpointFile } from "../checkpoint/read.ts";
import { RunState } from "../checkpoint/run-state.ts";
import { epochBatches } from "../data/loader.ts";
import type { Image } from "../data/preprocess.ts";
import { UnalignedDataset } from "../data/unaligned.ts";
import { countParams } from "../networks/spec.ts";
import type { Parsed, TrainOptions } from "../options.ts";
import { Reporter, type ReporterHooks } from "../report/reporter.ts";
import { initBackend, type Runtime } from "../runtime/backend.ts";
import { createRunFolder, openRun } from "./open-run.ts";
import { lrFactor } from "./schedule.ts";
import { startModel } from "./step-runner.ts";

export interface TrainHooks extends ReporterHooks {
  /** A backend already initialised (tests, benchmarks); otherwise --backend is loaded. */
  runtime?: Runtime;
  /** Stop (saving `latest`) after this many iterations in this session. */
  maxIters?: number;
  /** Stop (saving `latest`) at the next iteration boundary, e.g. on Ctrl-C. */
  signal?: AbortSignal;
  /** Called after each iteration's logging and saving (benchmarks time iterations with it). */
  onIteration?: (iteration: number) => void;
}

export interface TrainResult {
  runDir: string;
  options: TrainOptions;
  counters: Counters;
  backend: string;
}

function stack(images: Image[]): tf.Tensor4D {
  const { width, height } = images[0] as Image;
  if (images.some((im) => im.width !== width || im.height !== height)) {
    throw new Error(
      "images of one batch differ in size; use --batch_size 1 or a --preprocess mode that crops",
    );
  }
  const data = new Float32Array(images.length * width * height * 3);
  for (const [i, im] of images.entries()) data.set(im.data, i * im.data.length);
  return tf.tensor4d(data, [images.length, height, width, 3]);
}

/** Iterations when the run ends, counted from where it is (a resume may change --batch_size). */
function totalIterations(c: Counters, o: TrainOptions, datasetLength: number): number {
  const perEpoch = Math.ceil(datasetLength / o.batch_size);
  const lastEpoch = o.n_epochs + o.n_epochs_decay;
  const left = (lastEpoch - c.epoch + 1) * perEpoch - Math.ceil(c.epochIter / o.batch_size);
  return c.totalIters + Math.max(0, left);
}

export async function train(
  parsed: Parsed<TrainOptions>,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const run = await openRun(parsed);
  const { runDir, options: o, resume } = run;
  const report = new Reporter(hooks);
  const runtime = hooks.runtime ?? (await initBackend(o.backend));
  report.say(`backend: ${runtime.name}`);
  const ds = await UnalignedDataset.open(o, (file, why) => report.say(`skipping ${file}: ${why}`));
  const runner = await startModel(o, runtime, resume);
  const { model } = runner;
  try {
    if (runner.threads === 2)
      report.say("step: two workers (A and B halves of each step on two cores)");
    await createRunFolder(run);
    const state = new RunState(run, runner, ds, runtime.name);
    const counters = state.counters;
    const lastEpoch = o.n_epochs + o.n_epochs_decay;
    const total = totalIterations(counters, o, ds.length);
    const resumedAt = resume ? counters.totalIters : null;
    const plan = { runDir, options: o, resumedAt, total, lastEpoch, backend: runtime.name };
    await report.start(plan, counters.totalIters);
    report.say(
      `data: ${ds.filesA.length} A and ${ds.filesB.length} B images from ${o.dataroot}; ` +
        `generator ${o.netG} (${countParams(model.specs.G_A).toLocaleString("en")} parameters), ` +
        `discriminator ${o.netD} (${countParams(model.specs.D_A).toLocaleString("en")})`,
    );
    report.say(`run folder: ${runDir} (open ${path.join(runDir, "index.html")} in a browser)`);
    if (resume)
      report.say(
        `resumed from ${resume.file} at epoch ${counters.epoch}, iteration ${counters.totalIters}`,
      );
    const save = async (keepAs?: string, c?: Counters) => {
      await state.save(keepAs, c);
      report.resetClock();
    };

    let steps = 0;
    const stopNow = () =>
      hooks.signal?.aborted || (hooks.maxIters !== undefined && steps >= hooks.maxIters);
    training: for (; counters.epoch <= lastEpoch; counters.epoch++, counters.epochIter = 0) {
      const lr = o.lr * lrFactor(counters.epoch, o);
      model.setLearningRate(lr);
      const fromStart = counters.epochIter === 0;
      let batches = 0;
      for await (const batch of epochBatches(
        ds,
        counters.epoch,
        counters.epochIter,
        o.batch_size,
        o.prefetch,
      )) {
        if (stopNow()) break training;
        batches++;
        await runner.optimize(
          stack(batch.samples.map((s) => s.A)),
          stack(batch.samples.map((s) => s.B)),
        );
        counters.totalIters++;
        counters.epochIter = batch.next;
        steps++;
        const it = counters.totalIters;
        if (it % o.print_freq === 0) {
          await runner.sync(false);
          const { epoch, epochIter } = counters;
          const losses = await model.losses();
          await report.losses({ iter: it, epoch, epochIter, lr, seconds: state.seconds(), losses });
        } else report.tick(counters);
        if (it % o.display_freq === 0) {
          await runner.sync(true);
          await report.grid(model.visuals(), counters);
        }
        if (it % o.save_latest_freq === 0) await save(o.save_by_iter ? `iter_${it}` : undefined);
        hooks.onIteration?.(it);
      }
      if (fromStart && batches === 0 && !stopNow())
        throw new Error(
          `epoch ${counters.epoch} gave no training batch: no image pair could be loaded (see the skipped files above)`,
        );
      if (counters.epoch % o.save_epoch_freq === 0) {
        // Saved as "the next epoch, at its start", so a resume begins there.
        await save(`epoch_${counters.epoch}`, {
          ...counters,
          epoch: counters.epoch + 1,
          epochIter: 0,
        });
        report.say(`saved epoch ${counters.epoch} (${counters.totalIters} iterations)`);
      }
    }
    if (state.unsaved) await save();
    await report.page(counters);
    report.stop();
    report.say(
      `saved ${checkpointFile(runDir, "latest")} at epoch ${counters.epoch}, iteration ${counters.totalIters}`,
    );
    return { runDir, options: o, counters: state.state().counters, backend: runtime.name };
  } finally {
    report.stop();
    await runner.close();
  }
}
