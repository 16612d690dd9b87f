/**
 * The ResNet generator of the paper (Johnson et al.'s architecture):
 * c7s1-ngf, d2ngf, d4ngf, R4ngf x nBlocks, u2ngf, ungf, c7s1-3, tanh.
 * Layer indices match the reference's nn.Sequential so state-dict keys line up.
 */
import { type Layer, type NetworkSpec, SequentialNames } from "./spec.ts";

export interface ResnetOptions {
  ngf: number;
  nBlocks: number;
  inChannels?: number;
  outChannels?: number;
}

const EPS = 1e-5;

export function resnetGenerator({
  ngf,
  nBlocks,
  inChannels = 3,
  outChannels = 3,
}: ResnetOptions): NetworkSpec {
  const names = new SequentialNames("model");
  const layers: Layer[] = [];
  const norm = (): Layer => {
    names.skip();
    return { op: "instanceNorm", epsilon: EPS };
  };
  const relu = (): Layer => {
    names.skip();
    return { op: "relu" };
  };
  const conv = (
    inC: number,
    outC: number,
    kernel: number,
    stride: number,
    padding: number,
    feedsNorm: boolean,
  ): Layer => ({
    op: "conv",
    name: names.next(),
    inChannels: inC,
    outChannels: outC,
    kernel,
    stride,
    padding,
    bias: true,
    feedsNorm,
  });

  names.skip(); // ReflectionPad2d(3)
  layers.push({ op: "reflectPad", pad: 3 }, conv(inChannels, ngf, 7, 1, 0, true), norm(), relu());
  for (let i = 0; i < 2; i++) {
    const mult = 2 ** i;
    layers.push(conv(ngf * mult, ngf * mult * 2, 3, 2, 1, true), norm(), relu());
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
      bias: true,
      feedsNorm: true,
    });
    block.skip(); // pad
    const body: Layer[] = [{ op: "reflectPad", pad: 1 }, blockConv()];
    block.skip(2); // norm, relu
    body.push({ op: "instanceNorm", epsilon: EPS }, { op: "relu" });
    block.skip(); // pad
    body.push({ op: "reflectPad", pad: 1 }, blockConv(), { op: "instanceNorm", epsilon: EPS });
    layers.push({ op: "residual", body });
  }
  for (let i = 0; i < 2; i++) {
    const mult = 2 ** (2 - i);
    layers.push(
      {
        op: "convTranspose",
        name: names.next(),
        inChannels: ngf * mult,
        outChannels: (ngf * mult) / 2,
        kernel: 3,
        stride: 2,
        padding: 1,
        outputPadding: 1,
        bias: true,
        feedsNorm: true,
      },
      norm(),
      relu(),
    );
  }
  names.skip(); // ReflectionPad2d(3)
  layers.push({ op: "reflectPad", pad: 3 }, conv(ngf, outChannels, 7, 1, 0, false), { op: "tanh" });
  return { kind: `resnet_${nBlocks}blocks`, inChannels, outChannels, layers, sizeMultiple: 4 };
}
