/**
 * A reference CycleGAN generator state dict -> our ResNet spec + weights.
 * The architecture is read off the keys and shapes: the number of
 * `model.N.conv_block` entries gives 6 or 9 blocks, `model.1.weight`
 * [ngf, 3, 7, 7] gives ngf, and the first conv's bias the norm (--norm): the
 * reference keeps conv biases only with instance norm; without one,
 * `model.2.weight` (a batch norm's scale) means batch norm, else none. Running statistics are dropped: those of
 * instance norm that old PyTorch versions saved, as the reference does on
 * load, and batch norm's, since at test time a generator normalises with each
 * image's own statistics (the reference's test.py without --eval).
 * The first up layer's weight tells --upsample: a transposed conv is stored
 * [in, out, k, k] = [4 ngf, 2 ngf, ...], our resize variant's conv [2 ngf, 4 ngf, ...].
 * Anything else that does not fit is an error naming the keys and shapes.
 */
import { buildGenerator, GENERATORS } from "../networks/index.ts";
import {
  type InputSkip,
  type NetworkSpec,
  type Norm,
  paramShapes,
  type Upsample,
} from "../networks/spec.ts";
import { identifyStateDict } from "./identify.ts";
import type { StoredTensor } from "./tensors.ts";

export interface ImportedGenerator {
  netG: string;
  ngf: number;
  norm: Norm;
  upsample: Upsample;
  spec: NetworkSpec;
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** Keys ignored on purpose (norm running statistics). */
  dropped: string[];
}

const NORM_STATS = /\.(running_mean|running_var|num_batches_tracked)$/;
const MAX_LISTED = 12;
/**
 * The reference uses 64; the shapes the file must then match grow with
 * ngf^2, so a file's say is capped before any weights are expected of it.
 */
const MAX_NGF = 256;

function list(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join("\n  ");
  return items.length > MAX_LISTED
    ? `${shown}\n  ... and ${items.length - MAX_LISTED} more`
    : shown;
}

export function generatorFromStateDict(
  dict: ReadonlyMap<string, StoredTensor>,
  label: string,
  /** --input_skip holds no weights, so the keys cannot tell it: the caller (a manifest entry) does. */
  inputSkip: InputSkip = "off",
): ImportedGenerator {
  let entries = [...dict];
  // Saved from nn.DataParallel: every key starts with "module.".
  if (entries.length > 0 && entries.every(([k]) => k.startsWith("module.")))
    entries = entries.map(([k, v]) => [k.slice("module.".length), v]);
  const dropped = entries.filter(([k]) => NORM_STATS.test(k)).map(([k]) => k);
  const tensors = new Map(entries.filter(([k]) => !NORM_STATS.test(k)));

  const blocks = new Set(
    [...tensors.keys()].flatMap((k) => /^model\.(\d+)\.conv_block\./.exec(k)?.[1] ?? []),
  );
  const first = tensors.get("model.1.weight");
  if (blocks.size === 0 || !first || first.shape.length !== 4) {
    const it = identifyStateDict(new Map([...tensors].map(([k, t]) => [k, t.shape])));
    throw new Error(
      `${label} is not a ResNet CycleGAN generator: it is ${it.what} (no model.1.weight and model.N.conv_block keys). ${it.hint} It holds:\n  ${list([...tensors].map(([k, t]) => `${k} [${t.shape}]`))}`,
    );
  }
  const netG = `resnet_${blocks.size}blocks`;
  if (!(netG in GENERATORS))
    throw new Error(
      `${label}: a ResNet generator with ${blocks.size} blocks is not supported (6 or 9)`,
    );
  const ngf = first.shape[0] as number;
  if (ngf < 1 || ngf > MAX_NGF)
    throw new Error(
      `${label}: model.1.weight [${first.shape}] gives ngf ${ngf}, outside 1..${MAX_NGF}: not a reference generator`,
    );
  const norm: Norm = tensors.has("model.1.bias")
    ? "instance"
    : tensors.has("model.2.weight")
      ? "batch"
      : "none";
  // Layers 0-9 are the stem and the two downsamplings, then the blocks, then the first up layer.
  const upsample: Upsample =
    tensors.get(`model.${10 + blocks.size}.weight`)?.shape[0] === 2 * ngf ? "resize" : "transpose";
  const spec = buildGenerator(netG, { ngf, norm, upsample, inputSkip });

  const expected = paramShapes(spec);
  const known = new Set(expected.map((p) => p.name));
  const problems: string[] = [];
  for (const p of expected) {
    const t = tensors.get(p.name);
    if (!t) problems.push(`missing ${p.name} [${p.shape}]`);
    else if (t.shape.join(",") !== p.shape.join(","))
      problems.push(`${p.name} has shape [${t.shape}], expected [${p.shape}]`);
  }
  for (const [k, t] of tensors)
    if (!known.has(k)) problems.push(`unexpected key ${k} [${t.shape}]`);
  if (problems.length > 0) {
    throw new Error(
      `${label} does not fit ${netG} with ngf ${ngf}, ${norm} norm and ${upsample} upsampling (the reference generator, ` +
        `3 channels in and out):\n  ${list(problems)}`,
    );
  }
  const weights = new Map(
    expected.map((p) => [
      p.name,
      { shape: p.shape, data: floats(tensors.get(p.name) as StoredTensor, p.name, label) },
    ]),
  );
  return { netG, ngf, norm, upsample, spec, weights, dropped };
}

/** A tensor's weights; reading them is where a short storage shows, so errors name the key. */
function floats(t: StoredTensor, name: string, label: string): Float32Array {
  try {
    return t.toFloat32();
  } catch (e) {
    throw new Error(`${label}: ${name}: ${e instanceof Error ? e.message : e}`);
  }
}
