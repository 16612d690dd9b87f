/**
 * What a variant may differ from the float32 reference (also in
 * docs/export.md). The export check (check.ts) and the site's import of .pth
 * files (site/src/lib/pth-check.ts) both judge by these.
 * - fp32: max abs diff <= 1e-4 (output range [-1, 1]);
 * - fp16, int8: PSNR >= 35 dB (peak-to-peak 2, float values).
 */
import type { Dtype } from "../../models/schema.ts";
import type { ErrorFigures } from "./metrics.ts";

export const BUDGETS: Readonly<Record<Dtype, { maxAbsDiff?: number; minPsnrDb?: number }>> = {
  fp32: { maxAbsDiff: 1e-4 },
  fp16: { minPsnrDb: 35 },
  int8: { minPsnrDb: 35 },
};

export function budgetText(dtype: Dtype): string {
  const b = BUDGETS[dtype];
  return b.maxAbsDiff !== undefined ? `max abs <= ${b.maxAbsDiff}` : `PSNR >= ${b.minPsnrDb} dB`;
}

export function withinBudget(dtype: Dtype, f: ErrorFigures): boolean {
  const b = BUDGETS[dtype];
  if (!Number.isFinite(f.maxAbsDiff)) return false;
  if (b.maxAbsDiff !== undefined && f.maxAbsDiff > b.maxAbsDiff) return false;
  if (b.minPsnrDb !== undefined && f.psnrDb < b.minPsnrDb) return false;
  return true;
}
