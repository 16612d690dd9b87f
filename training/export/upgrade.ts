/**
 * `npm run export -- upgrade ID...`: rebuild a published model's ONNX files
 * with the current writer when the graph contract grew (the normalisation
 * statistics of models/norm-stats.ts), from the weights of its fp32 file, so
 * no training checkpoint is needed. Every new variant passes the export check
 * against TensorFlow.js, and the new fp32 file must compute what the old one
 * did on the same inputs. Samples, provenance, metrics and licence stay as
 * they are. All or nothing, like export: nothing is written unless every
 * generator passes.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Generator, ModelEntry } from "../../models/schema.ts";
import { readOnnxWeights } from "../import/onnx-weights.ts";
import { generatorFromStateDict } from "../import/state-dict.ts";
import { budgetText, checkGenerator, checkSteps, type Tick, withinBudget } from "./check.ts";
import { onnxRunner, type PlanarImage } from "./infer.ts";
import { compareOutputs, worst } from "./metrics.ts";
import { generatorEntry, type ResultRow } from "./pipeline.ts";
import { loadImage, syntheticImage } from "./samples.ts";
import { commitModel, readManifest, sampleFiles } from "./store.ts";

/** The rebuilt fp32 file against the old one: the same function, up to float rounding. */
export const SAME_FUNCTION_MAX_ABS = 1e-5;

export interface UpgradeOptions {
  id: string;
  modelsDir: string;
  manifestPath: string;
  /** Check inputs are fitted inside this square. */
  checkSide: number;
  progress?: { start(total: number): void; tick: Tick };
}

export interface UpgradeRow extends ResultRow {
  /** Max abs difference of the rebuilt fp32 file from the old one (fp32 rows only). */
  "vs old": number | null;
}

export interface UpgradeResult {
  rows: UpgradeRow[];
  written: boolean;
}

async function checkInputs(
  entry: ModelEntry,
  g: Generator,
  dir: string,
  side: number,
): Promise<PlanarImage[]> {
  const shown = entry.samples.filter((s) => s.direction === g.direction);
  const images = await Promise.all(
    shown.map((s) => loadImage(path.join(dir, s.input), side, g.io.sizeMultiple)),
  );
  return [...images, syntheticImage(side, 1)];
}

async function oldOutputs(file: string, inputs: PlanarImage[]): Promise<PlanarImage[]> {
  const old = await onnxRunner(readFileSync(file), 4);
  try {
    const out: PlanarImage[] = [];
    for (const x of inputs) out.push(await old.run(x));
    return out;
  } finally {
    await old.release();
  }
}

export async function upgradeModel(o: UpgradeOptions): Promise<UpgradeResult> {
  const manifest = readManifest(o.manifestPath);
  const entry = manifest.models.find((m) => m.id === o.id);
  if (!entry) {
    throw new Error(
      `no model "${o.id}" in ${o.manifestPath} (it lists: ${manifest.models.map((m) => m.id).join(", ") || "none"})`,
    );
  }
  const dir = path.join(o.modelsDir, entry.id);
  const plans = await Promise.all(
    entry.generators.map(async (g) => {
      const fp32 = g.variants.find((v) => v.dtype === "fp32");
      if (!fp32) {
        throw new Error(
          `${entry.id} ${g.direction} has no fp32 variant to rebuild from; export it again from its checkpoint`,
        );
      }
      const file = path.join(dir, fp32.file);
      const a = g.architecture;
      const source = generatorFromStateDict(
        readOnnxWeights(readFileSync(file), file),
        file,
        a.inputSkip,
      );
      if (source.netG !== a.netG || source.ngf !== a.ngf || source.upsample !== a.upsample) {
        throw new Error(
          `${file} holds ${source.netG} ngf ${source.ngf} (${source.upsample}), the manifest says ${a.netG} ngf ${a.ngf} (${a.upsample})`,
        );
      }
      const inputs = await checkInputs(entry, g, dir, o.checkSide);
      return { g, file, source, inputs, dtypes: g.variants.map((v) => v.dtype) };
    }),
  );
  o.progress?.start(plans.reduce((n, p) => n + checkSteps(p.dtypes, p.inputs.length), 0));
  const rows: UpgradeRow[] = [];
  const files = new Map<string, Uint8Array>();
  const generators: Generator[] = [];
  for (const { g, file, source, inputs, dtypes } of plans) {
    const checks = await checkGenerator(
      source.spec,
      source.weights,
      dtypes,
      inputs,
      o.progress?.tick,
    );
    const before = await oldOutputs(file, inputs);
    for (const v of checks) {
      const vsOld =
        v.dtype === "fp32"
          ? worst(v.outputs.map((out, i) => compareOutputs(out.data, before[i]?.data ?? [])))
              .maxAbsDiff
          : null;
      const passed =
        withinBudget(v.dtype, v.figures) && (vsOld === null || vsOld <= SAME_FUNCTION_MAX_ABS);
      rows.push({
        direction: g.direction,
        dtype: v.dtype,
        MB: v.onnx.length / 1e6,
        "max abs": v.figures.maxAbsDiff,
        "PSNR dB": v.figures.psnrDb,
        budget:
          v.dtype === "fp32"
            ? `${budgetText("fp32")}, <= ${SAME_FUNCTION_MAX_ABS} vs old`
            : budgetText(v.dtype),
        "ort ms": v.latencyMs,
        "vs old": vsOld,
        result: passed ? "ok" : "OVER BUDGET",
      });
    }
    generators.push(generatorEntry({ direction: g.direction, ...source }, checks, g.io, files));
  }
  if (rows.some((r) => r.result !== "ok")) return { rows, written: false };
  // Samples are kept byte for byte: the rebuilt files compute the same outputs.
  for (const name of sampleFiles(entry)) files.set(name, readFileSync(path.join(dir, name)));
  commitModel({
    modelsDir: o.modelsDir,
    manifestPath: o.manifestPath,
    entry: { ...entry, generators },
    files,
  });
  return { rows, written: true };
}
