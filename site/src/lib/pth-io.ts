/**
 * The manifest's STANDARD_IO (models/schema.ts) for the import worker, which
 * writes manifest-shaped entries: schema.ts builds its zod schemas when
 * loaded, 100 kB of the worker's 300 kB (and of the offline shell, which
 * precaches every script). Restated here as data only;
 * tests/site/pth-reference.test.ts keeps it equal to the manifest's.
 */
import type { IOContract } from "../../../models/schema.ts";

export const STANDARD_IO = {
  input: { name: "input", layout: "NCHW", dtype: "float32", channels: 3, range: [-1, 1] },
  output: { name: "output", layout: "NCHW", dtype: "float32", channels: 3, range: [-1, 1] },
} as const satisfies Pick<IOContract, "input" | "output">;
