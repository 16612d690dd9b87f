/**
 * One line on the selected style's measured quality: its grid score and the
 * quality gates `npm run eval` judged it against (training/eval/gates.ts),
 * from the manifest's metrics, so the site says what the card says.
 */
import type { Direction, Metric, ModelEntry } from "../../../models/schema.ts";

/** Metrics without a direction predate it being recorded; they are shown for both. */
const forDirection = (m: Metric, d: Direction) => m.direction === undefined || m.direction === d;

function gateText(m: Metric): string {
  const g = m.gate as NonNullable<Metric["gate"]>;
  return `${m.name}: ${g.passed ? "pass" : "FAIL"}, ${g.measured} (required: ${g.rule})`;
}

/** Empty when the direction has no gated metrics (nothing measured, or measured before gates). */
export function qualityLine(entry: ModelEntry, direction: Direction): string {
  const gated = entry.metrics.filter((m) => m.gate && forDirection(m, direction));
  if (gated.length === 0) return "";
  const passed = gated.filter((m) => m.gate?.passed).length;
  return `Quality gates: ${passed} of ${gated.length} passed. ${gated.map(gateText).join("; ")}.`;
}
