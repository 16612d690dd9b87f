/**
 * The trainer's own CycleGAN step (training/model/cyclegan.ts) on one fixed
 * pair of images, for kernel profiles: reference losses and Adam, the pool
 * off so every step does the same work.
 */
import * as tf from "@tensorflow/tfjs-core";
import { CycleGAN } from "../training/model/cyclegan.ts";
import type { Ops } from "../training/networks/tfjs.ts";
import { parseTrainOptions } from "../training/options.ts";

export interface TrainerStepOptions {
  ngf: number;
  blocks: 6 | 9;
  /** The discriminator is the 70x70 PatchGAN (`basic`) with this many first-layer filters. */
  ndf: number;
  ops: Ops;
}

export interface TrainerStep {
  /** One optimizeParameters on the images; they stay the caller's. */
  run(a: tf.Tensor4D, b: tf.Tensor4D): void;
  dispose(): void;
}

export function trainerStep(o: TrainerStepOptions): TrainerStep {
  const options = parseTrainOptions([
    ...["--dataroot", "-", "--netG", `resnet_${o.blocks}blocks`, "--ngf", String(o.ngf)],
    ...["--netD", "basic", "--ndf", String(o.ndf), "--pool_size", "0", "--seed", "1"],
  ]).options;
  const model = new CycleGAN(options, o.ops);
  return {
    run(a, b) {
      model.setInput(tf.clone(a), tf.clone(b));
      model.optimizeParameters();
    },
    dispose: () => model.dispose(),
  };
}
