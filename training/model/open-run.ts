/**
 * Opening a run: a fresh one in a folder that holds none, or, with
 * --continue_train, the checkpoint --epoch names with the options it was
 * saved with; the command line may change any of them but those that fix
 * tensor shapes or the domains (FIXED_ON_RESUME).
 */
import { access, mkdir } from "node:fs/promises";
import path from "node:path";
import {
  type Checkpoint,
  type Counters,
  checkpointFile,
  readCheckpoint,
} from "../checkpoint/read.ts";
import { writeRunOptions } from "../checkpoint/write.ts";
import { checkTrainOptions, FIXED_ON_RESUME, type Parsed, type TrainOptions } from "../options.ts";
import { IMAGES_DIR } from "../report/page.ts";

export interface OpenedRun {
  runDir: string;
  /** The options in force: the command line's, or the checkpoint's with the command line on top. */
  options: TrainOptions;
  /** The checkpoint resumed from; null for a fresh run. */
  resume: Checkpoint | null;
  /** Where the run stands: the checkpoint's counters, or the start of --epoch_count. */
  counters: Counters;
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

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** Reads what the run starts from; writes nothing (a run that fails to start leaves no folder). */
export async function openRun(parsed: Parsed<TrainOptions>): Promise<OpenedRun> {
  const given = parsed.options;
  const runDir = path.join(given.checkpoints_dir, given.name);
  if (!given.continue_train) {
    if (await exists(checkpointFile(runDir, "latest")))
      throw new Error(
        `${runDir} already holds a run; add --continue_train to resume it, or pick another --name`,
      );
    const counters = {
      epoch: given.epoch_count,
      epochIter: 0,
      totalIters: 0,
      adamStepG: 0,
      adamStepD: 0,
    };
    return { runDir, options: given, resume: null, counters };
  }
  const resume = await readCheckpoint(checkpointFile(runDir, given.epoch));
  const options = resumeOptions(resume.state.options, parsed);
  return { runDir, options, resume, counters: { ...resume.state.counters } };
}

/** The run folder with its images/ and the options in force (train_opt.json). */
export async function createRunFolder(run: OpenedRun): Promise<void> {
  await mkdir(path.join(run.runDir, IMAGES_DIR), { recursive: true });
  await writeRunOptions(run.runDir, run.options);
}
