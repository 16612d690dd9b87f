/**
 * What the two threads of a split step (pair.ts, side-worker.ts) send each
 * other: tensors packed as plain arrays, the model's variables under stable
 * keys, and the protocol's messages.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Params } from "../../networks/tfjs.ts";
import type { TrainOptions } from "../../options.ts";
import type { BackendChoice } from "../../runtime/backend.ts";
import { disposeGrads, type GradGroups } from "../adam.ts";
import { type CycleGAN, type DiscriminatorName, NET_NAMES } from "../cyclegan.ts";
import type { RngState } from "../rng.ts";

export interface Packed {
  shape: number[];
  data: Float32Array;
}
export type PackedMap = Record<string, Packed>;

export const pack = (t: tf.Tensor): Packed => ({
  shape: [...t.shape],
  data: t.dataSync() as Float32Array,
});
export const unpack = (p: Packed): tf.Tensor => tf.tensor(p.data, p.shape);

/** Every variable of the model (weights and Adam moments) under a stable key. */
export function modelVariables(
  model: CycleGAN,
  only?: DiscriminatorName,
): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  const add = (prefix: string, params: Params | undefined) => {
    for (const [name, v] of params ?? []) out.set(`${prefix}/${name}`, v);
  };
  for (const net of only ? [only] : NET_NAMES) {
    const opt = net.startsWith("G") ? model.optG : model.optD;
    add(`net/${net}`, model.nets[net]);
    add(`m/${net}`, opt.m[net]);
    add(`v/${net}`, opt.v[net]);
  }
  return out;
}

export function packVariables(vars: Map<string, tf.Variable>): PackedMap {
  return Object.fromEntries([...vars].map(([k, v]) => [k, pack(v)]));
}

export function assignVariables(vars: Map<string, tf.Variable>, packed: PackedMap): void {
  for (const [k, v] of vars) {
    const p = packed[k];
    if (!p) throw new Error(`two-worker sync: ${k} missing`);
    tf.tidy(() => v.assign(unpack(p)));
  }
}

export const packGrads = (grads: GradGroups): PackedMap =>
  Object.fromEntries(
    Object.entries(grads).flatMap(([net, m]) => [...m].map(([n, g]) => [`${net}/${n}`, pack(g)])),
  );

/** own + other, for every gradient either side has; frees `own`. */
export function addGrads(own: GradGroups, other: PackedMap): GradGroups {
  const out: GradGroups = {};
  const keys = new Set([
    ...Object.entries(own).flatMap(([net, m]) => [...m.keys()].map((n) => `${net}/${n}`)),
    ...Object.keys(other),
  ]);
  for (const key of keys) {
    const [net, ...rest] = key.split("/");
    const name = rest.join("/");
    const mine = own[net as string]?.get(name);
    const theirs = other[key];
    const sum = tf.tidy(() =>
      mine && theirs
        ? tf.add(mine, unpack(theirs))
        : mine
          ? tf.clone(mine)
          : unpack(theirs as Packed),
    );
    const group = out[net as string] ?? new Map<string, tf.Tensor>();
    group.set(name, sum);
    out[net as string] = group;
  }
  disposeGrads(own);
  return out;
}

/** Everything a worker needs to continue exactly where the main model is. */
export interface FullState {
  variables: PackedMap;
  pools: { A: Packed[]; B: Packed[] };
  rng: RngState;
  adamStepG: number;
  adamStepD: number;
}

export type ToWorker =
  | {
      type: "init";
      options: TrainOptions;
      backend: BackendChoice;
      kernels: "fast" | "baseline";
      state: FullState;
    }
  | { type: "step"; lr: number; A: Packed; B: Packed }
  | { type: "grads"; grads: PackedMap }
  | { type: "sync"; full: boolean };

export type FromWorker =
  | { type: "ready"; backend: string }
  | { type: "grads"; grads: PackedMap }
  | { type: "stepped" }
  | {
      type: "synced";
      losses: number[];
      visuals?: Packed[];
      variables?: PackedMap;
      pool?: Packed[];
    }
  | { type: "error"; message: string };
