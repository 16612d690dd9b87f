/**
 * The generators bench:site times: the shipped ones (models/manifest.json) and
 * the reference sizes with random weights, all three variants each,
 * plus the seed that puts them all in the worker.
 */
import type { Dtype } from "../models/schema.ts";
import { type TinyModel, tinyModel } from "../scripts/lib/tiny-models.ts";
import { buildGenerator } from "../training/networks/index.ts";
import { countMacs } from "../training/networks/spec.ts";
import { readShippedSeed, type Seed } from "../worker/local-r2.ts";

export interface BenchModel {
  label: string;
  id: string;
  /** The generator's direction in its model (the site's ?dir=). */
  direction: "AtoB" | "BtoA";
  macs: (size: number) => number;
  variants: { dtype: Dtype; file: string; bytes: Uint8Array }[];
}

/** Random-weight generators by name; "shipped" stands for every model in models/manifest.json. */
export const MODEL_SETS = {
  ngf64: { ngf: 64, nBlocks: 9 },
  ngf32: { ngf: 32, nBlocks: 6 },
  tiny: { ngf: 8, nBlocks: 1 },
} as const;
export type ModelSet = keyof typeof MODEL_SETS | "shipped";

function randomModels(sets: readonly ModelSet[]): { model: TinyModel; label: string }[] {
  const specs = sets.flatMap((s) => (s === "shipped" ? [] : [MODEL_SETS[s]]));
  return specs.map(({ ngf, nBlocks }) => ({
    label: `random ngf${ngf}/${nBlocks}`,
    model: tinyModel({
      id: `bench-ngf${ngf}-${nBlocks}`,
      ngf,
      nBlocks,
      dtypes: ["fp32", "fp16", "int8"],
      recommendedMaxSide: 256,
      std: 0.02,
    }),
  }));
}

export async function benchModels(
  sets: readonly ModelSet[],
): Promise<{ models: BenchModel[]; seed: Seed }> {
  const shipped = await readShippedSeed();
  // Shipped models stay seeded (the site lists them) but are timed only when asked for.
  const timedShipped = sets.includes("shipped") ? shipped.manifest.models : [];
  const randoms = randomModels(sets);
  const models: BenchModel[] = [
    ...timedShipped.flatMap((m) =>
      m.generators.map((g) => {
        const spec = buildGenerator(g.architecture.netG, { ngf: g.architecture.ngf });
        return {
          label: `${m.id} ${g.direction}`,
          id: m.id,
          direction: g.direction,
          macs: (size: number) => countMacs(spec, size, size),
          variants: g.variants.map((v) => ({
            dtype: v.dtype,
            file: v.file,
            bytes: shipped.files[`${m.id}/${v.file}`] as Uint8Array,
          })),
        };
      }),
    ),
    ...randoms.map(({ model, label }) => {
      const g = model.entry.generators[0];
      return {
        label,
        id: model.entry.id,
        direction: g?.direction ?? "AtoB",
        macs: (size: number) => ((g?.architecture.macs256 ?? 0) * size * size) / (256 * 256),
        variants: (g?.variants ?? []).map((v) => ({
          dtype: v.dtype,
          file: v.file,
          bytes: model.onnx.get(v.dtype) as Uint8Array,
        })),
      };
    }),
  ];
  const seed = {
    manifest: {
      schemaVersion: 1,
      models: [...shipped.manifest.models, ...randoms.map((r) => r.model.entry)],
    },
    files: Object.assign({}, shipped.files, ...randoms.map((r) => r.model.files)) as Record<
      string,
      Uint8Array
    >,
  };
  return { models, seed };
}
