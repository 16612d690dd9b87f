/**
 * Evaluation results -> the manifest's Metric[] (models/schema.ts), so
 * `npm run export -- --metrics FILE` records exactly what `npm run eval` measured.
 */
import path from "node:path";
import type { Gate, Metric } from "../../models/schema.ts";
import type { DomainResult } from "./domain.ts";
import { type GateName, judgeGates } from "./gates.ts";
import { METRIC_NAMES, METRICS } from "./metrics.ts";
import { BASELINES, type PairedResult } from "./paired.ts";

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
    better: METRICS[m].better,
    on,
    direction: r.direction,
    baselines: Object.fromEntries(
      baselineNames().flatMap(([key, label]) => {
        const b = r.summaries.find((s) => s.method === key);
        return b ? [[label, b.mean[m]]] : [];
      }),
    ),
  }));
}

/** The manifest's name for the grid metric (its value: the outputs' mean grid score). */
export const GRID_METRIC = "grid score (period-4 artefact, levels)";

/**
 * The domain share, the content SSIM and the grid score, each with the gate
 * (gates.ts) it was judged against, so the card shows pass or fail beside it.
 */
export function domainMetrics(r: DomainResult, method: string): Metric[] {
  const mine = r.scores.find((s) => s.method === method);
  if (!mine) throw new Error(`no results for ${method}`);
  const gates = new Map(judgeGates(r, method).map(({ name, ...g }) => [name, g]));
  const gate = (name: GateName): Gate => gates.get(name) as Gate;
  const baseline = (key: string) => r.scores.find((s) => s.method === key);
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
          const b = baseline(key);
          return b ? [[label, b.targetShare]] : [];
        }),
      ),
      direction: r.direction,
      gate: gate("domain"),
    },
  ];
  if (mine.contentSsim !== null) {
    metrics.push({
      name: "content SSIM (input structure kept)",
      value: mine.contentSsim,
      better: "higher",
      on,
      baselines: {},
      direction: r.direction,
      gate: gate("content"),
    });
  }
  const input = baseline(BASELINES.identity)?.grid;
  const colour = baseline(BASELINES.colour)?.grid;
  if (mine.grid !== null) {
    metrics.push({
      name: GRID_METRIC,
      value: mine.grid,
      better: "lower",
      on,
      // The inputs' own score is what the gate compares with; identity would be the same number.
      baselines: {
        ...(input == null ? {} : { input }),
        ...(colour == null ? {} : { "Lab colour transfer": colour }),
      },
      direction: r.direction,
      gate: gate("grid"),
    });
  }
  return metrics;
}
