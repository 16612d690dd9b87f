/**
 * A CycleGAN whose step can run in two halves on two threads (pair.ts): side
 * A takes the A cycle, idt_A and D_A, side B the rest. Each side computes its
 * share of the generator gradients; the caller sums both shares and hands the
 * sum to finishSide on each side. Outside a split step it is the plain model.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { GradGroups } from "../adam.ts";
import {
  CycleGAN,
  type DiscriminatorName,
  type Half,
  type LossName,
  type VisualName,
} from "../cyclegan.ts";

/** What each side owns. */
export const SIDES = {
  A: {
    D: "D_A",
    pool: "poolB",
    visuals: ["fake_B", "rec_A"],
    losses: ["D_A", "G_A", "cycle_A", "idt_A"],
  },
  B: {
    D: "D_B",
    pool: "poolA",
    visuals: ["fake_A", "rec_B"],
    losses: ["D_B", "G_B", "cycle_B", "idt_B"],
  },
} as const satisfies Record<
  Half,
  { D: DiscriminatorName; pool: "poolA" | "poolB"; visuals: VisualName[]; losses: LossName[] }
>;

export class SplitCycleGAN extends CycleGAN {
  /** Side `side`'s share of the generator gradients (the batch is already set). */
  sideGradients(side: Half): GradGroups {
    return this.generatorGradients([side]);
  }

  /**
   * Adam on the generators with gradients summed over both sides; then this
   * side's D update. Both pools draw from one random stream, B's pool (side
   * A's) first, so the pool the other side holds is advanced in its turn.
   */
  finishSide(side: Half, grads: GradGroups): void {
    this.applyGrads(this.optG, grads);
    const other = SIDES[side === "A" ? "B" : "A"].pool;
    const n = (this.kept[SIDES[side].visuals[0]] as tf.Tensor4D).shape[0];
    if (side === "B") this[other].advance(n);
    this.updateDiscriminators([side]);
    if (side === "A") this[other].advance(n);
  }

  /**
   * Take the other side's last losses and (if given) visuals, owning them, so
   * losses() and visuals() show both sides.
   */
  adoptSide(side: Half, visuals: tf.Tensor4D[], losses: number[]): void {
    const own = SIDES[side];
    own.visuals.forEach((name, i) => {
      const t = visuals[i];
      if (!t) return;
      this.kept[name]?.dispose();
      this.kept[name] = t;
    });
    own.losses.forEach((name, i) => {
      this.lossTensors[name]?.dispose();
      this.lossTensors[name] = tf.keep(tf.scalar(losses[i] as number));
    });
  }

  /** Side `side`'s visuals of the last step, still owned by the model. */
  sideVisuals(side: Half): tf.Tensor4D[] {
    return SIDES[side].visuals.map((name) => {
      const t = this.kept[name];
      if (!t) throw new Error(`no ${name} yet: run a step first`);
      return t;
    });
  }
}
