/**
 * What a state dict that is not a reference ResNet generator holds, in words,
 * from its keys and shapes: the reference's other networks (the PatchGAN and
 * pixel discriminators saved next to each generator, the U-Net generators)
 * are named with what to open instead. The key layouts are the reference's
 * (networks.py), which training/networks/{unet,patchgan}.ts follow.
 */

export interface Identified {
  /** "a PatchGAN discriminator (ndf 64, 3 layers)". */
  what: string;
  /** What to do instead, one sentence. */
  hint: string;
}

const GENERATOR_HINT =
  "Open a generator: the reference saves them as latest_net_G_A.pth and latest_net_G_B.pth; its pretrained models are single generators such as horse2zebra.pth.";

/** How deep the reference U-Net's UnetSkipConnectionBlocks nest in one key. */
function unetDepth(key: string): number {
  return key.split(".").filter((p) => p === "model").length - 1;
}

export function identifyStateDict(shapes: ReadonlyMap<string, readonly number[]>): Identified {
  const keys = [...shapes.keys()];
  if (keys.length === 0)
    return { what: "an empty state dict", hint: `It holds no tensors at all. ${GENERATOR_HINT}` };
  if (keys.some((k) => k.startsWith("model.model."))) {
    const downs = Math.max(...keys.map(unetDepth));
    const ngf = shapes.get("model.model.0.weight")?.[0];
    const netG = downs === 8 ? "unet_256" : downs === 7 ? "unet_128" : `a U-Net of ${downs} levels`;
    return {
      what: `a U-Net generator (${netG}${ngf ? `, ngf ${ngf}` : ""})`,
      hint: "Only the ResNet generators (resnet_9blocks, resnet_6blocks: every pretrained CycleGAN model) are supported: a U-Net needs inputs of exactly 128 or 256 px and cannot be tiled.",
    };
  }
  // Convolutions in key order (model.0, model.2, ...): [out, in, k, k].
  const convs = keys
    .filter((k) => /^model\.\d+\.weight$/.test(k) && shapes.get(k)?.length === 4)
    .sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]))
    .map((k) => shapes.get(k) as readonly number[]);
  const first = convs[0];
  const last = convs[convs.length - 1];
  if (first && last && last[0] === 1 && convs.length >= 2) {
    const kind = first[2] === 1 ? "pixel" : "PatchGAN";
    const layers = kind === "PatchGAN" ? `, ${convs.length - 2} layers` : "";
    return {
      what: `a ${kind} discriminator (ndf ${first[0]}${layers}, ${first[1]} input channels)`,
      hint: `The reference saves a discriminator (…_net_D_A.pth, …_net_D_B.pth) next to each generator; it judges images and cannot translate them. ${GENERATOR_HINT}`,
    };
  }
  return {
    what: "a state dict of another network, not a CycleGAN generator",
    hint: `A reference ResNet generator has keys model.1.weight, model.10.conv_block.1.weight, ... ${GENERATOR_HINT}`,
  };
}
