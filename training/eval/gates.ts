/**
 * The quality gates a shipped model must pass (issue 16), judged from one
 * domain evaluation. The thresholds live here only: the printed lines,
 * result.json and the manifest's Gate records (rule and numbers as words)
 * are all made from them.
 */
import type { Gate } from "../../models/schema.ts";
import type { DomainResult, DomainScore } from "./domain.ts";
import { BASELINES } from "./paired.ts";

/** The outputs' grid score may be at most this many times the inputs'. */
export const MAX_GRID_RATIO = 1.5;
/** Share of translated test images the domain classifier must put in the target domain. */
export const MIN_TARGET_SHARE = 0.8;
/** Fewer test images than this make the share too coarse to pass on. */
export const MIN_TEST_IMAGES = 30;
/** SSIM between output and input: the scene's structure must survive. */
export const MIN_CONTENT_SSIM = 0.6;

export type GateName = "grid" | "domain" | "content";

export interface GateOutcome extends Gate {
  name: GateName;
}

function score(r: DomainResult, method: string): DomainScore {
  const s = r.scores.find((x) => x.method === method);
  if (!s) throw new Error(`no domain scores for ${method}`);
  return s;
}

/** The three gates for one model of a domain evaluation, in a fixed order. */
export function judgeGates(r: DomainResult, method: string): GateOutcome[] {
  const mine = score(r, method);
  const grid = mine.grid ?? Number.NaN;
  const input = score(r, BASELINES.identity).grid ?? Number.NaN;
  const colour = score(r, BASELINES.colour).targetShare;
  const ratio = grid / input;
  const kept = mine.contentSsim ?? Number.NaN;
  return [
    {
      name: "grid",
      // NaN (an input without any grid, 0/0) fails: there is nothing to be within.
      passed: ratio <= MAX_GRID_RATIO,
      rule: `grid score at most ${MAX_GRID_RATIO}x the inputs'`,
      measured: `${grid.toFixed(2)} levels vs the inputs' ${input.toFixed(2)} (${ratio.toFixed(1)}x)`,
    },
    {
      name: "domain",
      passed:
        mine.targetShare >= MIN_TARGET_SHARE &&
        mine.n >= MIN_TEST_IMAGES &&
        mine.targetShare > colour,
      rule:
        `at least ${MIN_TARGET_SHARE * 100}% of at least ${MIN_TEST_IMAGES} test images judged in the ` +
        "target domain, above the Lab colour transfer",
      measured: `${(mine.targetShare * 100).toFixed(0)}% of ${mine.n} (colour transfer ${(colour * 100).toFixed(0)}%)`,
    },
    {
      name: "content",
      passed: kept >= MIN_CONTENT_SSIM,
      rule: `content SSIM at least ${MIN_CONTENT_SSIM}`,
      measured: kept.toFixed(3),
    },
  ];
}

/** One printed line per gate: "PASS grid: ... (rule)". */
export function gateLines(gates: GateOutcome[]): string[] {
  return gates.map(
    (g) => `${g.passed ? "PASS" : "FAIL"} ${g.name}: ${g.measured} (required: ${g.rule})`,
  );
}
