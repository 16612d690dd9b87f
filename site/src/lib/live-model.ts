/**
 * The generator file live mode runs: the same variant a photo would get on
 * that engine (models/select.ts), from the same places (Cache API first).
 */
import { pickVariant } from "../../../models/select.ts";
import type { Caps } from "./caps.ts";
import { fetchModelFile } from "./model-store.ts";
import type { EngineName } from "./protocol.ts";
import type { ModelSource } from "./translator.ts";

export interface LiveModel {
  bytes: ArrayBuffer;
  /** Variant dtype, or "custom" for a file opened from disk. */
  dtype: string;
}

export async function liveModel(
  model: ModelSource,
  engine: EngineName,
  caps: Caps,
  onStage: (text: string) => void,
): Promise<LiveModel> {
  if (model.kind === "local") return { bytes: model.bytes, dtype: "custom" };
  const variant = pickVariant(model.generator, { provider: engine, shaderF16: caps.shaderF16 });
  if (!variant) throw new Error(`${model.entry.title} has no variant for ${engine}.`);
  if (model.kind === "device")
    return { bytes: await model.read(variant.file), dtype: variant.dtype };
  onStage(`Getting the ${variant.dtype} model`);
  const fetched = await fetchModelFile({ id: model.entry.id, ...variant }, (p) =>
    onStage(
      `Getting the ${variant.dtype} model: ${Math.floor((100 * p.loaded) / (p.total || 1))}%`,
    ),
  );
  return { bytes: fetched.bytes, dtype: variant.dtype };
}
