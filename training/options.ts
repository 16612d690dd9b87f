/**
 * Every trainer and translate option in one typed table: reference names and
 * defaults (pytorch-CycleGAN-and-pix2pix options/), a help line each. Parsed
 * once with commander into a frozen object, saved as JSON next to the
 * checkpoint, never read from environment variables.
 */
import { randomInt } from "node:crypto";
import { Command, InvalidArgumentError, Option } from "commander";
import { DISCRIMINATORS, GENERATORS } from "./networks/index.ts";
import { INPUT_SKIPS, NORMS, UPSAMPLES } from "./networks/spec.ts";
import type { BackendChoice } from "./runtime/backend.ts";

interface Def<T> {
  readonly help: string;
  readonly default: T;
  /** Parses a command-line string or a value read back from the saved JSON. */
  readonly parse: (v: unknown) => T;
  readonly choices?: readonly string[];
  readonly flag?: boolean;
}

function fail(msg: string): never {
  throw new InvalidArgumentError(msg);
}

/** An integer option; "inf" only where the default is infinite (an infinite pool or batch would never end). */
const int = (def: number, help: string, min = 0): Def<number> => ({
  help,
  default: def,
  parse: (v) => {
    const inf = def === Number.POSITIVE_INFINITY;
    const n = typeof v === "number" ? v : inf && v === "inf" ? Number.POSITIVE_INFINITY : Number(v);
    if (!(Number.isInteger(n) || (inf && n === Number.POSITIVE_INFINITY)) || n < min)
      fail(`expected an integer >= ${min}${inf ? ' or "inf"' : ""}, got "${v}"`);
    return n;
  },
});

const float = (def: number, help: string): Def<number> => ({
  help,
  default: def,
  parse: (v) => {
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isFinite(n) || n < 0) fail(`expected a number >= 0, got "${v}"`);
    return n;
  },
});

const str = (def: string, help: string): Def<string> => ({
  help,
  default: def,
  parse: (v) => (typeof v === "string" ? v : fail(`expected a string, got ${JSON.stringify(v)}`)),
});

const choice = <const C extends readonly string[]>(
  choices: C,
  def: C[number],
  help: string,
): Def<C[number]> => ({
  help,
  default: def,
  choices,
  parse: (v) =>
    choices.includes(v as string)
      ? (v as C[number])
      : fail(`"${v}" is not one of: ${choices.join(", ")}`),
});

const flag = (help: string): Def<boolean> => ({
  help,
  default: false,
  flag: true,
  parse: (v) => (typeof v === "boolean" ? v : fail(`expected true or false, got "${v}"`)),
});

const BACKENDS = [
  "auto",
  "tensorflow",
  "webgpu",
  "native",
  "wasm",
  "cpu",
] as const satisfies readonly BackendChoice[];
export const PREPROCESS = [
  "resize_and_crop",
  "crop",
  "scale_width",
  "scale_width_and_crop",
  "none",
] as const;
export type Preprocess = (typeof PREPROCESS)[number];

/** Options that the trainer and translate share. */
const COMMON = {
  name: str("experiment_name", "run name: checkpoints and samples go to checkpoints_dir/name"),
  checkpoints_dir: str("./checkpoints", "folder holding one sub-folder per run"),
  backend: choice(
    BACKENDS,
    "auto",
    "TensorFlow.js backend; auto tries tfjs-node-gpu, tfjs-node, native (wasm with oneDNN convolutions), wasm, cpu; webgpu runs on any Vulkan/Metal/D3D12 GPU (Dawn)",
  ),
  epoch: str("latest", "checkpoint to load: latest, an epoch number or iter_N"),
};
const DIRECTIONS = ["AtoB", "BtoA"] as const;

export const TRAIN_OPTIONS = {
  dataroot: str("", "dataset folder with trainA/ and trainB/ (testA/, testB/ optional)"),
  ...COMMON,
  direction: choice(DIRECTIONS, "AtoB", "AtoB: G_A learns A -> B; BtoA swaps the domains"),
  ngf: int(64, "generator filters in the last conv layer", 1),
  ndf: int(64, "discriminator filters in the first conv layer", 1),
  netG: choice(
    Object.keys(GENERATORS) as (keyof typeof GENERATORS)[],
    "resnet_9blocks",
    "generator architecture",
  ),
  netD: choice(
    Object.keys(DISCRIMINATORS) as (keyof typeof DISCRIMINATORS)[],
    "basic",
    "discriminator architecture (basic: 70x70 PatchGAN; n_layers: use --n_layers_D)",
  ),
  n_layers_D: int(3, "discriminator conv layers when --netD n_layers", 1),
  upsample: choice(
    UPSAMPLES,
    "transpose",
    "generator upsampling: transpose is the reference's transposed conv; resize is nearest x2 then a 3x3 conv, which leaves no checkerboard grid",
  ),
  input_skip: choice(
    INPUT_SKIPS,
    "off",
    "how the input reaches the generator's output, which instance norm blinds to a photo's overall colour (not in the reference): full adds it (x + G(x)); colour keeps its colour and takes the lightness from G",
  ),
  norm: choice(
    NORMS,
    "instance",
    "normalisation after each inner conv; batch: batch statistics with a learned scale and shift (at test time the image's own statistics)",
  ),
  init_gain: float(0.02, "std of the normal(0, init_gain) weight init"),
  serial_batches: flag("take B images in order instead of a random B for each A"),
  prefetch: int(4, "images decoded ahead of the training step (the reference's --num_threads)", 1),
  threads: choice(
    ["auto", "1", "2"] as const,
    "auto",
    "workers per step on wasm and native: 2 runs the A and B halves of each step on two cores; auto: 2 with 2+ cores",
  ),
  batch_size: int(1, "images per step", 1),
  load_size: int(286, "scale images to this size", 1),
  crop_size: int(256, "then crop to this size", 4),
  max_dataset_size: int(Number.POSITIVE_INFINITY, "use at most this many images per domain", 1),
  preprocess: choice(PREPROCESS, "resize_and_crop", "scaling and cropping at load time"),
  no_flip: flag("do not flip images horizontally for augmentation"),
  display_winsize: int(256, "width of each image in the HTML page", 16),
  display_freq: int(400, "iterations between sample grids on the HTML page", 1),
  print_freq: int(100, "iterations between loss log lines", 1),
  save_latest_freq: int(5000, "iterations between saves of the latest checkpoint", 1),
  save_epoch_freq: int(5, "epochs between kept checkpoints", 1),
  save_by_iter: flag("also keep a checkpoint per --save_latest_freq (iter_N)"),
  continue_train: flag("resume from the checkpoint given by --epoch, exactly"),
  epoch_count: int(1, "number of the first epoch of a fresh run", 1),
  phase: str("train", "dataset sub-folder prefix: train -> trainA, trainB"),
  n_epochs: int(100, "epochs at the initial learning rate", 0),
  n_epochs_decay: int(100, "epochs of linear decay of the learning rate to zero", 0),
  beta1: float(0.5, "Adam momentum term"),
  lr: float(0.0002, "initial Adam learning rate"),
  gan_mode: choice(["lsgan", "vanilla"] as const, "lsgan", "GAN objective: least squares or BCE"),
  pool_size: int(50, "generated images kept for the discriminators (0: no pool)"),
  lr_policy: choice(["linear", "step", "cosine"] as const, "linear", "learning-rate schedule"),
  lr_decay_iters: int(50, "multiply the rate by 0.1 every this many epochs (lr_policy step)", 1),
  lambda_A: float(10, "weight of the cycle loss A -> B -> A"),
  lambda_B: float(10, "weight of the cycle loss B -> A -> B"),
  lambda_identity: float(0.5, "weight of the identity loss, relative to lambda_A/B (0: off)"),
  seed: int(-1, "random seed; -1 picks one (recorded in the options JSON)", -1),
} as const;

export const TRANSLATE_OPTIONS = {
  ...COMMON,
  direction: choice(DIRECTIONS, "AtoB", "translate dataset-A images to B, or B to A (BtoA)"),
  input: str("", "image file or folder to translate"),
  results_dir: str("./results", "output folder: results_dir/name/test_<epoch>_<direction>/"),
  size: int(
    0,
    "scale so the longer side is this (0: full resolution); sides round to the generator's multiple (4 for ResNets, 128 or 256 for unet_128/unet_256)",
  ),
  num_test: int(Number.POSITIVE_INFINITY, "translate at most this many images", 1),
} as const;

type Values<T> = { readonly [K in keyof T]: T[K] extends Def<infer V> ? V : never };
export type TrainOptions = Values<typeof TRAIN_OPTIONS>;
export type TranslateOptions = Values<typeof TRANSLATE_OPTIONS>;
type Table = Record<string, Def<unknown>>;

/** Options set on the command line (as opposed to defaults), for resume overrides. */
export interface Parsed<T> {
  options: T;
  explicit: ReadonlySet<keyof T>;
}

function buildCommand(name: string, summary: string, table: Table): Command {
  const cmd = new Command(name).description(summary).allowExcessArguments(false);
  cmd.configureOutput({ outputError: (s, write) => write(s) });
  for (const [key, def] of Object.entries(table)) {
    const dv = def.default;
    const opt = def.flag
      ? new Option(`--${key}`, def.help)
      : new Option(`--${key} <value>`, def.help)
          .default(dv, dv === Number.POSITIVE_INFINITY ? "inf" : undefined)
          .argParser((v) => def.parse(v));
    if (def.choices) opt.choices(def.choices);
    cmd.addOption(opt);
  }
  return cmd;
}

function parseWith<T>(table: Table, name: string, summary: string, argv: string[]): Parsed<T> {
  const cmd = buildCommand(name, summary, table).exitOverride();
  cmd.parse(argv, { from: "user" });
  const raw = cmd.opts() as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const explicit = new Set<string>();
  for (const [key, def] of Object.entries(table)) {
    values[key] = raw[key] ?? def.default;
    if (cmd.getOptionValueSource(key) === "cli") explicit.add(key);
  }
  return {
    options: Object.freeze(values) as T,
    explicit: explicit as unknown as ReadonlySet<keyof T>,
  };
}

export function parseTrainOptions(argv: string[]): Parsed<TrainOptions> {
  const parsed = parseWith<TrainOptions>(
    TRAIN_OPTIONS,
    "train",
    "Train a CycleGAN on DATAROOT/trainA and DATAROOT/trainB.",
    argv,
  );
  const o = parsed.options;
  if (!o.dataroot) throw new Error("--dataroot is required (a folder with trainA/ and trainB/)");
  checkTrainOptions(o);
  if (o.seed >= 0) return parsed;
  return { ...parsed, options: Object.freeze({ ...o, seed: randomInt(2 ** 31) }) };
}

/** The smallest side a ResNet generator runs at: two stride-2 steps leave 2 px for its 1 px reflect padding. */
const MIN_TRANSLATE_SIDE = 8;

export function parseTranslateOptions(argv: string[]): Parsed<TranslateOptions> {
  const parsed = parseWith<TranslateOptions>(
    TRANSLATE_OPTIONS,
    "translate",
    "Run one trained generator over an image file or folder.",
    argv,
  );
  if (!parsed.options.input) throw new Error("--input is required (an image file or folder)");
  const { size } = parsed.options;
  if (size > 0 && size < MIN_TRANSLATE_SIDE)
    throw new Error(
      `--size ${size} is too small: 0 keeps full resolution, otherwise at least ${MIN_TRANSLATE_SIDE} (the generators downsample twice and reflect-pad)`,
    );
  return parsed;
}

/** JSON for the options file: Infinity is written as "inf" (JSON has no Infinity). */
export function optionsToJson(o: object): string {
  return JSON.stringify(o, (_, v) => (v === Number.POSITIVE_INFINITY ? "inf" : v), 2);
}

/** Options read back from a checkpoint, checked value by value; unknown keys are an error. */
export function trainOptionsFromJson(json: unknown, source: string): TrainOptions {
  if (typeof json !== "object" || json === null)
    throw new Error(`${source}: options must be an object`);
  const obj = json as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !(k in TRAIN_OPTIONS));
  if (unknown.length > 0) throw new Error(`${source}: unknown options ${unknown.join(", ")}`);
  const values: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(TRAIN_OPTIONS as Table)) {
    try {
      values[key] = key in obj ? def.parse(obj[key]) : def.default;
    } catch (e) {
      throw new Error(`${source}: option ${key}: ${(e as Error).message}`);
    }
  }
  return Object.freeze(values) as TrainOptions;
}

/** Combinations no image could train with, refused before any work. */
export function checkTrainOptions(o: TrainOptions): void {
  if (o.preprocess.endsWith("crop") && o.crop_size % 4 !== 0)
    throw new Error(
      `--crop_size ${o.crop_size} is not a multiple of 4: the generators downsample twice (try ${Math.round(o.crop_size / 4) * 4})`,
    );
  const scalesThenCrops =
    o.preprocess === "resize_and_crop" || o.preprocess === "scale_width_and_crop";
  if (scalesThenCrops && o.load_size < o.crop_size)
    throw new Error(
      `--load_size ${o.load_size} is smaller than --crop_size ${o.crop_size}: --preprocess ${o.preprocess} scales to load_size, then crops crop_size`,
    );
}

/** Options a resumed run must keep, and why. */
export const FIXED_ON_RESUME = {
  ngf: "it fixes tensor shapes",
  ndf: "it fixes tensor shapes",
  netG: "it fixes tensor shapes",
  netD: "it fixes tensor shapes",
  n_layers_D: "it fixes tensor shapes",
  norm: "it fixes tensor shapes",
  upsample: "it fixes tensor shapes",
  input_skip: "it changes what the generators compute",
  direction: "it says which domain is which",
  epoch_count:
    "a resumed run goes on from the epoch and iteration saved in the checkpoint (choose the checkpoint with --epoch)",
} as const satisfies Partial<Record<keyof TrainOptions, string>>;
