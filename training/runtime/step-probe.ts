/**
 * A CycleGAN-shaped training step for profiling and testing the runtime
 * (not the trainer: training/model/ holds the real model). Two generators and
 * two PatchGANs from the network registry; the generator update is summed over
 * the same smaller gradient passes the trainer uses (A cycle, B cycle,
 * identity), then both discriminators update on the step's fakes. LSGAN, L1
 * cycle and identity losses, Adam (2e-4, beta1 0.5) as in the reference.
 */

import * as tf from "@tensorflow/tfjs-core";
import { buildDiscriminator, buildGenerator } from "../networks/index.ts";
import type { NetworkSpec } from "../networks/spec.ts";
import { forward, initParams, type Ops, type Params } from "../networks/tfjs.ts";
import { seededNormal } from "../util/seeded.ts";

export interface ProbeOptions {
  ngf: number;
  blocks: 6 | 9;
  ndf: number;
  /** PatchGAN depth (3 is the 70x70 "basic" one). */
  nLayersD: number;
  ops: Ops;
  /** Seeds the initial weights; equal seeds give equal weights on every backend. */
  seed: number;
}

let instances = 0;

export class ProbeStep {
  readonly g: NetworkSpec;
  readonly d: NetworkSpec;
  readonly nets: Record<"gA" | "gB" | "dA" | "dB", Params>;
  private readonly ops: Ops;
  private readonly optG = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
  private readonly optD = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);

  constructor(o: ProbeOptions) {
    this.ops = o.ops;
    this.g = buildGenerator(`resnet_${o.blocks}blocks`, { ngf: o.ngf });
    this.d = buildDiscriminator("n_layers", { ndf: o.ndf, nLayersD: o.nLayersD });
    const rand = seededNormal(o.seed);
    const id = instances++;
    const make = (spec: NetworkSpec, name: string) =>
      initParams(spec, 0.02, rand, `probe${id}/${name}/`);
    this.nets = {
      gA: make(this.g, "gA"),
      gB: make(this.g, "gB"),
      dA: make(this.d, "dA"),
      dB: make(this.d, "dB"),
    };
  }

  /** One update of both generators, then of both discriminators. Returns the summed G and D losses. */
  run(realA: tf.Tensor4D, realB: tf.Tensor4D): { lossG: number; lossD: number } {
    const G = (net: "gA" | "gB", x: tf.Tensor4D) => forward(this.g, this.nets[net], x, this.ops);
    const D = (net: "dA" | "dB", x: tf.Tensor) =>
      forward(this.d, this.nets[net], x as tf.Tensor4D, this.ops);
    const l1 = (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.abs(tf.sub(a, b)));
    const ls = (p: tf.Tensor, target: number) => tf.mean(tf.square(tf.sub(p, target)));
    const fakes: tf.Tensor[] = [];
    const keep = (t: tf.Tensor4D) => {
      fakes.push(tf.keep(tf.clone(t)));
      return t;
    };
    const lossG = this.update(
      this.optG,
      ["gA", "gB"],
      [
        () => {
          const fakeB = keep(G("gA", realA));
          return tf.add(ls(D("dA", fakeB), 1), tf.mul(l1(G("gB", fakeB), realA), 10));
        },
        () => {
          const fakeA = keep(G("gB", realB));
          return tf.add(ls(D("dB", fakeA), 1), tf.mul(l1(G("gA", fakeA), realB), 10));
        },
        () => tf.add(tf.mul(l1(G("gA", realB), realB), 5), tf.mul(l1(G("gB", realA), realA), 5)),
      ],
    );
    const [fakeB, fakeA] = fakes as [tf.Tensor, tf.Tensor];
    const half = (real: tf.Tensor, fake: tf.Tensor, net: "dA" | "dB") =>
      tf.mul(tf.add(ls(D(net, real), 1), ls(D(net, fake), 0)), 0.5);
    const lossD = this.update(
      this.optD,
      ["dA", "dB"],
      [() => tf.add(half(realB, fakeB, "dA"), half(realA, fakeA, "dB"))],
    );
    tf.dispose(fakes);
    return { lossG, lossD };
  }

  /** Sum the gradients of `parts` (each its own tape) and apply them in one optimizer step. */
  private update(
    opt: tf.Optimizer,
    nets: (keyof ProbeStep["nets"])[],
    parts: (() => tf.Tensor)[],
  ): number {
    const vars = nets.flatMap((n) => [...this.nets[n].values()]);
    let total = 0;
    let sum: tf.NamedTensorMap = {};
    for (const part of parts) {
      const { value, grads } = tf.variableGrads(part as () => tf.Scalar, vars);
      total += value.dataSync()[0] as number;
      value.dispose();
      const next: tf.NamedTensorMap = {};
      for (const [k, g] of Object.entries(grads))
        next[k] = sum[k] ? tf.add(sum[k] as tf.Tensor, g) : g;
      for (const [k, g] of Object.entries(grads)) if (sum[k]) g.dispose();
      tf.dispose(Object.values(sum));
      sum = next;
    }
    opt.applyGradients(sum);
    tf.dispose(Object.values(sum));
    return total;
  }

  /** Every parameter's values, in a fixed order. */
  weights(): Float32Array[] {
    return Object.values(this.nets).flatMap((p) =>
      [...p.values()].map((v) => v.dataSync() as Float32Array),
    );
  }

  dispose(): void {
    for (const p of Object.values(this.nets)) for (const v of p.values()) v.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}
