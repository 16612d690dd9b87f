/** The tiny fixed training run the webgpu tests repeat on each backend, and how they compare. */
import type { StepRun, StepRunResult } from "../../../training/model/step-run.ts";
import { parseTrainOptions } from "../../../training/options.ts";
import { SWIFTSHADER_ICD } from "../../../training/runtime/webgpu.ts";

export const tinyRun = (steps = 2): StepRun => ({
  options: parseTrainOptions([
    ...["--dataroot", "-", "--netG", "resnet_6blocks", "--ngf", "4"],
    ...["--netD", "n_layers", "--n_layers_D", "2", "--ndf", "4", "--pool_size", "3", "--seed", "3"],
  ]).options,
  size: 24,
  steps,
});

/** Max and 99th-percentile absolute difference over every weight of the four networks. */
export function weightDiff(a: StepRunResult, b: StepRunResult): { max: number; p99: number } {
  const diffs: number[] = [];
  for (const [name, values] of Object.entries(a.weights)) {
    const other = b.weights[name];
    if (!other || other.length !== values.length)
      throw new Error(`weights differ in shape: ${name}`);
    for (let i = 0; i < values.length; i++)
      diffs.push(Math.abs((values[i] as number) - (other[i] as number)));
  }
  diffs.sort((x, y) => x - y);
  return { max: diffs.at(-1) ?? 0, p99: diffs[Math.floor(0.99 * (diffs.length - 1))] ?? 0 };
}

/** Dawn in Node finds no adapter on a machine without GPU drivers: use Chromium's SwiftShader. */
export function useSoftwareVulkan(): void {
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
}
