/**
 * Adam as PyTorch's torch.optim.Adam computes it (the reference's optimiser):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Written out rather than using tf.train.adam because the schedule must set
 * the rate each epoch, and an exact resume needs the step count and moments
 * as plain state (tfjs keeps b^t as a float32 running product and rebuilds it
 * differently on restore).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Params } from "../networks/tfjs.ts";

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Named groups of parameters, e.g. { G_A: params, G_B: params }. */
export type ParamGroups = Readonly<Record<string, Params>>;
/** Gradients by group and parameter name; missing entries mean "no gradient this step". */
export type GradGroups = Record<string, Map<string, tf.Tensor>>;

export function disposeGrads(grads: GradGroups): void {
  for (const m of Object.values(grads)) for (const g of m.values()) g.dispose();
}

function zerosLike(groups: ParamGroups): Record<string, Params> {
  const out: Record<string, Params> = {};
  for (const [g, params] of Object.entries(groups)) {
    // tidy: the zeros a variable starts from would otherwise stay alive beside it
    out[g] = new Map(
      [...params].map(([n, p]) => [n, tf.tidy(() => tf.variable(tf.zerosLike(p), false))]),
    );
  }
  return out;
}

export class Adam {
  lr: number;
  private readonly config: AdamConfig;
  private readonly groups: ParamGroups;
  /** First and second moments, same groups and names as the parameters. */
  readonly m: Record<string, Params>;
  readonly v: Record<string, Params>;
  /** Steps taken (t in the bias corrections). */
  step = 0;

  constructor(groups: ParamGroups, config: AdamConfig) {
    this.groups = groups;
    this.config = config;
    this.lr = config.lr;
    this.m = zerosLike(groups);
    this.v = zerosLike(groups);
  }

  apply(grads: GradGroups): void {
    this.step += 1;
    const { beta1: b1, beta2: b2, eps } = this.config;
    const stepSize = this.lr / (1 - b1 ** this.step);
    const sqrtBc2 = Math.sqrt(1 - b2 ** this.step);
    for (const [group, params] of Object.entries(this.groups)) {
      for (const [name, p] of params) {
        const g = grads[group]?.get(name);
        if (!g) continue;
        const m = this.m[group]?.get(name) as tf.Variable;
        const v = this.v[group]?.get(name) as tf.Variable;
        tf.tidy(() => {
          const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
          const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
          const denom = tf.add(tf.div(tf.sqrt(v1), sqrtBc2), eps);
          p.assign(tf.sub(p, tf.mul(tf.div(m1, denom), stepSize)));
          m.assign(m1);
          v.assign(v1);
        });
      }
    }
  }

  dispose(): void {
    for (const moments of [this.m, this.v])
      for (const params of Object.values(moments)) for (const t of params.values()) t.dispose();
  }
}
