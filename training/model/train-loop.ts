/**
 * The training loop (the reference's train.py): epochs from --epoch_count to
 * n_epochs + n_epochs_decay, one CycleGAN step per batch, losses every
 * --print_freq, sample grids every --display_freq, `latest` every
 * --save_latest_freq iterations and kept checkpoints every --save_epoch_freq
 * epochs. With --continue_train everything (weights, Adam, pools, random
 * streams, data position) comes back from the checkpoint, so the run goes on
 * exactly as if it had never stopped.
 */
import { access, mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { modelTensors, restoreModel } from "../checkpoint/model-io.ts";
import {
  type CheckpointState,
  type Counters,
  checkpointFile,
  readCheckpoint,
} from "../checkpoint/read.ts";
import { saveCheckpoint, writeRunOptions } from "../checkpoint/write.ts";
import { epochBatches } from "../data/loader.ts";
import type { Image } from "../data/preprocess.ts";
import { UnalignedDataset } from "../data/unaligned.ts";
import { countParams } from "../networks/spec.ts";
import { checkTrainOptions, FIXED_ON_RESUME, type Parsed, type TrainOptions } from "../options.ts";
import { writeGrid } from "../report/grid.ts";
import { LossLog } from "../report/loss-log.ts";
import { gridName, IMAGES_DIR, removeGridsAfter, writePage } from "../report/page.ts";
import { Progress } from "../report/progress.ts";
import { initBackend, type Runtime } from "../runtime/backend.ts";
import { CycleGAN, LOSS_NAMES } from "./cyclegan.ts";
import { lrFactor } from "./schedule.ts";
import { WorkerPair } from "./two-workers/pair.ts";
import { SplitCycleGAN } from "./two-workers/split-model.ts";

export interface TrainHooks {
  /** A backend already initialised (tests, benchmarks); otherwise --backend is loaded. */
  runtime?: Runtime;
  /** Stop (saving `latest`) after this many iterations in this session. */
  maxIters?: number;
  /** Stop (saving `latest`) at the next iteration boundary, e.g. on Ctrl-C. */
  signal?: AbortSignal;
  /** Show the progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** Where messages go when there is no bar (default: stderr). */
  print?: (line: string) => void;
  /** Called after each iteration's logging and saving (benchmarks time iterations with it). */
  onIteration?: (iteration: number) => void;
}

export interface TrainResult {
  runDir: string;
  options: TrainOptions;
  counters: Counters;
  backend: string;
}

/** Options of a resumed run: the saved ones, with what the command line set on top. */
function resumeOptions(saved: TrainOptions, parsed: Parsed<TrainOptions>): TrainOptions {
  const merged: Record<string, unknown> = { ...saved };
  for (const key of parsed.explicit) {
    const given = parsed.options[key];
    const why = (FIXED_ON_RESUME as Partial<Record<string, string>>)[key];
    if (why && given !== saved[key])
      throw new Error(
        `--${key} ${given} differs from the checkpoint's ${saved[key]}; it cannot change on resume: ${why}`,
      );
    merged[key] = given;
  }
  const o = Object.freeze({ ...merged, continue_train: true }) as TrainOptions;
  checkTrainOptions(o);
  return o;
}

/** Two workers per step (two-workers/) where they pay: wasm runs one thread per instance. */
function stepThreads(o: TrainOptions, runtime: Runtime): 1 | 2 {
  if (runtime.backend !== "wasm") {
    if (o.threads === "2")
      throw new Error(`--threads 2 needs the wasm backend, not ${runtime.name}`);
    return 1;
  }
  if (o.threads === "auto") return availableParallelism() >= 2 ? 2 : 1;
  return o.threads === "2" ? 2 : 1;
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

export async function train(
  parsed: Parsed<TrainOptions>,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const given = parsed.options;
  const runDir = path.join(given.checkpoints_dir, given.name);
  const latest = checkpointFile(runDir, "latest");
  const resume = given.continue_train
    ? await readCheckpoint(checkpointFile(runDir, given.epoch))
    : null;
  if (
    !resume &&
    (await access(latest).then(
      () => true,
      () => false,
    ))
  ) {
    throw new Error(
      `${runDir} already holds a run; add --continue_train to resume it, or pick another --name`,
    );
  }
  const o = resume ? resumeOptions(resume.state.options, parsed) : given;
  const bar = new Progress(hooks.progress, hooks.print);
  const say = (line: string) => bar.log(line);
  const runtime = hooks.runtime ?? (await initBackend(o.backend));
  say(`backend: ${runtime.name}`);
  const ds = await UnalignedDataset.open(o, (file, why) => say(`skipping ${file}: ${why}`));
  const split = stepThreads(o, runtime) === 2;
  const model = split ? new SplitCycleGAN(o, runtime.ops) : new CycleGAN(o, runtime.ops);
  let pair: WorkerPair | null = null;
  try {
    if (resume) await restoreModel(model, resume);
    if (model instanceof SplitCycleGAN) {
      pair = await WorkerPair.start(model, o, "wasm", runtime.kernels);
      say("step: two workers (A and B halves of each step on two cores)");
    }
    await mkdir(path.join(runDir, IMAGES_DIR), { recursive: true });
    await writeRunOptions(runDir, o);
    const counters: Counters = resume
      ? { ...resume.state.counters }
      : { epoch: o.epoch_count, epochIter: 0, totalIters: 0, adamStepG: 0, adamStepD: 0 };
    const log = await LossLog.open(
      path.join(runDir, "loss_log.jsonl"),
      resume ? counters.totalIters : null,
    );
    if (log.skipped > 0)
      say(`loss log: dropped ${log.skipped} unreadable line(s) (a run stopped while writing one)`);
    if (resume) await removeGridsAfter(runDir, counters.totalIters);

    const lastEpoch = o.n_epochs + o.n_epochs_decay;
    const perEpoch = Math.ceil(ds.length / o.batch_size);
    // Counted from where the run is, so a resume with another --batch_size or dataset size still adds up.
    const total =
      counters.totalIters +
      Math.max(
        0,
        (lastEpoch - counters.epoch + 1) * perEpoch - Math.ceil(counters.epochIter / o.batch_size),
      );
    const wallBefore = resume?.state.meta.wallSeconds ?? 0;
    const started = performance.now();
    bar.setTotal(total, counters.totalIters);
    say(
      `data: ${ds.filesA.length} A and ${ds.filesB.length} B images from ${o.dataroot}; ` +
        `generator ${o.netG} (${countParams(model.specs.G_A).toLocaleString("en")} parameters), ` +
        `discriminator ${o.netD} (${countParams(model.specs.D_A).toLocaleString("en")})`,
    );
    say(`run folder: ${runDir} (open ${path.join(runDir, "index.html")} in a browser)`);
    if (resume)
      say(
        `resumed from ${resume.file} at epoch ${counters.epoch}, iteration ${counters.totalIters}`,
      );

    const state = (c: Counters): CheckpointState => ({
      options: o,
      counters: { ...c, adamStepG: model.optG.step, adamStepD: model.optD.step },
      rng: model.rng.state(),
      meta: {
        iterations: c.totalIters,
        epochs: c.epoch - o.epoch_count + c.epochIter / ds.length,
        wallSeconds: wallBefore + (performance.now() - started) / 1000,
        backend: pair ? `${runtime.name}, two workers per step` : runtime.name,
        date: new Date().toISOString(),
        dataset: ds.info(),
      },
    });
    let savedAt = resume ? counters.totalIters : -1;
    /** Save with counters `c` (default: where the run is now). */
    const save = async (keepAs?: string, c: Counters = counters) => {
      await pair?.sync(true);
      await saveCheckpoint({ runDir, tensors: modelTensors(model), state: state(c), keepAs });
      savedAt = c.totalIters;
      bar.resetClock();
    };
    const page = () =>
      writePage(
        runDir,
        {
          name: o.name,
          status: `${counters.epoch > lastEpoch ? "finished" : `epoch ${counters.epoch} of ${lastEpoch}`}, iteration ${counters.totalIters} of ${total}, ${bar.rate().toFixed(2)} it/s, ${runtime.name}, updated ${new Date().toISOString()}`,
          cellWidth: o.display_winsize,
          options: o,
        },
        log.records,
      );

    let stepsThisSession = 0;
    const stopNow = () =>
      hooks.signal?.aborted || (hooks.maxIters !== undefined && stepsThisSession >= hooks.maxIters);
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
        const [A, B] = [stack(batch.samples.map((s) => s.A)), stack(batch.samples.map((s) => s.B))];
        model.setInput(A, B);
        if (pair) await pair.optimize(A, B);
        else model.optimizeParameters();
        counters.totalIters++;
        counters.epochIter = batch.next;
        stepsThisSession++;
        const it = counters.totalIters;
        if (it % o.print_freq === 0) {
          await pair?.sync(false);
          const losses = await model.losses();
          const seconds = wallBefore + (performance.now() - started) / 1000;
          await log.append({
            iter: it,
            epoch: counters.epoch,
            epochIter: counters.epochIter,
            lr,
            seconds,
            losses,
          });
          const text = LOSS_NAMES.map((n) => `${n} ${losses[n].toFixed(3)}`).join(" ");
          if (!bar.enabled) say(`epoch ${counters.epoch} iter ${it}: ${text}`);
          bar.tick(it, counters.epoch, lastEpoch, text);
        } else bar.tick(it, counters.epoch, lastEpoch);
        if (it % o.display_freq === 0) {
          await pair?.sync(true);
          await writeGrid(
            model.visuals(),
            path.join(runDir, IMAGES_DIR, gridName(counters.epoch, it)),
            o.display_winsize,
          );
          await page();
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
        const next = { ...counters, epoch: counters.epoch + 1, epochIter: 0 };
        await save(`epoch_${counters.epoch}`, next);
        say(`saved epoch ${counters.epoch} (${counters.totalIters} iterations)`);
      }
    }
    if (savedAt !== counters.totalIters) await save();
    await page();
    bar.stop();
    say(`saved ${latest} at epoch ${counters.epoch}, iteration ${counters.totalIters}`);
    return { runDir, options: o, counters: state(counters).counters, backend: runtime.name };
  } finally {
    bar.stop();
    await pair?.close();
    model.dispose();
  }
}
