/**
 * Domain-classifier score for unpaired models (the idea behind the paper's
 * FCN score): fit a small classifier to tell real A from real B on the
 * training images, report its accuracy on the held-out test images, then
 * report the share of translated test images it assigns to the target domain.
 */
import { forEachLimited } from "../util/for-each-limited.ts";
import { colourTransfer, identity, labStats } from "./baselines.ts";
import { type Direction, listImages, resolveDirection, spread } from "./data.ts";
import { CROP, cropFeatures, FEATURE_NAMES, FEATURE_SIDE, STRIDE } from "./features.ts";
import type { Generator } from "./generator.ts";
import { gridScore } from "./grid.ts";
import { loadRgb, type RgbImage } from "./image.ts";
import { fitLogistic, type LogisticModel, predict } from "./logistic.ts";
import { ssim } from "./metrics.ts";
import { BASELINES, isBaseline } from "./paired.ts";

/** Training images per side the classifier sees (evenly spread over the sorted list). */
const TRAIN_CAP = 400;
const STATS_IMAGES = 500;

export interface DomainScore {
  method: string;
  /** The gates (gates.ts) judge models; baselines and the reference row are for comparison. */
  kind: "model" | "baseline" | "reference";
  n: number;
  /** Share of images the classifier puts in the target domain (p >= 0.5). */
  targetShare: number;
  meanTargetProbability: number;
  /**
   * SSIM between each translated image and its input: how much of the scene's
   * structure survives. A generator that paints over the content can fool a
   * weak classifier; read the share together with this (identity = 1).
   */
  contentSsim: number | null;
  /**
   * Mean grid score (grid.ts) of the images scored, in levels; for identity
   * that is the inputs'. Null for the reference row, which is not scored for it.
   */
  grid: number | null;
}

export interface DomainExample {
  name: string;
  input: RgbImage;
  outputs: Record<string, RgbImage>;
  probability: Record<string, number>;
}

export interface DomainResult {
  data: string;
  direction: Direction;
  classifier: {
    kind: string;
    features: readonly string[];
    train: {
      A: number;
      B: number;
      accuracy: number;
      balanced: number;
      /** Balanced accuracy of 5-fold cross-validation over training images (folds by image). */
      crossValidated: number;
    };
    heldOut: { A: number; B: number; accuracy: number; balanced: number };
  };
  scores: DomainScore[];
  examples: DomainExample[];
}

/** Crop features per image: one array of crop rows for each file. */
async function featuresOf(files: string[], label: string): Promise<number[][][]> {
  const out: number[][][] = new Array(files.length);
  await forEachLimited(files, 2, label, async (f, i) => {
    out[i] = await cropFeatures(await loadRgb(f));
  });
  return out;
}

/** An image's probability of the target domain: the mean over its crops. */
function imageProbability(model: LogisticModel, crops: number[][]): number {
  return crops.reduce((s, c) => s + predict(model, c), 0) / crops.length;
}

/** Image-level accuracy and balanced accuracy (mean of per-class recalls) at 0.5. */
export function imageAccuracy(
  model: LogisticModel,
  images: number[][][],
  labels: (0 | 1)[],
): { accuracy: number; balanced: number } {
  const hit = [0, 0];
  const count = [0, 0];
  images.forEach((crops, i) => {
    const y = labels[i] as 0 | 1;
    count[y] = (count[y] as number) + 1;
    if ((imageProbability(model, crops) >= 0.5 ? 1 : 0) === y) hit[y] = (hit[y] as number) + 1;
  });
  const recalls = [0, 1]
    .filter((c) => (count[c] as number) > 0)
    .map((c) => (hit[c] as number) / (count[c] as number));
  return {
    accuracy: ((hit[0] as number) + (hit[1] as number)) / images.length,
    balanced: recalls.reduce((a, b) => a + b, 0) / recalls.length,
  };
}

const FOLDS = 5;

/**
 * Image-level balanced accuracy of FOLDS-fold cross-validation on the
 * training images: a steadier estimate than a test side of four images.
 * Folds take every FOLDS-th image, so each keeps both classes.
 */
export function crossValidate(images: number[][][], labels: (0 | 1)[]): number {
  let sum = 0;
  for (let k = 0; k < FOLDS; k++) {
    const inFold = (i: number) => i % FOLDS === k;
    const train = images.filter((_, i) => !inFold(i));
    const trainY = labels.filter((_, i) => !inFold(i));
    const model = fitLogistic(
      train.flat(),
      train.flatMap((crops, i) => crops.map(() => trainY[i] as 0 | 1)),
    );
    sum += imageAccuracy(
      model,
      images.filter((_, i) => inFold(i)),
      labels.filter((_, i) => inFold(i)),
    ).balanced;
  }
  return sum / FOLDS;
}

export async function evaluateDomain(opts: {
  data: string;
  generators: Generator[];
  limit?: number;
  examples?: number;
  direction?: Direction;
}): Promise<DomainResult> {
  const direction = resolveDirection(opts.generators, opts.direction);
  const [from, to] = direction === "AtoB" ? (["A", "B"] as const) : (["B", "A"] as const);
  const isTarget = (side: "A" | "B"): 0 | 1 => (side === to ? 1 : 0);

  // Every folder listed first: a missing one is reported before minutes of feature extraction.
  const [filesTrainA, filesTrainB, filesTestA, filesTestB] = (
    ["trainA", "trainB", "testA", "testB"] as const
  ).map((split) => listImages(opts.data, split)) as [string[], string[], string[], string[]];
  const trainA = await featuresOf(spread(filesTrainA, TRAIN_CAP), "features trainA");
  const trainB = await featuresOf(spread(filesTrainB, TRAIN_CAP), "features trainB");
  const testA = await featuresOf(filesTestA, "features testA");
  const testB = await featuresOf(filesTestB, "features testB");
  const labels = (n: number, side: "A" | "B") => new Array<0 | 1>(n).fill(isTarget(side));
  const trainY = [...labels(trainA.length, "A"), ...labels(trainB.length, "B")];
  const trainImages = [...trainA, ...trainB];
  const model = fitLogistic(
    trainImages.flat(),
    trainImages.flatMap((crops, i) => crops.map(() => trainY[i] as 0 | 1)),
  );
  const testY = [...labels(testA.length, "A"), ...labels(testB.length, "B")];

  const target = labStats(
    await Promise.all(spread(listImages(opts.data, `train${to}`), STATS_IMAGES).map(loadRgb)),
  );
  const sources = spread(
    listImages(opts.data, `test${from}`),
    opts.limit ?? Number.POSITIVE_INFINITY,
  );
  const methods = [...opts.generators.map((g) => g.label), BASELINES.identity, BASELINES.colour];
  const probs: Record<string, number[]> = Object.fromEntries(methods.map((m) => [m, []]));
  const kept: Record<string, number[]> = Object.fromEntries(methods.map((m) => [m, []]));
  const grids: Record<string, number[]> = Object.fromEntries(methods.map((m) => [m, []]));
  const exampleFiles = new Set(spread(sources, opts.examples ?? 12));
  const examples: DomainExample[] = [];
  await forEachLimited(sources, 1, "translating", async (file) => {
    const input = await loadRgb(file);
    const outputs: Record<string, RgbImage> = {};
    for (const g of opts.generators) outputs[g.label] = await g.translate(input);
    outputs[BASELINES.identity] = identity(input);
    outputs[BASELINES.colour] = colourTransfer(input, target);
    const probability: Record<string, number> = {};
    for (const [m, img] of Object.entries(outputs)) {
      probability[m] = imageProbability(model, await cropFeatures(img));
      probs[m]?.push(probability[m]);
      kept[m]?.push(ssim(input, img));
      grids[m]?.push(gridScore(img));
    }
    if (exampleFiles.has(file))
      examples.push({ name: file.split("/").at(-1) ?? file, input, outputs, probability });
  });

  const realTarget = to === "B" ? testB : testA;
  const mean = (v: number[] = []) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  const scoreOf = (method: string, p: number[], kind: DomainScore["kind"]): DomainScore => ({
    method,
    kind,
    n: p.length,
    targetShare: p.filter((v) => v >= 0.5).length / p.length,
    meanTargetProbability: mean(p) ?? Number.NaN,
    contentSsim: mean(kept[method]),
    grid: mean(grids[method]),
  });
  return {
    data: opts.data,
    direction,
    classifier: {
      kind:
        `logistic regression (class-weighted, L2) on standardised colour/texture features of ${CROP}x${CROP} ` +
        `crops (stride ${STRIDE}) at short side ${FEATURE_SIDE}; an image's score is the mean over its crops`,
      features: FEATURE_NAMES,
      train: {
        A: trainA.length,
        B: trainB.length,
        ...imageAccuracy(model, trainImages, trainY),
        crossValidated: crossValidate(trainImages, trainY),
      },
      heldOut: {
        A: testA.length,
        B: testB.length,
        ...imageAccuracy(model, [...testA, ...testB], testY),
      },
    },
    scores: [
      ...methods.map((m) => scoreOf(m, probs[m] ?? [], isBaseline(m) ? "baseline" : "model")),
      scoreOf(
        `reference: real test${to}`,
        realTarget.map((crops) => imageProbability(model, crops)),
        "reference",
      ),
    ],
    examples,
  };
}
