/**
 * Networks as data. Each architecture file builds a list of layers; the
 * TensorFlow.js runtime (training) and the ONNX writer (export) both walk the
 * same list, so the trained graph and the exported graph cannot drift apart.
 *
 * Parameter names follow the reference PyTorch implementation's state-dict keys
 * (`model.1.weight`, `model.10.conv_block.5.bias`, ...), so reference checkpoints
 * import by name. Weight layouts here are PyTorch/ONNX: Conv [out, in, kh, kw],
 * ConvTranspose [in, out, kh, kw].
 */

import { INPUT_SKIPS, UPSAMPLES } from "../../models/names.ts";

export interface ConvLayer {
  op: "conv";
  /** State-dict prefix: weights at `${name}.weight`, bias at `${name}.bias`. */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  /** Zero padding on every side (reflection padding is a separate layer). */
  padding: number;
  bias: boolean;
  /** An instance norm follows: the bias is cancelled by it (exactly), so trainers may freeze it at 0. */
  feedsNorm: boolean;
}

/**
 * The generator's --upsample: `transpose` is the reference's stride-2
 * ConvTranspose2d; `resize` is nearest x2 then a 3x3 conv (Odena et al.,
 * "Deconvolution and Checkerboard Artifacts", Distill 2016), which cannot
 * leave the checkerboard that uneven kernel overlap gives a transposed conv.
 */
export type Upsample = (typeof UPSAMPLES)[number];
export { UPSAMPLES };

/** The --upsample a spec was built with: resize when it holds an upsample layer. */
export function upsampleOf(spec: NetworkSpec): Upsample {
  const has = (layers: Layer[]): boolean =>
    layers.some(
      (l) => l.op === "upsample" || ((l.op === "residual" || l.op === "concatSkip") && has(l.body)),
    );
  return has(spec.layers) ? "resize" : "transpose";
}

/**
 * --input_skip. Instance norm after the first conv takes away every channel's
 * mean, so a reference generator is blind to a photo's overall colour (adding
 * a constant to R, G or B changes its output by nothing) and paints every
 * photo in a palette guessed from structure. `full`: the output is x + G(x),
 * so a colour shift passes through and the network learns only the change.
 * `colour`: the output keeps the input's colour (BT.601 chroma) and takes
 * only its lightness from the network: x + (Y(G(x)) - Y(x)) on every channel,
 * the luminance-only transfer of Gatys et al., "Preserving Color in Neural
 * Artistic Style Transfer" (2016). Both are pointwise, so tiles stay seamless.
 */
export type InputSkip = (typeof INPUT_SKIPS)[number];
export { INPUT_SKIPS };

/** BT.601 luma weights of R, G, B (models/contract.ts works in RGB). */
const LUMA = [0.299, 0.587, 0.114] as const;
/** [x, g] (6 channels) -> x + (Y(g) - Y(x)) on each channel: [I - L | L], L's rows all LUMA. */
const COLOUR_MIX: number[][] = [0, 1, 2].map((o) => [
  ...LUMA.map((w, i) => (i === o ? 1 : 0) - w),
  ...LUMA,
]);

export function withInputSkip(spec: NetworkSpec, skip: InputSkip): NetworkSpec {
  if (skip === "off") return spec;
  if (spec.inChannels !== 3 || spec.outChannels !== 3)
    throw new Error(
      `--input_skip ${skip} mixes the input into the output: ${spec.kind} maps ${spec.inChannels} channels to ${spec.outChannels}, not RGB to RGB`,
    );
  const layers: Layer[] =
    skip === "full"
      ? [{ op: "residual", body: spec.layers }]
      : [
          { op: "concatSkip", body: spec.layers },
          { op: "mix", weights: COLOUR_MIX },
        ];
  return { ...spec, layers };
}

/** The --input_skip a generator spec was built with. */
export function inputSkipOf(spec: NetworkSpec): InputSkip {
  const [first, second] = spec.layers;
  if (spec.layers.length === 1 && first?.op === "residual") return "full";
  if (spec.layers.length === 2 && first?.op === "concatSkip" && second?.op === "mix")
    return "colour";
  return "off";
}

/** The reference's --norm: the layer after each inner conv. */
export const NORMS = ["instance", "batch", "none"] as const;
export type Norm = (typeof NORMS)[number];

export interface ConvTransposeLayer {
  op: "convTranspose";
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
  outputPadding: number;
  bias: boolean;
  feedsNorm: boolean;
}

export type Layer =
  | ConvLayer
  | ConvTransposeLayer
  | { op: "reflectPad"; pad: number }
  /**
   * Nearest-neighbour upsampling by an integer factor: with a conv after it,
   * the grid-free alternative to a transposed conv (--upsample resize).
   */
  | { op: "upsample"; scale: number }
  /** Instance norm without affine parameters or running statistics (the reference's default). */
  | { op: "instanceNorm"; epsilon: number }
  /**
   * Batch norm (--norm batch) with its learned per-channel scale and shift
   * (`${name}.weight`, `${name}.bias`): statistics over the batch and the
   * image. At test time that is the image's own statistics, as the reference's
   * test.py without --eval; running statistics are therefore not kept.
   */
  | { op: "batchNorm"; name: string; channels: number; epsilon: number }
  | { op: "relu" }
  | { op: "leakyRelu"; alpha: number }
  | { op: "tanh" }
  /** x + body(x) */
  | { op: "residual"; body: Layer[] }
  /** concat([x, body(x)], channels): the U-Net skip connection. */
  | { op: "concatSkip"; body: Layer[] }
  /** A fixed 1x1 map of channels, no parameters: out[o] = sum_i weights[o][i] in[i]. */
  | { op: "mix"; weights: number[][] };

export interface NetworkSpec {
  /** Registry name, e.g. `resnet_9blocks`, `basic`. */
  kind: string;
  inChannels: number;
  outChannels: number;
  layers: Layer[];
  /** Sides of the input must be multiples of this. */
  sizeMultiple: number;
}

export interface ParamShape {
  name: string;
  shape: number[];
  /** The reference's init_weights: conv weights normal(0, gain), norm scales normal(1, gain), the rest 0. */
  init: "weight" | "scale" | "zero";
}

/** Every trainable tensor in walk order, with its PyTorch/ONNX layout shape. */
export function paramShapes(spec: NetworkSpec): ParamShape[] {
  const out: ParamShape[] = [];
  const walk = (layers: Layer[]) => {
    for (const l of layers) {
      if (l.op === "conv") {
        out.push({
          name: `${l.name}.weight`,
          shape: [l.outChannels, l.inChannels, l.kernel, l.kernel],
          init: "weight",
        });
        if (l.bias) out.push({ name: `${l.name}.bias`, shape: [l.outChannels], init: "zero" });
      } else if (l.op === "convTranspose") {
        out.push({
          name: `${l.name}.weight`,
          shape: [l.inChannels, l.outChannels, l.kernel, l.kernel],
          init: "weight",
        });
        if (l.bias) out.push({ name: `${l.name}.bias`, shape: [l.outChannels], init: "zero" });
      } else if (l.op === "batchNorm") {
        out.push({ name: `${l.name}.weight`, shape: [l.channels], init: "scale" });
        out.push({ name: `${l.name}.bias`, shape: [l.channels], init: "zero" });
      } else if (l.op === "residual" || l.op === "concatSkip") {
        walk(l.body);
      }
    }
  };
  walk(spec.layers);
  return out;
}

/**
 * Channels of every norm (instance or batch) in walk order: the layout of the
 * normalisation statistics an exported generator reports and accepts
 * (models/norm-stats.ts), C means then C variances per norm.
 */
export function normChannels(spec: NetworkSpec): number[] {
  const out: number[] = [];
  const walk = (layers: Layer[], c: number): number => {
    for (const l of layers) {
      if (l.op === "conv" || l.op === "convTranspose") c = l.outChannels;
      else if (l.op === "instanceNorm" || l.op === "batchNorm") out.push(c);
      else if (l.op === "residual") walk(l.body, c);
      else if (l.op === "concatSkip") c += walk(l.body, c);
      else if (l.op === "mix") c = l.weights.length;
    }
    return c;
  };
  walk(spec.layers, spec.inChannels);
  return out;
}

export function countParams(spec: NetworkSpec): number {
  return paramShapes(spec).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Multiply-adds for one image of height x width. Transposed convs are counted
 * at input resolution (each input pixel times kernel area times channels),
 * which is the work actually done.
 */
export function countMacs(spec: NetworkSpec, height: number, width: number): number {
  let total = 0;
  const walk = (layers: Layer[], h: number, w: number, c: number): [number, number, number] => {
    for (const l of layers) {
      switch (l.op) {
        case "reflectPad":
          h += 2 * l.pad;
          w += 2 * l.pad;
          break;
        case "upsample":
          h *= l.scale;
          w *= l.scale;
          break;
        case "conv": {
          h = Math.floor((h + 2 * l.padding - l.kernel) / l.stride) + 1;
          w = Math.floor((w + 2 * l.padding - l.kernel) / l.stride) + 1;
          total += h * w * l.outChannels * l.inChannels * l.kernel * l.kernel;
          c = l.outChannels;
          break;
        }
        case "convTranspose": {
          total += h * w * l.inChannels * l.outChannels * l.kernel * l.kernel;
          h = (h - 1) * l.stride - 2 * l.padding + l.kernel + l.outputPadding;
          w = (w - 1) * l.stride - 2 * l.padding + l.kernel + l.outputPadding;
          c = l.outChannels;
          break;
        }
        case "residual":
          walk(l.body, h, w, c);
          break;
        case "concatSkip": {
          const [, , bc] = walk(l.body, h, w, c);
          c += bc;
          break;
        }
        case "mix":
          total += h * w * l.weights.length * c;
          c = l.weights.length;
          break;
        default:
          break;
      }
    }
    return [h, w, c];
  };
  walk(spec.layers, height, width, spec.inChannels);
  return total;
}

/**
 * The norm layer after an inner conv (the reference's get_norm_layer) at
 * state-dict prefix `name`; --norm none (nn.Identity) still takes its index.
 */
export function normLayer(norm: Norm, name: string, channels: number): Layer[] {
  if (norm === "instance") return [{ op: "instanceNorm", epsilon: 1e-5 }];
  if (norm === "batch") return [{ op: "batchNorm", name, channels, epsilon: 1e-5 }];
  return [];
}

/**
 * Whether a conv that feeds a norm has a bias: the reference's use_bias is
 * true only for instance norm (batch norm's shift replaces it; with --norm
 * none the reference leaves those convs without one too).
 */
export const convBias = (norm: Norm): boolean => norm === "instance";

/**
 * A x2 up layer at state-dict prefix `t.name`: the reference's transposed
 * conv, or for --upsample resize nearest x2 then a 3x3 conv (zero padding 1,
 * like the transposed conv's own border) that takes the same name and bias.
 */
export function upLayers(upsample: Upsample, t: Omit<ConvTransposeLayer, "op">): Layer[] {
  if (upsample === "transpose") return [{ op: "convTranspose", ...t }];
  return [
    { op: "upsample", scale: t.stride },
    {
      op: "conv",
      name: t.name,
      inChannels: t.inChannels,
      outChannels: t.outChannels,
      kernel: 3,
      stride: 1,
      padding: 1,
      bias: t.bias,
      feedsNorm: t.feedsNorm,
    },
  ];
}

/** Sequential-index naming like the reference's nn.Sequential: every layer takes an index. */
export class SequentialNames {
  private index = 0;
  private readonly prefix: string;
  constructor(prefix: string) {
    this.prefix = prefix;
  }
  /** The name of the next layer; padding, norm and activation layers consume an index too. */
  next(): string {
    return `${this.prefix}.${this.index++}`;
  }
  skip(n = 1): void {
    this.index += n;
  }
}
