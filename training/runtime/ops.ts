/**
 * The `Ops` each backend trains with (see training/networks/tfjs.ts).
 * Every entry computes the same function as `referenceOps`; only the
 * gradients' construction differs (and is tested against numerical gradients).
 */
import { type Ops, referenceOps } from "../networks/tfjs.ts";
import { instanceNorm } from "./instance-norm.ts";
import { reflectPad } from "./reflect-pad.ts";

/**
 * Convolutions stay tf.conv2d / tf.conv2dTranspose: their gradient functions are
 * lazy per input, so tfjs computes only the gradients a pass needs (no weight
 * gradient for a frozen discriminator, no input gradient for an image). On wasm
 * the kernels behind them are replaced (training/runtime/wasm-kernels.ts).
 */
export const trainingOps: Ops = {
  ...referenceOps,
  reflectPad,
  instanceNorm,
};
