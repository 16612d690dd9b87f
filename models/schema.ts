/**
 * The model manifest: the one description of every shipped generator.
 * Written by the exporter, served by the worker, read by the site.
 * Every part imports this module; nothing else defines these shapes.
 */
import { z } from "zod";
import { DIRECTIONS, DTYPES, INPUT_SKIPS, PROVIDERS, UPSAMPLES } from "./names.ts";
import { NORM_FREEZE_INPUT, NORM_STATS_INPUT, NORM_STATS_OUTPUT } from "./norm-stats.ts";

export { DIRECTIONS, DTYPES, PROVIDERS };

export const SCHEMA_VERSION = 1 as const;

export const Dtype = z.enum(DTYPES);
export const Provider = z.enum(PROVIDERS);
export const Direction = z.enum(DIRECTIONS);

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex digits");
/** A plain file name inside `models/<id>/`: no folders, no dot files, nothing to traverse with. */
export const FileName = z
  .string()
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/,
    "a plain file name (letters, digits, . _ -)",
  );
export const ModelId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes, 1-63 characters");

/** One tensor at the edge of a generator graph. */
const TensorSpec = z.object({
  name: z.string().min(1),
  layout: z.literal("NCHW"),
  dtype: z.literal("float32"),
  channels: z.literal(3),
  /** Pixel values map linearly onto this range: 0 -> min, 255 -> max. */
  range: z.tuple([z.number(), z.number()]),
});

export const IOContract = z.object({
  input: TensorSpec,
  output: TensorSpec,
  /**
   * Height and width must be multiples of this (the generator downsamples
   * twice). The site and the API's clients pad and tile to multiples of 4
   * (contract.ts SIZE_MULTIPLE), so that is the only value a manifest takes.
   */
  sizeMultiple: z.literal(4, {
    error:
      "sizeMultiple must be 4: the site pads and tiles images to multiples of 4 (a U-Net needs 128 or 256 and cannot be served)",
  }),
  /** Side length of the square crops the generator saw in training. */
  trainedSize: z.number().int().positive(),
  /** Larger inputs are downscaled or tiled to this side by default. */
  recommendedMaxSide: z.number().int().positive(),
  /**
   * The graph reports and accepts its instance-norm statistics
   * (models/norm-stats.ts), so full resolution can freeze them. Absent for
   * files written before that contract and for networks without norms.
   */
  normStats: z
    .object({
      input: z.literal(NORM_STATS_INPUT),
      freeze: z.literal(NORM_FREEZE_INPUT),
      output: z.literal(NORM_STATS_OUTPUT),
      /** S: values per image, C means then C variances for each norm in graph order. */
      length: z.number().int().positive().multipleOf(2),
    })
    .optional(),
});

export const Variant = z.object({
  dtype: Dtype,
  file: FileName,
  bytes: z.number().int().positive(),
  sha256: Sha256,
  opset: z.number().int().min(13).max(26),
  /** Execution providers the file was checked on; the first is the recommended one. */
  providers: z.array(Provider).min(1),
  /** Adapter features the variant needs (fp16 compute needs `shader-f16` on WebGPU). */
  requires: z.array(z.literal("shader-f16")).default([]),
  /** Measured against the trained float32 model when the file was written. */
  check: z.object({
    maxAbsDiff: z.number().nonnegative(),
    psnrDb: z.number(),
  }),
});

export const Architecture = z.object({
  netG: z.string().min(1),
  ngf: z.number().int().positive(),
  /** --upsample; files from before the option are the reference's transposed convs. */
  upsample: z.enum(UPSAMPLES).default("transpose"),
  /** --input_skip: how the input reaches the output (absent: off, the reference). */
  inputSkip: z.enum(INPUT_SKIPS).optional(),
  params: z.number().int().positive(),
  /** Multiply-adds for one 256x256 image. */
  macs256: z.number().int().positive(),
});

export const Generator = z.object({
  direction: Direction,
  architecture: Architecture,
  io: IOContract,
  variants: z.array(Variant).min(1),
});

const Domain = z.object({ name: z.string().min(1), description: z.string() });

export const Provenance = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("trained"),
    dataset: z.object({
      name: z.string().min(1),
      source: z.string(),
      trainA: z.number().int().nonnegative(),
      trainB: z.number().int().nonnegative(),
    }),
    /** The trainer options used, as saved next to the checkpoint. */
    config: z.record(z.string(), z.unknown()),
    iterations: z.number().int().nonnegative(),
    epochs: z.number().nonnegative(),
    wallSeconds: z.number().nonnegative(),
    backend: z.string(),
    date: z.iso.datetime(),
  }),
  z.object({
    kind: z.literal("imported"),
    /** The reference checkpoint this was converted from. */
    source: z.string().min(1),
    sha256: Sha256,
    date: z.iso.datetime(),
  }),
]);

/**
 * A quality gate the metric was checked against when it was measured
 * (training/eval/gates.ts holds the thresholds): recorded as words, so the
 * card shows what was required then even if the thresholds change later.
 */
export const Gate = z.object({
  passed: z.boolean(),
  /** The requirement, e.g. "at most 1.5x the inputs' grid score". */
  rule: z.string().min(1),
  /** The numbers it was judged on, e.g. "0.88 levels = 8.0x the inputs' 0.11". */
  measured: z.string().min(1),
});

export const Metric = z.object({
  name: z.string().min(1),
  value: z.number(),
  better: z.enum(["higher", "lower"]),
  /** What it was measured on, e.g. "testA (48 held-out glyphs)". */
  on: z.string(),
  /** The same metric for the baselines the model must beat. */
  baselines: z.record(z.string(), z.number()).default({}),
  /** Which generator it measures; absent in entries written before it was recorded. */
  direction: Direction.optional(),
  gate: Gate.optional(),
});

export const Sample = z.object({
  direction: Direction,
  input: FileName,
  output: FileName,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

/**
 * All of one direction's samples in one picture for the model card, composed
 * by the exporter (training/export/sample-grid.ts) from the same images as the
 * `samples` pairs, in their order. Absent in entries exported before it.
 */
export const SampleGrid = z.object({
  direction: Direction,
  file: FileName,
  /** Checked when the site copies the file, like a variant's. */
  sha256: Sha256,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** "rows": inputs in the top row, outputs under them; "columns": inputs left, outputs right. */
  layout: z.enum(["rows", "columns"]),
  /** How many samples it shows. */
  count: z.number().int().positive(),
});

export const License = z.object({
  /** SPDX expression covering the weights (derived from the training data's licences). */
  spdx: z.string().min(1),
  attribution: z.string(),
});

export const ModelEntry = z
  .object({
    id: ModelId,
    title: z.string().min(1),
    description: z.string(),
    domains: z.object({ A: Domain, B: Domain }),
    generators: z.array(Generator).min(1),
    provenance: Provenance,
    metrics: z.array(Metric).default([]),
    license: License,
    samples: z.array(Sample).default([]),
    sampleGrids: z.array(SampleGrid).optional(),
  })
  .superRefine((entry, ctx) => {
    const dirs = entry.generators.map((g) => g.direction);
    if (new Set(dirs).size !== dirs.length) {
      ctx.addIssue({ code: "custom", message: `duplicate generator direction in ${entry.id}` });
    }
    const files = entry.generators.flatMap((g) => g.variants.map((v) => v.file));
    if (new Set(files).size !== files.length) {
      ctx.addIssue({ code: "custom", message: `two variants share a file name in ${entry.id}` });
    }
    const gridDirs = (entry.sampleGrids ?? []).map((g) => g.direction);
    if (new Set(gridDirs).size !== gridDirs.length) {
      ctx.addIssue({
        code: "custom",
        message: `two sample grids for one direction in ${entry.id}`,
      });
    }
  });

export const Manifest = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    models: z.array(ModelEntry),
  })
  .superRefine((m, ctx) => {
    const ids = m.models.map((e) => e.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) ctx.addIssue({ code: "custom", message: `duplicate model id "${dup}"` });
  });

export type Dtype = z.infer<typeof Dtype>;
export type Provider = z.infer<typeof Provider>;
export type Direction = z.infer<typeof Direction>;
export type IOContract = z.infer<typeof IOContract>;
export type Variant = z.infer<typeof Variant>;
export type Generator = z.infer<typeof Generator>;
export type Provenance = z.infer<typeof Provenance>;
export type Gate = z.infer<typeof Gate>;
export type Metric = z.infer<typeof Metric>;
export type Sample = z.infer<typeof Sample>;
export type SampleGrid = z.infer<typeof SampleGrid>;
export type ModelEntry = z.infer<typeof ModelEntry>;
export type Manifest = z.infer<typeof Manifest>;

/** Thrown with every problem listed by path, so a bad manifest says where it is bad. */
export class ManifestError extends Error {
  override name = "ManifestError";
}

export function parseManifest(json: unknown): Manifest {
  const result = Manifest.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ManifestError(`invalid model manifest:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** The I/O contract every exported generator follows (see models/contract.ts). */
export const STANDARD_IO = {
  input: { name: "input", layout: "NCHW", dtype: "float32", channels: 3, range: [-1, 1] },
  output: { name: "output", layout: "NCHW", dtype: "float32", channels: 3, range: [-1, 1] },
} as const satisfies Pick<IOContract, "input" | "output">;
