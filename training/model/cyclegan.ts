/**
 * CycleGAN (Zhu et al., ICCV 2017) with the reference implementation's
 * contract: setInput, forward, optimizeParameters, losses.
 *
 * Names follow the reference; in the paper's terms G_A = G (A -> B),
 * G_B = F (B -> A), D_A = D_Y (judges B images), D_B = D_X (judges A images).
 */
import * as tf from "@tensorflow/tfjs-core";
import { buildDiscriminator, buildGenerator } from "../networks/index.ts";
import type { NetworkSpec } from "../networks/spec.ts";
import { forward, initParams, type Ops, type Params } from "../networks/tfjs.ts";
import type { TrainOptions } from "../options.ts";
import { Adam, disposeGrads, type GradGroups } from "./adam.ts";
import { ganLoss, l1 } from "./losses.ts";
import { ImagePool } from "./pool.ts";
import { Rng } from "./rng.ts";

export const LOSS_NAMES = [
  "D_A",
  "G_A",
  "cycle_A",
  "idt_A",
  "D_B",
  "G_B",
  "cycle_B",
  "idt_B",
] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export const VISUAL_NAMES = ["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"] as const;
export type VisualName = (typeof VISUAL_NAMES)[number];
export type Visuals = Record<VisualName, tf.Tensor4D>;

export type ModelOptions = Pick<
  TrainOptions,
  | "netG"
  | "ngf"
  | "netD"
  | "ndf"
  | "n_layers_D"
  | "norm"
  | "upsample"
  | "input_skip"
  | "init_gain"
  | "gan_mode"
  | "pool_size"
  | "lambda_A"
  | "lambda_B"
  | "lambda_identity"
  | "lr"
  | "beta1"
  | "seed"
>;

/** The networks, in checkpoint order. */
export const GENERATOR_NAMES = ["G_A", "G_B"] as const;
export const DISCRIMINATOR_NAMES = ["D_A", "D_B"] as const;
export const NET_NAMES = [...GENERATOR_NAMES, ...DISCRIMINATOR_NAMES] as const;
export type GeneratorName = (typeof GENERATOR_NAMES)[number];
export type DiscriminatorName = (typeof DISCRIMINATOR_NAMES)[number];
export type NetName = (typeof NET_NAMES)[number];

/**
 * The objective is symmetric: the "_A" half is G_A's adversarial and cycle_A
 * terms, idt_A and D_A (which judges B images); the "_B" half mirrors it.
 */
export type Half = "A" | "B";

/** tf.Variable names are global to the engine: each model instance gets its own prefix. */
let instances = 0;

export class CycleGAN {
  readonly specs: Readonly<Record<NetName, NetworkSpec>>;
  readonly nets: Readonly<Record<NetName, Params>>;
  /** Adam for G_A + G_B together, and for D_A + D_B together (as the reference). */
  readonly optG: Adam;
  readonly optD: Adam;
  /** Generated A images (shown to D_B) and generated B images (shown to D_A). */
  readonly poolA: ImagePool;
  readonly poolB: ImagePool;
  /** The pools' random stream; saved in checkpoints. */
  readonly rng: Rng;
  private readonly o: ModelOptions;
  private readonly ops: Ops;
  /** tf.Variable name -> [net, parameter name]. */
  private readonly owner = new Map<string, [NetName, string]>();
  private input: { A: tf.Tensor4D; B: tf.Tensor4D } | null = null;
  /** The last step's images and losses, for visuals() and losses(). */
  protected kept: Partial<Visuals> = {};
  protected lossTensors: Partial<Record<LossName, tf.Scalar>> = {};

  constructor(o: ModelOptions, ops: Ops) {
    this.o = o;
    this.ops = ops;
    const g = buildGenerator(o.netG, {
      ngf: o.ngf,
      norm: o.norm,
      upsample: o.upsample,
      inputSkip: o.input_skip,
    });
    const d = buildDiscriminator(o.netD, { ndf: o.ndf, nLayersD: o.n_layers_D, norm: o.norm });
    this.specs = { G_A: g, G_B: g, D_A: d, D_B: d };
    const init = Rng.derive(o.seed, "init");
    const id = instances++;
    const nets = {} as Record<NetName, Params>;
    for (const net of NET_NAMES) {
      const prefix = `cyclegan${id}/${net}/`;
      nets[net] = initParams(this.specs[net], o.init_gain, () => init.randn(), prefix);
      for (const [name, v] of nets[net]) this.owner.set(v.name, [net, name]);
    }
    this.nets = nets;
    const adam = { lr: o.lr, beta1: o.beta1, beta2: 0.999, eps: 1e-8 };
    this.optG = new Adam({ G_A: nets.G_A, G_B: nets.G_B }, adam);
    this.optD = new Adam({ D_A: nets.D_A, D_B: nets.D_B }, adam);
    this.rng = Rng.derive(o.seed, "pool");
    this.poolA = new ImagePool(o.pool_size, this.rng);
    this.poolB = new ImagePool(o.pool_size, this.rng);
  }

  /** A batch of A and B images, NHWC in [-1, 1]; the model takes ownership. */
  setInput(A: tf.Tensor4D, B: tf.Tensor4D): void {
    this.disposeInput();
    this.input = { A, B };
  }

  /**
   * Translations without any update: fake_B = G_A(A), rec_A = G_B(fake_B), and
   * the B side. optimizeParameters computes these itself inside its gradient
   * passes (no second forward), so this is for looking, not for training.
   */
  forward(): Visuals {
    const { A, B } = this.requireInput();
    this.disposeStep();
    const [fakeB, recA, fakeA, recB] = tf.tidy(() => {
      const fB = this.G("G_A", A);
      const fA = this.G("G_B", B);
      return [fB, this.G("G_B", fB), fA, this.G("G_A", fA)];
    });
    this.kept = { fake_B: fakeB, rec_A: recA, fake_A: fakeA, rec_B: recB };
    return this.visuals();
  }

  /** One CycleGAN step: update G_A and G_B (D fixed), then D_A and D_B on pooled fakes. */
  optimizeParameters(): void {
    this.applyGrads(this.optG, this.generatorGradients(["A", "B"]));
    this.updateDiscriminators(["A", "B"]);
  }

  /**
   * The gradients of the G objective's terms of `halves`, in order: A cycle,
   * B cycle, idt_A, idt_B (the terms of one half for a split step). The
   * objective is a sum, so its gradient is summed over these smaller passes,
   * each holding fewer activations on the tape; the forward work is the same
   * as one pass. Starts a step: the previous step's images and losses go.
   */
  protected generatorGradients(halves: readonly Half[]): GradGroups {
    const { A: realA, B: realB } = this.requireInput();
    this.disposeStep();
    const o = this.o;
    const gan = (pred: tf.Tensor, real: boolean) => ganLoss(pred, real, o.gan_mode);
    const cycle: Record<Half, () => tf.Scalar> = {
      A: () => {
        const fakeB = this.keepVisual("fake_B", this.G("G_A", realA));
        const recA = this.keepVisual("rec_A", this.G("G_B", fakeB));
        // G_A = (D_A(G_A(A)) - 1)^2 (lsgan); cycle_A = lambda_A * |G_B(G_A(A)) - A|
        const adv = this.keepLoss("G_A", gan(this.D("D_A", fakeB), true));
        return tf.add(adv, this.keepLoss("cycle_A", tf.mul(l1(recA, realA), o.lambda_A)));
      },
      B: () => {
        const fakeA = this.keepVisual("fake_A", this.G("G_B", realB));
        const recB = this.keepVisual("rec_B", this.G("G_A", fakeA));
        // G_B = (D_B(G_B(B)) - 1)^2 (lsgan); cycle_B = lambda_B * |G_A(G_B(B)) - B|
        const adv = this.keepLoss("G_B", gan(this.D("D_B", fakeA), true));
        return tf.add(adv, this.keepLoss("cycle_B", tf.mul(l1(recB, realB), o.lambda_B)));
      },
    };
    // idt_A = lambda_B * lambda_idt * |G_A(B) - B|; idt_B = lambda_A * lambda_idt * |G_B(A) - A|
    const identity: Record<Half, () => tf.Scalar> = {
      A: () =>
        this.keepLoss(
          "idt_A",
          tf.mul(l1(this.G("G_A", realB), realB), o.lambda_B * o.lambda_identity),
        ),
      B: () =>
        this.keepLoss(
          "idt_B",
          tf.mul(l1(this.G("G_B", realA), realA), o.lambda_A * o.lambda_identity),
        ),
    };
    const parts = halves.map((h) => cycle[h]);
    if (o.lambda_identity > 0) parts.push(...halves.map((h) => identity[h]));
    else for (const h of halves) this.lossTensors[`idt_${h}`] = tf.keep(tf.scalar(0));
    return this.gradients(parts, GENERATOR_NAMES);
  }

  /**
   * The D step of `halves`: D_A (half A) and/or D_B (half B) on the fakes
   * made before G's update, through the history pools. Both pools draw from
   * one random stream, B's pool (half A) first.
   */
  protected updateDiscriminators(halves: readonly Half[]): void {
    const { A: realA, B: realB } = this.requireInput();
    // D_A judges B images: real B against pooled fakes of B; D_B the reverse.
    const judged = {
      A: { D: "D_A", real: realB, fake: this.kept.fake_B, pool: this.poolB },
      B: { D: "D_B", real: realA, fake: this.kept.fake_A, pool: this.poolA },
    } as const;
    const parts: (() => tf.Scalar)[] = [];
    const nets: DiscriminatorName[] = [];
    const pooled: tf.Tensor4D[] = [];
    try {
      for (const half of halves) {
        const { D, real, fake, pool } = judged[half];
        const p = pool.query(fake as tf.Tensor4D);
        pooled.push(p);
        parts.push(() => this.backwardD(D, real, p));
        nets.push(D);
      }
      // One Adam for both discriminators: a step of one leaves the other's weights as they are.
      this.applyGrads(this.optD, this.gradients(parts, nets));
    } finally {
      for (const p of pooled) p.dispose();
    }
  }

  /**
   * Loss values of the last step (or zeros before the first). Asynchronous:
   * a GPU backend cannot read back synchronously in Node, and waiting here
   * also waits for the step's queued work.
   */
  async losses(): Promise<Record<LossName, number>> {
    const out = {} as Record<LossName, number>;
    for (const name of LOSS_NAMES) out[name] = (await this.lossTensors[name]?.data())?.[0] ?? 0;
    return out;
  }

  /** The images of the last step or forward(); owned by the model until the next one. */
  visuals(): Visuals {
    const { A, B } = this.requireInput();
    const k = this.kept;
    if (!k.fake_B || !k.rec_A || !k.fake_A || !k.rec_B)
      throw new Error("no visuals yet: call forward() or optimizeParameters() first");
    return {
      real_A: A,
      fake_B: k.fake_B,
      rec_A: k.rec_A,
      real_B: B,
      fake_A: k.fake_A,
      rec_B: k.rec_B,
    };
  }

  setLearningRate(lr: number): void {
    this.optG.lr = lr;
    this.optD.lr = lr;
  }

  dispose(): void {
    this.disposeStep();
    this.disposeInput();
    for (const net of NET_NAMES) for (const v of this.nets[net].values()) v.dispose();
    this.optG.dispose();
    this.optD.dispose();
    this.poolA.dispose();
    this.poolB.dispose();
  }

  private G(net: GeneratorName, x: tf.Tensor4D): tf.Tensor4D {
    return forward(this.specs[net], this.nets[net], x, this.ops);
  }

  private D(net: DiscriminatorName, x: tf.Tensor4D): tf.Tensor4D {
    return forward(this.specs[net], this.nets[net], x, this.ops);
  }

  /** The shared discriminator loss: 0.5 * (gan(D(real), real) + gan(D(fake), fake)). */
  private backwardD(net: DiscriminatorName, real: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar {
    const lossReal = ganLoss(this.D(net, real), true, this.o.gan_mode);
    const lossFake = ganLoss(this.D(net, fake), false, this.o.gan_mode);
    return this.keepLoss(net, tf.mul(tf.add(lossReal, lossFake), 0.5));
  }

  /** One Adam step with `grads`, which it then frees. */
  protected applyGrads(opt: Adam, grads: GradGroups): void {
    try {
      opt.apply(grads);
    } finally {
      disposeGrads(grads);
    }
  }

  /** The gradients of the sum of `parts` over the parameters of `nets`, summed pass by pass. */
  private gradients(parts: (() => tf.Scalar)[], nets: readonly NetName[]): GradGroups {
    const vars = nets.flatMap((n) => [...this.nets[n].values()]);
    const grads: GradGroups = Object.fromEntries(nets.map((n) => [n, new Map()]));
    try {
      for (const part of parts) {
        const { value, grads: named } = tf.variableGrads(part, vars);
        value.dispose();
        for (const [varName, g] of Object.entries(named)) {
          const [net, name] = this.owner.get(varName) as [NetName, string];
          const sum = grads[net] as Map<string, tf.Tensor>;
          const prev = sum.get(name);
          sum.set(name, prev ? tf.add(prev, g) : g);
          if (prev) {
            prev.dispose();
            g.dispose();
          }
        }
      }
      return grads;
    } catch (e) {
      disposeGrads(grads);
      throw e;
    }
  }

  private keepVisual(name: VisualName, t: tf.Tensor4D): tf.Tensor4D {
    this.kept[name] = tf.keep(t);
    return t;
  }

  private keepLoss(name: LossName, t: tf.Scalar): tf.Scalar {
    this.lossTensors[name] = tf.keep(tf.clone(t)); // a clone: the gradient pass disposes `t`
    return t;
  }

  private requireInput(): { A: tf.Tensor4D; B: tf.Tensor4D } {
    if (!this.input) throw new Error("setInput() must come first");
    return this.input;
  }

  private disposeStep(): void {
    for (const t of Object.values(this.kept)) t.dispose();
    for (const t of Object.values(this.lossTensors)) t.dispose();
    this.kept = {};
    this.lossTensors = {};
  }

  private disposeInput(): void {
    this.input?.A.dispose();
    this.input?.B.dispose();
    this.input = null;
  }
}
