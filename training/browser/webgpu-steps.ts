/**
 * Browser entry (bundled by tests/browser/train-bundle.ts): the trainer's own
 * CycleGAN step on the page's WebGPU adapter. The page calls
 * `unpairedRunSteps(run)` and gets the weights back.
 */
// tfjs-core registers no gradients by itself; the trainer's Node side gets them from @tensorflow/tfjs.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { runSteps, type StepRun, type StepRunResult } from "../model/step-run.ts";
import { trainingOps } from "../runtime/ops.ts";
import { loadWebgpu } from "../runtime/webgpu.ts";

declare global {
  var unpairedRunSteps: (run: StepRun) => Promise<StepRunResult & { backend: string }>;
}

globalThis.unpairedRunSteps = async (run) => {
  const backend = await loadWebgpu();
  return { backend, ...(await runSteps(run, trainingOps)) };
};
