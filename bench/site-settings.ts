/**
 * What bench:site's parts share: the settings (parsed once from the command
 * line), what each measured section returns, and progress lines on stderr.
 */
import { parseArgs } from "node:util";
import type { Row } from "./report.ts";
import { MODEL_SETS, type ModelSet } from "./site-models.ts";

export interface Settings {
  sizes: number[];
  runs: number;
  warmup: number;
  engines: ("wasm" | "webgpu")[];
  softwareWebgpu: boolean;
  /** Require a hardware adapter, with the Chromium flags that give one on Linux. */
  gpu: boolean;
  quick: boolean;
  models: ModelSet[];
  /** Fresh-profile (cold, then warm) rounds of the first-translation measure. */
  firstRuns: number;
  /** Seconds one latency measurement or one first translation may take. */
  limitS: number;
  /** Photo sizes of the full-resolution measure, in megapixels (none: skipped). */
  fullMp: number[];
}

export function parse(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      sizes: { type: "string" },
      runs: { type: "string" },
      warmup: { type: "string" },
      engines: { type: "string", default: "wasm,webgpu" },
      "software-webgpu": { type: "boolean", default: false },
      gpu: { type: "boolean", default: false },
      models: { type: "string" },
      "first-runs": { type: "string" },
      "limit-s": { type: "string", default: "600" },
      "full-mp": { type: "string" },
    },
  });
  const engines = (values.engines ?? "").split(",").filter(Boolean);
  for (const e of engines) {
    if (e !== "wasm" && e !== "webgpu")
      throw new Error(`Unsupported engine "${e}". Should be one of: wasm, webgpu.`);
  }
  if (values.gpu && !engines.includes("webgpu"))
    throw new Error("--gpu measures WebGPU: keep webgpu in --engines");
  const quick = values.quick ?? false;
  const known = ["shipped", ...Object.keys(MODEL_SETS)];
  const models = (values.models ?? (quick ? "tiny" : "shipped,ngf64,ngf32"))
    .split(",")
    .filter(Boolean);
  for (const m of models) {
    if (!known.includes(m))
      throw new Error(`Unsupported model set "${m}". Should be one of: ${known.join(", ")}.`);
  }
  const sizes = (values.sizes ?? (quick ? "64" : "256,512")).split(",").map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 16 || s % 4))
    throw new Error(`--sizes must be multiples of 4 from 16, got ${values.sizes}`);
  const firstRuns = Number(values["first-runs"] ?? (quick ? 2 : 3));
  const limitS = Number(values["limit-s"]);
  if (!(Number.isInteger(firstRuns) && firstRuns >= 1))
    throw new Error(`--first-runs must be a whole number from 1, got ${values["first-runs"]}`);
  if (!(limitS > 0)) throw new Error(`--limit-s must be a positive number of seconds`);
  const fullMp = (values["full-mp"] ?? (quick ? "0.5" : "2,12,24"))
    .split(",")
    .filter((x) => x && x !== "none")
    .map(Number);
  if (fullMp.some((x) => !(x > 0)))
    throw new Error(`--full-mp takes megapixels (e.g. 2,12,24) or none, got ${values["full-mp"]}`);
  return {
    fullMp,
    sizes,
    runs: Number(values.runs ?? (quick ? 2 : 5)),
    warmup: Number(values.warmup ?? 1),
    engines: engines as Settings["engines"],
    softwareWebgpu: values["software-webgpu"] ?? false,
    gpu: values.gpu ?? false,
    quick,
    models: models as ModelSet[],
    firstRuns,
    limitS,
  };
}

/** What one measured section adds to a report: table rows, raw samples for the JSON, notes. */
export interface Section {
  rows: Row[];
  samples: Record<string, unknown>[];
  notes: string[];
}

const started = performance.now();

/** A progress line on stderr, with the seconds since bench:site was loaded. */
export function step(msg: string): void {
  console.error(`[bench:site ${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}`);
}
