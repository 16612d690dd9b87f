/**
 * Paired evaluation: translate each held-out test image with every model and
 * the two baselines, and score each result against the true image of the
 * other domain (same character / same scene).
 */

import { forEachLimited } from "../util/for-each-limited.ts";
import { colourTransfer, identity, labStats } from "./baselines.ts";
import { type Direction, listImages, resolveDirection, spread, testPairs } from "./data.ts";
import type { Generator } from "./generator.ts";
import { gridScore } from "./grid.ts";
import { loadRgb, type RgbImage } from "./image.ts";
import { METRIC_NAMES, METRICS, type MetricName } from "./metrics.ts";

export type Scores = Record<MetricName, number>;

export interface MethodSummary {
  method: string;
  kind: "model" | "baseline";
  n: number;
  mean: Scores;
  std: Scores;
  /** Mean grid score (grid.ts) of the outputs, in levels; identity's is the inputs'. */
  grid: number;
}

export interface Example {
  name: string;
  input: RgbImage;
  truth: RgbImage;
  outputs: Record<string, RgbImage>;
  scores: Record<string, Scores>;
}

export interface PairedResult {
  data: string;
  direction: Direction;
  n: number;
  summaries: MethodSummary[];
  perImage: { name: string; scores: Record<string, Scores>; grid: Record<string, number> }[];
  examples: Example[];
}

export const BASELINES = {
  identity: "baseline: identity",
  colour: "baseline: Lab colour transfer",
} as const;

/** By label, not by prefix: a model's label is its file name, which may start with anything. */
export function isBaseline(method: string): boolean {
  return (Object.values(BASELINES) as string[]).includes(method);
}

/** How many target-domain training images the colour statistics pool over (evenly spread). */
const STATS_IMAGES = 500;

export function summarize(
  method: string,
  kind: MethodSummary["kind"],
  scores: Scores[],
  grids: number[],
): MethodSummary {
  const mean = {} as Scores;
  const std = {} as Scores;
  for (const m of METRIC_NAMES) {
    const v = scores.map((s) => s[m]);
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    mean[m] = mu;
    std[m] = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length);
  }
  const grid = grids.reduce((a, b) => a + b, 0) / grids.length;
  return { method, kind, n: scores.length, mean, std, grid };
}

function score(output: RgbImage, truth: RgbImage): Scores {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, METRICS[m].fn(output, truth)])) as Scores;
}

export async function evaluatePaired(opts: {
  data: string;
  generators: Generator[];
  limit?: number;
  examples?: number;
  direction?: Direction;
}): Promise<PairedResult> {
  const direction = resolveDirection(opts.generators, opts.direction);
  const [from, to] = direction === "AtoB" ? (["A", "B"] as const) : (["B", "A"] as const);
  const pairs = spread(testPairs(opts.data), opts.limit ?? Number.POSITIVE_INFINITY);
  const targetTrain = spread(listImages(opts.data, `train${to}`), STATS_IMAGES);
  const target = labStats(await Promise.all(targetTrain.map(loadRgb)));
  const nExamples = opts.examples ?? 12;
  const exampleNames = new Set(spread(pairs, nExamples).map((p) => p.name));

  const perImage: PairedResult["perImage"] = [];
  const examples: Example[] = [];
  await forEachLimited(pairs, 1, "evaluating", async (pair) => {
    const input = await loadRgb(pair[from]);
    const truth = await loadRgb(pair[to]);
    const outputs: Record<string, RgbImage> = {};
    for (const g of opts.generators) outputs[g.label] = await g.translate(input);
    outputs[BASELINES.identity] = identity(input);
    outputs[BASELINES.colour] = colourTransfer(input, target);
    const scores = Object.fromEntries(
      Object.entries(outputs).map(([k, o]) => [k, score(o, truth)]),
    );
    const grid = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, gridScore(o)]));
    perImage.push({ name: pair.name, scores, grid });
    if (exampleNames.has(pair.name))
      examples.push({ name: pair.name, input, truth, outputs, scores });
  });

  const methods = [...opts.generators.map((g) => g.label), BASELINES.identity, BASELINES.colour];
  const summaries = methods.map((m) =>
    summarize(
      m,
      isBaseline(m) ? "baseline" : "model",
      perImage.map((p) => p.scores[m] as Scores),
      perImage.map((p) => p.grid[m] as number),
    ),
  );
  return { data: opts.data, direction, n: pairs.length, summaries, perImage, examples };
}

/** Whether a model beats both baselines on a metric (strictly, on the mean). */
export function beatsBaselines(result: PairedResult, method: string, metric: MetricName): boolean {
  const get = (m: string) =>
    result.summaries.find((s) => s.method === m)?.mean[metric] ?? Number.NaN;
  const own = get(method);
  const better = METRICS[metric].better;
  return [BASELINES.identity, BASELINES.colour].every((b) =>
    better === "higher" ? own > get(b) : own < get(b),
  );
}
