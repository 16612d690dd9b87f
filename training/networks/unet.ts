/**
 * The reference's U-Net generator (`unet_128`: 7 downsamplings, `unet_256`: 8),
 * built from UnetSkipConnectionBlocks: 4x4 stride-2 convs down, 4x4 stride-2
 * transposed convs up, LeakyReLU 0.2 down, ReLU up, the norm (--norm) except
 * on the outermost down conv and the innermost down conv, tanh out. Every conv
 * but the outermost up conv follows the reference's use_bias (instance norm only).
 * Without dropout (CycleGAN's default --no_dropout).
 *
 * Faithful to one quirk of the reference: each block's down LeakyReLU is
 * in-place, so the skip connection concatenates LeakyReLU(x), not x. The
 * LeakyReLU therefore sits before the concatSkip here (the exported ONNX of
 * the reference shows the same graph). Names follow the reference's nesting:
 * model.model.<i> is the outermost block's Sequential, model.model.1.model.<i>
 * the next block's, and so on.
 */
import {
  convBias,
  type Layer,
  type NetworkSpec,
  type Norm,
  normLayer,
  type Upsample,
  upLayers,
} from "./spec.ts";

export interface UnetOptions {
  ngf: number;
  /** 7 for unet_128, 8 for unet_256: the input side must be a multiple of 2^numDowns. */
  numDowns: number;
  norm?: Norm;
  upsample?: Upsample;
  inChannels?: number;
  outChannels?: number;
}

const SLOPE = 0.2;

interface Block {
  outer: number;
  inner: number;
}

interface Kinds {
  norm: Norm;
  upsample: Upsample;
}

const down = (name: string, inC: number, outC: number, norm: Norm, feedsNorm: boolean): Layer => ({
  op: "conv",
  name,
  inChannels: inC,
  outChannels: outC,
  kernel: 4,
  stride: 2,
  padding: 1,
  bias: convBias(norm),
  feedsNorm: feedsNorm && norm !== "none",
});

/** Up convs feed a norm, except the outermost, which keeps its bias. */
const up = (name: string, inC: number, outC: number, k: Kinds, outermost = false): Layer[] =>
  upLayers(k.upsample, {
    name,
    inChannels: inC,
    outChannels: outC,
    kernel: 4,
    stride: 2,
    padding: 1,
    outputPadding: 0,
    bias: outermost || convBias(k.norm),
    feedsNorm: !outermost && k.norm !== "none",
  });

/**
 * The layers of a non-outermost block after its (in-place) LeakyReLU:
 * innermost: conv, ReLU, convT, norm; others: conv, norm, [child], ReLU, convT, norm.
 * `prefix` is the block's Sequential, e.g. "model.model.1.model".
 */
function blockBody(blocks: Block[], depth: number, prefix: string, k: Kinds): Layer[] {
  const b = blocks[depth] as Block;
  const { norm } = k;
  if (depth === blocks.length - 1) {
    return [
      down(`${prefix}.1`, b.outer, b.inner, norm, false),
      { op: "relu" },
      ...up(`${prefix}.3`, b.inner, b.outer, k),
      ...normLayer(norm, `${prefix}.4`, b.outer),
    ];
  }
  return [
    down(`${prefix}.1`, b.outer, b.inner, norm, true),
    ...normLayer(norm, `${prefix}.2`, b.inner),
    ...skip(blocks, depth + 1, `${prefix}.3.model`, k),
    { op: "relu" },
    ...up(`${prefix}.5`, b.inner * 2, b.outer, k),
    ...normLayer(norm, `${prefix}.6`, b.outer),
  ];
}

/** A child block as its parent sees it: LeakyReLU, then concat([x, body(x)]). */
function skip(blocks: Block[], depth: number, prefix: string, k: Kinds): Layer[] {
  return [
    { op: "leakyRelu", alpha: SLOPE },
    { op: "concatSkip", body: blockBody(blocks, depth, prefix, k) },
  ];
}

export function unetGenerator({
  ngf,
  numDowns,
  norm = "instance",
  upsample = "transpose",
  inChannels = 3,
  outChannels = 3,
}: UnetOptions): NetworkSpec {
  if (numDowns < 5) throw new RangeError(`a U-Net needs at least 5 downsamplings, got ${numDowns}`);
  // Outermost first: the outermost block itself (outer = image channels) is built below.
  const blocks: Block[] = [
    { outer: ngf, inner: ngf * 2 },
    { outer: ngf * 2, inner: ngf * 4 },
    { outer: ngf * 4, inner: ngf * 8 },
    ...Array.from({ length: numDowns - 4 }, () => ({ outer: ngf * 8, inner: ngf * 8 })),
  ];
  const layers: Layer[] = [
    down("model.model.0", inChannels, ngf, norm, false),
    ...skip(blocks, 0, "model.model.1.model", { norm, upsample }),
    { op: "relu" },
    ...up("model.model.3", ngf * 2, outChannels, { norm, upsample }, true),
    { op: "tanh" },
  ];
  return {
    kind: `unet_${2 ** numDowns}`,
    inChannels,
    outChannels,
    layers,
    sizeMultiple: 2 ** numDowns,
  };
}
