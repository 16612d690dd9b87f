/**
 * The export path shared by `npm run export` (trainer checkpoints) and
 * `npm run import` (reference PyTorch checkpoints): check every variant of
 * every generator, refuse to write anything if one is over budget, else write
 * the files, before/after samples made by the exported model itself (each
 * pair and one grid picture per direction), and the manifest entry.
 */

import { createHash } from "node:crypto";
import { SIZE_MULTIPLE } from "../../models/contract.ts";
import { NORM_STATS_IO } from "../../models/norm-stats.ts";
import {
  type Direction,
  type Dtype,
  type Generator,
  type Metric,
  type ModelEntry,
  ModelId,
  type Provenance,
  type Sample,
  type SampleGrid,
  STANDARD_IO,
  type Variant,
} from "../../models/schema.ts";
import { variantTargets } from "../../models/select.ts";
import {
  countMacs,
  countParams,
  inputSkipOf,
  type NetworkSpec,
  normChannels,
  upsampleOf,
} from "../networks/spec.ts";
import { budgetText, checkGenerator, checkSteps, type VariantCheck } from "./check.ts";
import { checkSize, type PlanarImage } from "./infer.ts";
import { checkWeights, type Weights } from "./onnx.ts";
import { OPSET } from "./proto.ts";
import { composeGrid, type SamplePair } from "./sample-grid.ts";
import { loadSamples, type SampleImage, syntheticImage, toJpeg } from "./samples.ts";
import { commitModel } from "./store.ts";

export interface GeneratorSource {
  direction: Direction;
  netG: string;
  ngf: number;
  spec: NetworkSpec;
  weights: Weights;
}

export interface ExportOptions {
  id: string;
  title: string;
  description: string;
  domains: ModelEntry["domains"];
  generators: GeneratorSource[];
  dtypes: Dtype[];
  provenance: Provenance;
  license: ModelEntry["license"];
  metrics: Metric[];
  /** Sample images: a dataset folder (testA/testB) or a flat folder; none -> synthetic inputs only. */
  samplesDir?: string;
  sampleCount: number;
  /** Check and sample images are fitted inside this square. */
  checkSide: number;
  trainedSize: number;
  recommendedMaxSide: number;
  modelsDir: string;
  manifestPath: string;
  progress?: { start(total: number): void; tick(label: string): void };
}

export interface ResultRow extends Record<string, string | number | null> {
  direction: Direction;
  dtype: Dtype;
  MB: number;
  "max abs": number;
  "PSNR dB": number;
  budget: string;
  "ort ms": number;
  result: "ok" | "OVER BUDGET";
}

export interface ExportResult {
  rows: ResultRow[];
  /** False when a variant was over budget: then nothing was written. */
  written: boolean;
  entry?: ModelEntry;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Checked {
  source: GeneratorSource;
  samples: SampleImage[];
  variants: VariantCheck[];
}

async function checkAll(o: ExportOptions): Promise<Checked[]> {
  const perGenerator = await Promise.all(
    o.generators.map(async (g) => {
      // Before any work: the manifest takes only generators the site can tile.
      if (g.spec.sizeMultiple !== SIZE_MULTIPLE)
        throw new Error(
          `${g.spec.kind} needs sides that are multiples of ${g.spec.sizeMultiple}; the site pads and tiles to multiples of ${SIZE_MULTIPLE}, so only ResNet generators can be exported`,
        );
      checkSize(o.checkSide, o.checkSide, g.spec.sizeMultiple);
      return loadSamples(
        o.samplesDir,
        g.direction,
        o.sampleCount,
        o.checkSide,
        g.spec.sizeMultiple,
      );
    }),
  );
  const inputsOf = (samples: SampleImage[]): PlanarImage[] => [
    ...samples.map((s) => s.image),
    syntheticImage(o.checkSide, 1),
  ];
  o.progress?.start(perGenerator.reduce((n, s) => n + checkSteps(o.dtypes, s.length + 1), 0));
  const tick = o.progress?.tick.bind(o.progress);
  const out: Checked[] = [];
  for (const [i, source] of o.generators.entries()) {
    const samples = perGenerator[i] ?? [];
    const variants = await checkGenerator(
      source.spec,
      source.weights,
      o.dtypes,
      inputsOf(samples),
      tick,
    );
    out.push({ source, samples, variants });
  }
  return out;
}

function rowsOf(checked: Checked[]): ResultRow[] {
  return checked.flatMap(({ source, variants }) =>
    variants.map((v) => ({
      direction: source.direction,
      dtype: v.dtype,
      MB: v.onnx.length / 1e6,
      "max abs": v.figures.maxAbsDiff,
      "PSNR dB": v.figures.psnrDb,
      budget: budgetText(v.dtype),
      "ort ms": v.latencyMs,
      result: v.passed ? "ok" : "OVER BUDGET",
    })),
  );
}

/**
 * The manifest's description of one checked generator; adds its variant files
 * to `files`. Shared by export, import and upgrade (upgrade.ts).
 */
export function generatorEntry(
  source: Pick<GeneratorSource, "direction" | "netG" | "ngf" | "spec">,
  variants: readonly VariantCheck[],
  sizes: Pick<ExportOptions, "trainedSize" | "recommendedMaxSide">,
  files: Map<string, Uint8Array>,
): Generator {
  const { direction, spec } = source;
  const inputSkip = inputSkipOf(spec);
  const statsLength = 2 * normChannels(spec).reduce((a, b) => a + b, 0);
  return {
    direction,
    architecture: {
      netG: source.netG,
      ngf: source.ngf,
      upsample: upsampleOf(spec),
      ...(inputSkip !== "off" ? { inputSkip } : {}),
      params: countParams(spec),
      macs256: countMacs(spec, 256, 256),
    },
    io: {
      ...STANDARD_IO,
      sizeMultiple: SIZE_MULTIPLE, // checked before any work
      trainedSize: sizes.trainedSize,
      recommendedMaxSide: sizes.recommendedMaxSide,
      ...(statsLength > 0 ? { normStats: { ...NORM_STATS_IO, length: statsLength } } : {}),
    },
    variants: variants.map((v): Variant => {
      const file = `${direction}.${v.dtype}.onnx`;
      files.set(file, v.onnx);
      return {
        dtype: v.dtype,
        file,
        bytes: v.onnx.length,
        sha256: sha256(v.onnx),
        opset: OPSET,
        ...variantTargets(v.dtype), // the policy models/select.ts picks by
        check: { maxAbsDiff: v.figures.maxAbsDiff, psnrDb: v.figures.psnrDb },
      };
    }),
  };
}

/** The card's picture of a direction's sample pairs; adds `samples-<direction>.jpg` to `files`. */
async function gridEntry(
  direction: Direction,
  pairs: SamplePair[],
  files: Map<string, Uint8Array>,
): Promise<SampleGrid> {
  const { jpeg, plan } = await composeGrid(pairs);
  const file = `samples-${direction}.jpg`;
  files.set(file, jpeg);
  const { width, height, layout } = plan;
  return { direction, file, sha256: sha256(jpeg), width, height, layout, count: pairs.length };
}

export async function exportModel(o: ExportOptions): Promise<ExportResult> {
  const id = ModelId.safeParse(o.id);
  if (!id.success) throw new Error(`invalid model id "${o.id}": ${id.error.issues[0]?.message}`);
  if (o.dtypes.length === 0) throw new Error("no dtypes to export");
  if (o.generators.length === 0) throw new Error("no generators to export");
  for (const g of o.generators) checkWeights(g.spec, g.weights);
  const checked = await checkAll(o);
  const rows = rowsOf(checked);
  if (rows.some((r) => r.result !== "ok")) return { rows, written: false };

  const files = new Map<string, Uint8Array>();
  const generators: Generator[] = [];
  const samples: Sample[] = [];
  const sampleGrids: SampleGrid[] = [];
  for (const { source, samples: inputs, variants } of checked) {
    const { direction } = source;
    generators.push(generatorEntry(source, variants, o, files));
    // Samples come from the exported file itself: fp32 if written, else the first variant.
    const shown = variants.find((v) => v.dtype === "fp32") ?? variants[0];
    const pairs: SamplePair[] = [];
    for (const [k, s] of inputs.entries()) {
      const out = shown?.outputs[k];
      if (!out) continue;
      pairs.push({ input: s.image, output: out });
      const base = `sample-${direction}-${k + 1}`;
      files.set(`${base}.in.jpg`, await toJpeg(s.image));
      files.set(`${base}.out.jpg`, await toJpeg(out));
      samples.push({
        direction,
        input: `${base}.in.jpg`,
        output: `${base}.out.jpg`,
        width: out.width,
        height: out.height,
      });
    }
    if (pairs.length > 0) sampleGrids.push(await gridEntry(direction, pairs, files));
  }
  // commitModel validates the whole manifest (parseManifest) before writing anything.
  const entry: ModelEntry = {
    id: o.id,
    title: o.title,
    description: o.description,
    domains: o.domains,
    generators,
    provenance: o.provenance,
    metrics: o.metrics,
    license: o.license,
    samples,
    sampleGrids,
  };
  commitModel({ modelsDir: o.modelsDir, manifestPath: o.manifestPath, entry, files });
  return { rows, written: true, entry };
}
