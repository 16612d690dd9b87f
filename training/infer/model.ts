/**
 * Which ONNX file `npm run infer --model` means: a path to any exported or
 * imported generator, or a model id of the manifest (with --direction and
 * --dtype). The manifest entry, when the file is listed, gives the default
 * working size (its recommendedMaxSide) and the statistics it promises.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Direction, type Dtype, type Generator, ModelId } from "../../models/schema.ts";
import { readManifest } from "../export/store.ts";

export interface ResolvedModel {
  file: string;
  bytes: Uint8Array;
  /** Where the manifest lists this file, if it does. */
  generator?: Generator;
  /** "summer2winter AtoB fp32", or the file name. */
  label: string;
}

export interface ModelQuery {
  model: string;
  direction: Direction;
  dtype: Dtype;
  modelsDir: string;
}

function read(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

export function resolveModel(q: ModelQuery): ResolvedModel {
  const manifestPath = path.join(q.modelsDir, "manifest.json");
  const manifest = existsSync(manifestPath) ? readManifest(manifestPath) : undefined;
  const looksLikeFile = q.model.endsWith(".onnx") || q.model.includes("/");
  if (looksLikeFile || !ModelId.safeParse(q.model).success) {
    if (!existsSync(q.model)) {
      throw new Error(`--model ${q.model} does not exist (give an .onnx file or a model id)`);
    }
    const file = path.resolve(q.model);
    const id = path.basename(path.dirname(file));
    const entry = manifest?.models.find((m) => m.id === id);
    const generator = entry?.generators.find((g) =>
      g.variants.some((v) => path.resolve(q.modelsDir, id, v.file) === file),
    );
    return {
      file: q.model,
      bytes: read(q.model),
      ...(generator ? { generator } : {}),
      label: path.basename(q.model),
    };
  }
  const entry = manifest?.models.find((m) => m.id === q.model);
  if (!entry) {
    const known = manifest?.models.map((m) => m.id).join(", ") || "none";
    throw new Error(`no model "${q.model}" in ${manifestPath} (it lists: ${known})`);
  }
  const generator = entry.generators.find((g) => g.direction === q.direction);
  if (!generator) {
    throw new Error(
      `${entry.id} has no ${q.direction} generator (it has ${entry.generators.map((g) => g.direction).join(", ")})`,
    );
  }
  const variant = generator.variants.find((v) => v.dtype === q.dtype);
  if (!variant) {
    throw new Error(
      `${entry.id} ${q.direction} has no ${q.dtype} variant (it has ${generator.variants.map((v) => v.dtype).join(", ")})`,
    );
  }
  const file = path.join(q.modelsDir, entry.id, variant.file);
  return {
    file,
    bytes: read(file),
    generator,
    label: `${entry.id} ${q.direction} ${q.dtype}`,
  };
}
