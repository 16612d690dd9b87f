/**
 * Evaluation results -> the manifest's Metric[] (models/schema.ts), so
 * `npm run export -- --metrics FILE` records exactly what `npm run eval` measured.
 */
import path from "node:path";
import type { Metric } from "../../models/schema.ts";
import type { DomainResult } from "./domain.ts";
import { METRIC_NAMES } from "./metrics.ts";
import { BASELINES, type PairedResult } from "./paired.ts";

const BETTER = { L1: "lower", PSNR: "higher", SSIM: "higher" } as const;

function baselineNames(): [string, string][] {
  return [
    [BASELINES.identity, "identity"],
    [BASELINES.colour, "Lab colour transfer"],
  ];
}

export function pairedMetrics(r: PairedResult, method: string): Metric[] {
  const mine = r.summaries.find((s) => s.method === method);
  if (!mine) throw new Error(`no results for ${method}`);
  const on = `${r.n} held-out ${r.direction} pairs of ${path.basename(r.data)}`;
  return METRIC_NAMES.map((m) => ({
    name: m,
    value: mine.mean[m],
    better: BETTER[m],
    on,
    baselines: Object.fromEntries(
      baselineNames().flatMap(([key, label]) => {
        const b = r.summaries.find((s) => s.method === key);
        return b ? [[label, b.mean[m]]] : [];
      }),
    ),
  }));
}

export function domainMetrics(r: DomainResult, method: string): Metric[] {
  const mine = r.scores.find((s) => s.method === method);
  if (!mine) throw new Error(`no results for ${method}`);
  const to = r.direction === "AtoB" ? "B" : "A";
  const c = r.classifier;
  const on =
    `${mine.n} test images of ${path.basename(r.data)} (${r.direction}); classifier held-out accuracy ` +
    `${c.heldOut.accuracy.toFixed(2)}`;
  const metrics: Metric[] = [
    {
      name: `share judged ${to} by the domain classifier`,
      value: mine.targetShare,
      better: "higher",
      on,
      baselines: Object.fromEntries(
        baselineNames().flatMap(([key, label]) => {
          const b = r.scores.find((s) => s.method === key);
          return b ? [[label, b.targetShare]] : [];
        }),
      ),
    },
  ];
  if (mine.contentSsim !== null) {
    metrics.push({
      name: "content SSIM (input structure kept)",
      value: mine.contentSsim,
      better: "higher",
      on,
      baselines: {},
    });
  }
  return metrics;
}
