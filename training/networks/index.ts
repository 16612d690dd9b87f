/** The registry of architectures, by the reference's option names (`--netG`, `--netD`). */
import { patchGanDiscriminator } from "./patchgan.ts";
import { resnetGenerator } from "./resnet.ts";
import {
  type InputSkip,
  type NetworkSpec,
  type Norm,
  type Upsample,
  withInputSkip,
} from "./spec.ts";
import { unetGenerator } from "./unet.ts";

export type GeneratorFactory = (o: {
  ngf: number;
  /** The reference's --norm (default instance). */
  norm?: Norm;
  /** --upsample (default transpose, the reference's layer). */
  upsample?: Upsample;
  inChannels?: number;
  outChannels?: number;
}) => NetworkSpec;
export type DiscriminatorFactory = (o: {
  ndf: number;
  nLayersD: number;
  norm?: Norm;
  inChannels?: number;
}) => NetworkSpec;

export const GENERATORS = {
  resnet_9blocks: (o) => resnetGenerator({ ...o, nBlocks: 9 }),
  resnet_6blocks: (o) => resnetGenerator({ ...o, nBlocks: 6 }),
  unet_128: (o) => unetGenerator({ ...o, numDowns: 7 }),
  unet_256: (o) => unetGenerator({ ...o, numDowns: 8 }),
} satisfies Record<string, GeneratorFactory>;

export const DISCRIMINATORS = {
  basic: (o) => patchGanDiscriminator({ ...o, nLayers: 3 }),
  n_layers: (o) => patchGanDiscriminator({ ...o, nLayers: o.nLayersD }),
} satisfies Record<string, DiscriminatorFactory>;

export type NetG = keyof typeof GENERATORS;
export type NetD = keyof typeof DISCRIMINATORS;

function lookup<T>(table: Record<string, T>, kind: string, flag: string): T {
  const f = table[kind];
  if (!f)
    throw new Error(
      `Unsupported ${flag} "${kind}". Should be one of: ${Object.keys(table).join(", ")}.`,
    );
  return f;
}

/** A generator by --netG; `inputSkip` (--input_skip) mixes the input into its output. */
export function buildGenerator(
  netG: string,
  o: Parameters<GeneratorFactory>[0] & { inputSkip?: InputSkip },
): NetworkSpec {
  const { inputSkip = "off", ...rest } = o;
  return withInputSkip(lookup<GeneratorFactory>(GENERATORS, netG, "--netG")(rest), inputSkip);
}

export function buildDiscriminator(
  netD: string,
  o: Parameters<DiscriminatorFactory>[0],
): NetworkSpec {
  return lookup<DiscriminatorFactory>(DISCRIMINATORS, netD, "--netD")(o);
}
