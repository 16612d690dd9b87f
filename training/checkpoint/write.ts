/**
 * Writing checkpoints (layout: read.ts). Every file is written atomically
 * (safetensors.ts), and `latest` is replaced by a rename, so a process killed
 * at any moment leaves the previous `latest` loadable. An epoch checkpoint is
 * written once and hard-linked as `latest` (no second copy on disk).
 */

import { randomBytes } from "node:crypto";
import { copyFile, link, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { type NetworkSpec, paramShapes } from "../networks/spec.ts";
import { type Params, TO_TORCH_PERM } from "../networks/tfjs.ts";
import { optionsToJson, type TrainOptions } from "../options.ts";
import { type CheckpointState, FORMAT, FORMAT_VERSION } from "./read.ts";
import { isTempFile, syncDir, type TensorSource, writeSafetensors } from "./safetensors.ts";

/** Tensors of one network (or one of its Adam moments) in PyTorch layout under `prefix/`. */
export function paramSources(prefix: string, spec: NetworkSpec, params: Params): TensorSource[] {
  return paramShapes(spec).map((p) => ({
    name: `${prefix}/${p.name}`,
    shape: p.shape,
    data: async () => {
      const v = params.get(p.name);
      if (!v) throw new Error(`missing parameter ${p.name}`);
      const t = p.shape.length === 4 ? tf.transpose(v, [...TO_TORCH_PERM]) : v;
      try {
        return (await t.data()) as Float32Array;
      } finally {
        if (t !== v) t.dispose();
      }
    },
  }));
}

/** Plain tensors (pool images) stored as they are. */
export function tensorSources(prefix: string, tensors: readonly tf.Tensor[]): TensorSource[] {
  return tensors.map((t, i) => ({
    name: `${prefix}/${i}`,
    shape: t.shape,
    data: async () => (await t.data()) as Float32Array,
  }));
}

/** The options file of a run, written atomically. */
export async function writeRunOptions(runDir: string, options: TrainOptions): Promise<void> {
  const file = path.join(runDir, "train_opt.json");
  const tmp = `${file}.tmp-${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, `${optionsToJson(options)}\n`);
  await rename(tmp, file);
}

export interface SaveRequest {
  runDir: string;
  tensors: TensorSource[];
  state: CheckpointState;
  /** Also keep this checkpoint under a permanent name, e.g. "epoch_5" or "iter_5000". */
  keepAs?: string;
}

/** Write the checkpoint as `latest` (and `keepAs`); returns the bytes written. */
export async function saveCheckpoint(req: SaveRequest): Promise<number> {
  const metadata = {
    format: FORMAT,
    version: FORMAT_VERSION,
    state: JSON.stringify({ ...req.state, options: JSON.parse(optionsToJson(req.state.options)) }),
  };
  await removeStaleTemps(req.runDir);
  const latest = path.join(req.runDir, "latest.safetensors");
  if (!req.keepAs) return writeSafetensors(latest, req.tensors, metadata);
  const kept = path.join(req.runDir, `${req.keepAs}.safetensors`);
  const bytes = await writeSafetensors(kept, req.tensors, metadata);
  const tmp = `${latest}.tmp-${randomBytes(4).toString("hex")}`;
  await link(kept, tmp).catch(() => copyFile(kept, tmp)); // copy where hard links are refused
  await rename(tmp, latest);
  await syncDir(req.runDir);
  return bytes;
}

/** Temp files left by a killed process. */
async function removeStaleTemps(runDir: string): Promise<void> {
  for (const name of await readdir(runDir)) {
    if (isTempFile(name)) await rm(path.join(runDir, name), { force: true });
  }
}
