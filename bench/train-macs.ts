/**
 * The work of one CycleGAN training iteration, for effective GFLOP/s.
 *
 * One iteration counts as 2 x (18 MACs_G + 16 MACs_D):
 * G step: 6 generator passes (fake, rec, idt for both sides), forward plus
 * input and weight gradients (3x), and 2 discriminator passes forward plus
 * input gradient (2x); D step: 4 discriminator passes forward plus weight
 * gradients plus the input gradients of every layer but the first, which
 * the earlier layers' weight gradients need (3x; the first layer's input
 * gradient is a small share). MACs from training/networks countMacs at the
 * image size. Figures before 2026-11-27 08:30 counted the D step as 2x.
 */
import { buildDiscriminator, buildGenerator } from "../training/networks/index.ts";
import { countMacs } from "../training/networks/spec.ts";

/** Multiply-adds of one training iteration (see above). */
export function itersMacs(size: number, ngf: number, blocks: number): number {
  const g = buildGenerator(`resnet_${blocks}blocks`, { ngf });
  const d = buildDiscriminator("basic", { ndf: 64, nLayersD: 3 });
  return 18 * countMacs(g, size, size) + 16 * countMacs(d, size, size);
}
