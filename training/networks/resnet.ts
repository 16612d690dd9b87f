/**
 * The ResNet generator of the paper (Johnson et al.'s architecture):
 * c7s1-ngf, d2ngf, d4ngf, R4ngf x nBlocks, u2ngf, ungf, c7s1-3, tanh.
 * Layer indices match the reference's nn.Sequential so state-dict keys line up.
 */
import {
  convBias,
  type Layer,
  type NetworkSpec,
  type Norm,
  normLayer,
  SequentialNames,
  type Upsample,
  upLayers,
} from "./spec.ts";

export interface ResnetOptions {
  ngf: number;
  nBlocks: number;
  norm?: Norm;
  upsample?: Upsample;
  inChannels?: number;
  outChannels?: number;
}

export function resnetGenerator({
  ngf,
  nBlocks,
  norm = "instance",
  upsample = "transpose",
  inChannels = 3,
  outChannels = 3,
}: ResnetOptions): NetworkSpec {
  const names = new SequentialNames("model");
  const layers: Layer[] = [];
  const useBias = convBias(norm);
  const feedsNorm = norm !== "none";
  const relu = (): Layer => {
    names.skip();
    return { op: "relu" };
  };
  /** A conv followed by the norm, or (`last`) the output conv, which keeps its bias. */
  const conv = (
    inC: number,
    outC: number,
    kernel: number,
    stride: number,
    padding: number,
    last = false,
  ): Layer => ({
    op: "conv",
    name: names.next(),
    inChannels: inC,
    outChannels: outC,
    kernel,
    stride,
    padding,
    bias: last || useBias,
    feedsNorm: !last && feedsNorm,
  });
  const convNormRelu = (inC: number, outC: number, kernel: number, stride: number, pad: number) => [
    conv(inC, outC, kernel, stride, pad),
    ...normLayer(norm, names.next(), outC),
    relu(),
  ];

  names.skip(); // ReflectionPad2d(3)
  layers.push({ op: "reflectPad", pad: 3 }, ...convNormRelu(inChannels, ngf, 7, 1, 0));
  for (let i = 0; i < 2; i++) {
    const mult = 2 ** i;
    layers.push(...convNormRelu(ngf * mult, ngf * mult * 2, 3, 2, 1));
  }
  const width = ngf * 4;
  for (let b = 0; b < nBlocks; b++) {
    const block = new SequentialNames(`${names.next()}.conv_block`);
    const blockConv = (): Layer => ({
      op: "conv",
      name: block.next(),
      inChannels: width,
      outChannels: width,
      kernel: 3,
      stride: 1,
      padding: 0,
      bias: useBias,
      feedsNorm,
    });
    block.skip(); // pad
    const body: Layer[] = [{ op: "reflectPad", pad: 1 }, blockConv()];
    body.push(...normLayer(norm, block.next(), width), { op: "relu" });
    block.skip(2); // relu, pad
    body.push({ op: "reflectPad", pad: 1 }, blockConv(), ...normLayer(norm, block.next(), width));
    layers.push({ op: "residual", body });
  }
  for (let i = 0; i < 2; i++) {
    const mult = 2 ** (2 - i);
    layers.push(
      ...upLayers(upsample, {
        name: names.next(),
        inChannels: ngf * mult,
        outChannels: (ngf * mult) / 2,
        kernel: 3,
        stride: 2,
        padding: 1,
        outputPadding: 1,
        bias: useBias,
        feedsNorm,
      }),
      ...normLayer(norm, names.next(), (ngf * mult) / 2),
      relu(),
    );
  }
  names.skip(); // ReflectionPad2d(3)
  layers.push({ op: "reflectPad", pad: 3 }, conv(ngf, outChannels, 7, 1, 0, true), { op: "tanh" });
  return { kind: `resnet_${nBlocks}blocks`, inChannels, outChannels, layers, sizeMultiple: 4 };
}
