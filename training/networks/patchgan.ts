/**
 * The 70x70 PatchGAN discriminator (`basic`, n_layers = 3) and its n_layers
 * generalisation: C64 - C128 - C256 - C512(stride 1) - 1 channel, 4x4 convs,
 * LeakyReLU 0.2, the norm (--norm) everywhere but the first and last layers.
 */
import {
  convBias,
  type Layer,
  type NetworkSpec,
  type Norm,
  normLayer,
  SequentialNames,
} from "./spec.ts";

export interface PatchGanOptions {
  ndf: number;
  nLayers: number;
  norm?: Norm;
  inChannels?: number;
}

export function patchGanDiscriminator({
  ndf,
  nLayers,
  norm = "instance",
  inChannels = 3,
}: PatchGanOptions): NetworkSpec {
  const names = new SequentialNames("model");
  const layers: Layer[] = [];
  /** The first and last convs keep their bias; those feeding the norm follow the reference's use_bias. */
  const conv = (inC: number, outC: number, stride: number, feedsNorm: boolean): Layer => ({
    op: "conv",
    name: names.next(),
    inChannels: inC,
    outChannels: outC,
    kernel: 4,
    stride,
    padding: 1,
    bias: !feedsNorm || convBias(norm),
    feedsNorm: feedsNorm && norm !== "none",
  });
  const normAct = (channels: number): Layer[] => {
    const n = normLayer(norm, names.next(), channels);
    names.skip();
    return [...n, { op: "leakyRelu", alpha: 0.2 }];
  };
  layers.push(conv(inChannels, ndf, 2, false));
  names.skip();
  layers.push({ op: "leakyRelu", alpha: 0.2 });
  let mult = 1;
  for (let n = 1; n < nLayers; n++) {
    const prev = mult;
    mult = Math.min(2 ** n, 8);
    layers.push(conv(ndf * prev, ndf * mult, 2, true), ...normAct(ndf * mult));
  }
  const prev = mult;
  mult = Math.min(2 ** nLayers, 8);
  layers.push(conv(ndf * prev, ndf * mult, 1, true), ...normAct(ndf * mult));
  layers.push(conv(ndf * mult, 1, 1, false));
  return {
    kind: nLayers === 3 ? "basic" : `n_layers_${nLayers}`,
    inChannels,
    outChannels: 1,
    layers,
    sizeMultiple: 1,
  };
}
