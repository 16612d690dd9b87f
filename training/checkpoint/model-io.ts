/**
 * A CycleGAN model <-> checkpoint tensors (names in read.ts): networks and
 * Adam moments in PyTorch layout, the image pools as they are.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Adam } from "../model/adam.ts";
import {
  type CycleGAN,
  DISCRIMINATOR_NAMES,
  GENERATOR_NAMES,
  NET_NAMES,
  type NetName,
} from "../model/cyclegan.ts";
import { paramShapes } from "../networks/spec.ts";
import { FROM_TORCH_PERM, type Params } from "../networks/tfjs.ts";
import { type Checkpoint, readNet } from "./read.ts";
import { readTensors, type TensorSource } from "./safetensors.ts";
import { paramSources, tensorSources } from "./write.ts";

const OPTIMIZERS = [
  ["adam_G", GENERATOR_NAMES],
  ["adam_D", DISCRIMINATOR_NAMES],
] as const;

function adamOf(model: CycleGAN, name: "adam_G" | "adam_D"): Adam {
  return name === "adam_G" ? model.optG : model.optD;
}

export function modelTensors(model: CycleGAN): TensorSource[] {
  const out: TensorSource[] = [];
  for (const net of NET_NAMES) out.push(...paramSources(net, model.specs[net], model.nets[net]));
  for (const [opt, nets] of OPTIMIZERS) {
    const adam = adamOf(model, opt);
    for (const net of nets) {
      out.push(...paramSources(`${opt}/m/${net}`, model.specs[net], adam.m[net] as Params));
      out.push(...paramSources(`${opt}/v/${net}`, model.specs[net], adam.v[net] as Params));
    }
  }
  out.push(...tensorSources("pool_A", model.poolA.images()));
  out.push(...tensorSources("pool_B", model.poolB.images()));
  return out;
}

/** Assign PyTorch-layout weights to existing variables, checking every name and shape. */
async function assignNet(
  ckpt: Checkpoint,
  prefix: Parameters<typeof readNet>[1],
  model: CycleGAN,
  net: NetName,
  target: Params,
): Promise<void> {
  const weights = await readNet(ckpt, prefix);
  for (const p of paramShapes(model.specs[net])) {
    const w = weights.get(p.name);
    if (!w || w.shape.join(",") !== p.shape.join(",")) {
      throw new Error(
        `${ckpt.file}: ${prefix}/${p.name} is ${w ? `[${w.shape}]` : "missing"}, the model needs [${p.shape}]`,
      );
    }
    const v = target.get(p.name) as tf.Variable;
    tf.tidy(() => {
      const t = tf.tensor(w.data, w.shape);
      v.assign(w.shape.length === 4 ? tf.transpose(t, [...FROM_TORCH_PERM]) : t);
    });
  }
}

async function readPool(ckpt: Checkpoint, prefix: string): Promise<tf.Tensor4D[]> {
  const names = [...ckpt.header.tensors.keys()]
    .filter((n) => n.startsWith(`${prefix}/`))
    .sort((a, b) => Number(a.slice(prefix.length + 1)) - Number(b.slice(prefix.length + 1)));
  const data = await readTensors(ckpt.file, ckpt.header, names);
  return names.map((n) => {
    const t = data.get(n) as { shape: number[]; data: Float32Array };
    return tf.tensor4d(t.data, t.shape as [number, number, number, number]);
  });
}

/** Put the model exactly where the checkpoint left it (weights, Adam, pools, random stream). */
export async function restoreModel(model: CycleGAN, ckpt: Checkpoint): Promise<void> {
  for (const net of NET_NAMES) await assignNet(ckpt, net, model, net, model.nets[net]);
  for (const [opt, nets] of OPTIMIZERS) {
    const adam = adamOf(model, opt);
    for (const net of nets) {
      await assignNet(ckpt, `${opt}/m/${net}`, model, net, adam.m[net] as Params);
      await assignNet(ckpt, `${opt}/v/${net}`, model, net, adam.v[net] as Params);
    }
  }
  const { counters, rng } = ckpt.state;
  model.optG.step = counters.adamStepG;
  model.optD.step = counters.adamStepD;
  model.poolA.restore(await readPool(ckpt, "pool_A"));
  model.poolB.restore(await readPool(ckpt, "pool_B"));
  model.rng.restore(rng);
}
