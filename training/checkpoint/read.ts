/**
 * Reading trainer checkpoints without TensorFlow.js (the exporter's entry point).
 *
 * Layout of a run folder `checkpoints/NAME/`:
 *   train_opt.json          the options of the run (the latest ones on resume)
 *   latest.safetensors      the newest checkpoint (replaced atomically)
 *   epoch_<N>.safetensors   kept every --save_epoch_freq epochs
 *   iter_<N>.safetensors    kept every --save_latest_freq iterations with --save_by_iter
 *   loss_log.jsonl, index.html, images/   feedback (training/report/)
 *
 * Each checkpoint is one safetensors file (see safetensors.ts) holding float32 tensors:
 *   G_A/<key>, G_B/<key>, D_A/<key>, D_B/<key>   weights, PyTorch layout, reference
 *                                               state-dict keys (`G_A/model.1.weight`)
 *   adam_G/m/G_A/<key>, adam_G/v/G_A/<key>, ... Adam moments (same layout; adam_D for D_A/D_B)
 *   pool_A/<i>, pool_B/<i>                      image pools, NHWC [1, h, w, 3] in [-1, 1]
 *                                               (pool_A: generated A images, shown to D_B)
 * and `__metadata__.state`: JSON of CheckpointState (options, counters, RNG state, meta).
 * G_A maps the run's source domain to its target: A -> B, or B -> A with --direction BtoA.
 */
import path from "node:path";
// Types only: reading a checkpoint needs no TensorFlow.js.
import type { GeneratorName, NetName } from "../model/cyclegan.ts";
import type { RngState } from "../model/rng.ts";
import { buildGenerator } from "../networks/index.ts";
import type { NetworkSpec } from "../networks/spec.ts";
import { type TrainOptions, trainOptionsFromJson } from "../options.ts";
import { readHeader, readTensors, type SafetensorsHeader, type TensorData } from "./safetensors.ts";

export const FORMAT = "unpaired-cyclegan-checkpoint";
export const FORMAT_VERSION = "1";

export interface DatasetInfo {
  /** Folder name of the dataroot, e.g. "glyphs". */
  name: string;
  /** The dataroot as given to the trainer. */
  source: string;
  trainA: number;
  trainB: number;
}

/** What the exporter's provenance needs (models/schema.ts Provenance "trained"). */
export interface CheckpointMeta {
  iterations: number;
  /** Epochs completed, fractional within an epoch. */
  epochs: number;
  /** Training time summed over every session of the run. */
  wallSeconds: number;
  backend: string;
  /** ISO time the checkpoint was written. */
  date: string;
  dataset: DatasetInfo;
}

export interface Counters {
  /** The epoch in progress (1-based, counting from --epoch_count). */
  epoch: number;
  /** Samples of that epoch already trained on. */
  epochIter: number;
  /** Optimisation steps so far (one step = one batch). */
  totalIters: number;
  /** Adam steps taken by the generator and discriminator optimisers. */
  adamStepG: number;
  adamStepD: number;
}

export interface CheckpointState {
  options: TrainOptions;
  counters: Counters;
  /** The model's random stream (image pools) after the last step. */
  rng: RngState;
  meta: CheckpointMeta;
}

export interface Checkpoint {
  file: string;
  header: SafetensorsHeader;
  state: CheckpointState;
}

/** The file for `--epoch` ("latest", an epoch number, or iter_N); a .safetensors path is taken as is. */
export function checkpointFile(runDir: string, epoch: string | number = "latest"): string {
  if (String(runDir).endsWith(".safetensors")) return runDir;
  const e = String(epoch);
  const base = /^\d+$/.test(e) ? `epoch_${e}` : e;
  return path.join(runDir, `${base}.safetensors`);
}

export async function readCheckpoint(file: string): Promise<Checkpoint> {
  let header: SafetensorsHeader;
  try {
    header = await readHeader(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error(`no checkpoint at ${file} (has the run saved one yet?)`);
    throw e;
  }
  const m = header.metadata;
  if (m.format !== FORMAT || m.version !== FORMAT_VERSION || !m.state)
    throw new Error(`${file} is not a ${FORMAT} v${FORMAT_VERSION} file`);
  const raw = JSON.parse(m.state) as CheckpointState;
  const state = { ...raw, options: trainOptionsFromJson(raw.options, file) };
  return { file, header, state };
}

/** One network's weights (PyTorch layout, keys without the `G_A/` prefix). */
export async function readNet(
  ckpt: Checkpoint,
  net: NetName | `adam_${"G" | "D"}/${"m" | "v"}/${NetName}`,
): Promise<Map<string, TensorData>> {
  const prefix = `${net}/`;
  const names = [...ckpt.header.tensors.keys()].filter((n) => n.startsWith(prefix));
  if (names.length === 0) throw new Error(`${ckpt.file} holds no ${net} tensors`);
  const raw = await readTensors(ckpt.file, ckpt.header, names);
  return new Map([...raw].map(([k, v]) => [k.slice(prefix.length), v]));
}

/** Which generator translates `direction` of the dataset, given the run's --direction. */
export function generatorFor(direction: "AtoB" | "BtoA", options: TrainOptions): GeneratorName {
  return direction === options.direction ? "G_A" : "G_B";
}

export interface LoadedGenerator {
  spec: NetworkSpec;
  netG: string;
  ngf: number;
  /** PyTorch layout (Conv [out, in, kh, kw], ConvTranspose [in, out, kh, kw]), reference keys. */
  weights: Map<string, TensorData>;
  options: TrainOptions;
  meta: CheckpointMeta;
}

/**
 * Generators from a run folder (`checkpoints/NAME`) or a checkpoint file, all
 * from one checkpoint (a running trainer may replace `latest` meanwhile).
 * `pick` chooses them from the run's options (its --direction says which
 * generator translates which way). `epoch`: "latest", an epoch number, or "iter_N".
 */
export async function loadGeneratorsFromCheckpoint(
  dir: string,
  epoch: string | number,
  pick: (options: TrainOptions) => readonly GeneratorName[],
): Promise<Map<GeneratorName, LoadedGenerator>> {
  const ckpt = await readCheckpoint(checkpointFile(dir, epoch));
  const { options, meta } = ckpt.state;
  // Checkpoints from before --norm / --upsample / --input_skip hold no such
  // option: they read as the defaults (instance, transpose, off), what they trained with.
  const { ngf, norm, upsample, input_skip } = options;
  const spec = buildGenerator(options.netG, { ngf, norm, upsample, inputSkip: input_skip });
  const out = new Map<GeneratorName, LoadedGenerator>();
  for (const net of new Set(pick(options))) {
    const weights = await readNet(ckpt, net);
    out.set(net, { spec, netG: options.netG, ngf: options.ngf, weights, options, meta });
  }
  return out;
}

export async function loadGeneratorFromCheckpoint(
  dir: string,
  which: GeneratorName,
  epoch: string | number = "latest",
): Promise<LoadedGenerator> {
  const loaded = await loadGeneratorsFromCheckpoint(dir, epoch, () => [which]);
  return loaded.get(which) as LoadedGenerator;
}
