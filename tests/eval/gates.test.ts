/**
 * The quality gates (training/eval/gates.ts) on constructed domain results at
 * and beside each threshold, and how their outcome travels: manifest metrics,
 * the exported card, the site's line. The shipped manifest (written before
 * gates) must still parse.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Metric, parseManifest } from "../../models/schema.ts";
import { qualityLine } from "../../site/src/lib/quality.ts";
import type { DomainResult, DomainScore } from "../../training/eval/domain.ts";
import {
  gateLines,
  judgeGates,
  MAX_GRID_RATIO,
  MIN_CONTENT_SSIM,
  MIN_TARGET_SHARE,
  MIN_TEST_IMAGES,
} from "../../training/eval/gates.ts";
import { domainMetrics, GRID_METRIC } from "../../training/eval/manifest-metrics.ts";
import { BASELINES } from "../../training/eval/paired.ts";
import { renderCard } from "../../training/export/card.ts";

const MODEL = "demo/AtoB.fp32.onnx";

interface Case {
  grid?: number;
  inputGrid?: number;
  share?: number;
  n?: number;
  colourShare?: number;
  content?: number;
}

/** A result where the model passes every gate unless a case says otherwise. */
function result(c: Case = {}): DomainResult {
  const n = c.n ?? 40;
  const row = (
    method: string,
    kind: DomainScore["kind"],
    s: Partial<DomainScore>,
  ): DomainScore => ({
    method,
    kind,
    n,
    targetShare: 0,
    meanTargetProbability: 0.5,
    contentSsim: 1,
    grid: 0.2,
    ...s,
  });
  return {
    data: "/data/landscapes",
    direction: "AtoB",
    classifier: {
      kind: "test",
      features: [],
      train: { A: 10, B: 10, accuracy: 1, balanced: 1, crossValidated: 1 },
      heldOut: { A: 5, B: 5, accuracy: 0.9, balanced: 0.9 },
    },
    scores: [
      row(MODEL, "model", {
        targetShare: c.share ?? 0.9,
        contentSsim: c.content ?? 0.7,
        grid: c.grid ?? 0.25,
      }),
      row(BASELINES.identity, "baseline", { grid: c.inputGrid ?? 0.2 }),
      row(BASELINES.colour, "baseline", { targetShare: c.colourShare ?? 0.5, grid: 0.21 }),
      row("reference: real testB", "reference", { targetShare: 1, contentSsim: null, grid: null }),
    ],
    examples: [],
  };
}

const passed = (c: Case) =>
  Object.fromEntries(judgeGates(result(c), MODEL).map((g) => [g.name, g.passed]));

describe("quality gates", () => {
  it("holds the thresholds of issue 16", () => {
    expect([MAX_GRID_RATIO, MIN_TARGET_SHARE, MIN_TEST_IMAGES, MIN_CONTENT_SSIM]).toEqual([
      1.5, 0.8, 30, 0.6,
    ]);
  });

  it("passes a model within every threshold, at the thresholds themselves too", () => {
    expect(passed({})).toEqual({ grid: true, domain: true, content: true });
    expect(
      passed({ grid: 0.3, inputGrid: 0.2, share: 0.8, n: 30, colourShare: 0.79, content: 0.6 }),
    ).toEqual({ grid: true, domain: true, content: true });
  });

  it("fails each gate just beyond its threshold", () => {
    expect(passed({ grid: 0.302, inputGrid: 0.2 }).grid).toBe(false);
    // What the shipped transposed-conv models measure: several times their inputs.
    expect(passed({ grid: 0.88, inputGrid: 0.11 }).grid).toBe(false);
    expect(passed({ share: 0.79 }).domain).toBe(false);
    expect(passed({ n: 29, share: 1 }).domain).toBe(false);
    // landscapes2paintings (retired): 0.7 while colour transfer reached 0.97.
    expect(passed({ share: 0.9, colourShare: 0.95 }).domain).toBe(false);
    expect(passed({ share: 0.9, colourShare: 0.9 }).domain).toBe(false);
    expect(passed({ content: 0.599 }).content).toBe(false);
  });

  it("fails the grid gate when the inputs have no grid to compare with", () => {
    expect(passed({ grid: 0, inputGrid: 0 }).grid).toBe(false);
  });

  it("prints one line per gate with its numbers and the requirement", () => {
    const lines = gateLines(judgeGates(result({ grid: 0.88, inputGrid: 0.11 }), MODEL));
    expect(lines).toEqual([
      "FAIL grid: 0.88 levels vs the inputs' 0.11 (8.0x) (required: grid score at most 1.5x the inputs')",
      "PASS domain: 90% of 40 (colour transfer 50%) (required: at least 80% of at least 30 test images judged in the target domain, above the Lab colour transfer)",
      "PASS content: 0.700 (required: content SSIM at least 0.6)",
    ]);
  });
});

describe("gates in the manifest, the card and the site", () => {
  const metrics = domainMetrics(result({ grid: 0.88, inputGrid: 0.11 }), MODEL);

  it("records the grid score with the inputs' as a baseline, and each gate", () => {
    for (const m of metrics) expect(Metric.parse(m)).toEqual(m);
    const grid = metrics.find((m) => m.name === GRID_METRIC);
    expect(grid).toMatchObject({
      value: 0.88,
      better: "lower",
      direction: "AtoB",
      baselines: { input: 0.11, "Lab colour transfer": 0.21 },
      gate: { passed: false },
    });
    expect(metrics.map((m) => m.gate?.passed)).toEqual([true, true, false]);
  });

  const shipped = () => JSON.parse(readFileSync("models/manifest.json", "utf8"));

  it("keeps the shipped manifest valid, and takes gated metrics", () => {
    const old = parseManifest(shipped());
    expect(old.models.length).toBeGreaterThan(0);
    const json = shipped();
    json.models[0].metrics = metrics;
    const entry = parseManifest(json).models[0];
    expect(entry?.metrics).toEqual(metrics);
    if (!entry) return;

    const card = renderCard(entry);
    expect(card).toContain("| grid score (period-4 artefact, levels) (lower is better) |");
    expect(card).toContain(
      "- AtoB grid score (period-4 artefact, levels): **FAIL**, 0.88 levels vs the inputs' 0.11 (8.0x) (required: grid score at most 1.5x the inputs')",
    );
    expect(card).toMatch(/- AtoB content SSIM \(input structure kept\): \*\*pass\*\*, 0\.700/);

    expect(qualityLine(entry, "AtoB")).toMatch(
      /^Quality gates: 2 of 3 passed\. .*grid score \(period-4 artefact, levels\): FAIL, 0\.88 levels/,
    );
    expect(qualityLine(entry, "BtoA")).toBe("");
    // Metrics exported before the gates carry none: no line.
    const ungated = metrics.map(({ gate: _, ...m }) => m);
    expect(qualityLine({ ...entry, metrics: ungated }, "AtoB")).toBe("");
  });
});
