/**
 * What `npm run export` and `npm run import` share: the manifest-entry flags,
 * how missing values are filled (previous entry, then the dataset's
 * dataset.json / LICENSES.md), and running exportModel with a progress bar
 * and the result table.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { SingleBar } from "cli-progress";
import { type Command, InvalidArgumentError, Option } from "commander";
import { SIZE_MULTIPLE } from "../../models/contract.ts";
import {
  DIRECTIONS,
  type Direction,
  DTYPES,
  type Dtype,
  Metric,
  type ModelEntry,
} from "../../models/schema.ts";
import { renderTable } from "../report/table.ts";
import { useTfjsBackend } from "./infer.ts";
import { type ExportOptions, exportModel } from "./pipeline.ts";
import { readManifest, refuseDirectoryManifest } from "./store.ts";

export interface EntryFlags {
  id?: string;
  title?: string;
  description?: string;
  domainA?: string;
  domainB?: string;
  directions: Direction[];
  dtypes: Dtype[];
  samples?: string;
  sampleCount: number;
  checkSize: number;
  trainedSize?: number;
  maxSide: number;
  license?: string;
  attribution?: string;
  metrics?: string;
  models: string;
  manifest: string;
  tfjsBackend: "wasm" | "cpu";
}

function listOf<T extends string>(allowed: readonly T[], flag: string) {
  return (value: string): T[] => {
    const items = value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((s) => !allowed.includes(s as T));
    if (bad.length > 0 || items.length === 0)
      throw new InvalidArgumentError(
        `${flag} takes a comma list of: ${allowed.join(", ")} (got "${value}")`,
      );
    return [...new Set(items)] as T[];
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** Smallest --check-size: the side `export verify` runs (the generator halves it twice). */
const MIN_CHECK_SIZE = 4 * SIZE_MULTIPLE;

export function checkSizeArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n % SIZE_MULTIPLE !== 0)
    throw new InvalidArgumentError(
      `--check-size must be a multiple of ${SIZE_MULTIPLE} pixels (the generator downsamples twice by 2), at least ${MIN_CHECK_SIZE}; got "${value}"`,
    );
  if (n < MIN_CHECK_SIZE)
    throw new InvalidArgumentError(
      `--check-size must be at least ${MIN_CHECK_SIZE} pixels (got "${value}")`,
    );
  return n;
}

/** The default of --manifest: the manifest inside --models (not the repository's models/). */
function defaultManifest(cmd: Command): void {
  if (cmd.getOptionValue("manifest") === undefined)
    cmd.setOptionValueWithSource(
      "manifest",
      path.join(String(cmd.getOptionValue("models")), "manifest.json"),
      "default",
    );
}

export function addEntryOptions(cmd: Command): Command {
  return cmd
    .hook("preAction", defaultManifest)
    .option("--id <id>", "model id (required): folder models/<id>/ and manifest key (a-z, 0-9, -)")
    .option("--title <text>", "title shown in the site (default: previous entry, else the id)")
    .option("--description <text>", "one-paragraph description")
    .option("--domain-a <name>", "name of domain A (default: previous entry or dataset.json)")
    .option("--domain-b <name>", "name of domain B")
    .option("--directions <list>", "generators to export", listOf(DIRECTIONS, "--directions"), [
      ...DIRECTIONS,
    ])
    .option("--dtypes <list>", "variants to write", listOf(DTYPES, "--dtypes"), [...DTYPES])
    .option("--samples <dir>", "sample images: a dataset folder (testA/, testB/) or a flat folder")
    .option("--sample-count <n>", "sample images per direction", positiveInt, 6)
    .option(
      "--check-size <px>",
      `check and sample images fit in this square (a multiple of ${SIZE_MULTIPLE}, at least ${MIN_CHECK_SIZE})`,
      checkSizeArg,
      256,
    )
    .option(
      "--trained-size <px>",
      "side the generator was trained on (export: the run's crop size, or load size with --preprocess scale_width; import: 256, the reference's)",
      positiveInt,
    )
    .option("--max-side <px>", "recommended largest side for the site", positiveInt, 512)
    .option("--license <spdx>", "SPDX expression for the weights (default: from the dataset)")
    .option("--attribution <text>", "attribution text (default: from the dataset)")
    .option("--metrics <file.json>", "JSON array of metrics (default: keep the previous entry's)")
    .option("--models <dir>", "models folder", "models")
    .option("--manifest <file>", "manifest to update (default: <models dir>/manifest.json)")
    .addOption(
      new Option("--tfjs-backend <name>", "TensorFlow.js backend of the reference run")
        .choices(["wasm", "cpu"])
        .default("wasm"),
    );
}

/** What a dataset folder written by `npm run dataset` says about itself (dataset.json). */
interface DatasetJson {
  name?: string;
  domains?: { A?: string; B?: string };
  sources?: { package: string; version: string; license: string }[];
}

function readDatasetJson(dataroot: string | undefined): DatasetJson | undefined {
  const file = dataroot && path.join(dataroot, "dataset.json");
  if (!file || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as DatasetJson;
}

/** SPDX ids quoted as "SPDX: X" in the dataset's licence lines, joined with AND. */
function licenseFromDataset(
  ds: DatasetJson | undefined,
  dataroot: string | undefined,
): ModelEntry["license"] | undefined {
  const sources = ds?.sources ?? [];
  const ids = [
    ...new Set(
      sources.flatMap((s) =>
        [...s.license.matchAll(/SPDX:\s*([\w.+-]+)/g)].map((m) => m[1] as string),
      ),
    ),
  ];
  if (ids.length === 0) return undefined;
  const list = sources.map((s) => `${s.package} ${s.version} (${s.license})`).join("; ");
  return {
    spdx: ids.join(" AND "),
    attribution: `Trained on ${ds?.name ?? path.basename(dataroot ?? "")}, made from Debian packages: ${list}. See the dataset's LICENSES.md.`,
  };
}

function readMetrics(file: string): Metric[] {
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read --metrics ${file}: ${why(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `--metrics ${file} is not valid JSON (${why(e)}); it must be a JSON array of metrics (Metric in models/schema.ts), e.g. from npm run eval`,
    );
  }
  const parsed = Metric.array().safeParse(json);
  if (!parsed.success)
    throw new Error(`${file}: not a JSON array of metrics (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/**
 * Before the long checks: --manifest must be a file (or not exist yet) in a
 * folder that exists, or that writing models/<id>/ creates.
 */
function checkManifestTarget(manifest: string, models: string, id: string): void {
  refuseDirectoryManifest(manifest, "--manifest");
  const folder = path.resolve(path.dirname(manifest));
  const modelDir = path.resolve(models, id);
  if (!existsSync(folder) && modelDir !== folder && !modelDir.startsWith(folder + path.sep))
    throw new Error(`--manifest ${manifest}: its folder ${path.dirname(manifest)} does not exist`);
}

/** Manifest fields from flags, else the previous entry, else the dataset (for trained models). */
export function entryFields(
  f: EntryFlags,
  dataroot?: string,
): Pick<ExportOptions, "id" | "title" | "description" | "domains" | "license" | "metrics"> {
  if (!f.id)
    throw new InvalidArgumentError("--id is required (the model's folder and manifest key)");
  checkManifestTarget(f.manifest, f.models, f.id);
  const previous = readManifest(f.manifest).models.find((m) => m.id === f.id);
  const ds = readDatasetJson(dataroot);
  const domain = (flag: string | undefined, side: "A" | "B") => ({
    name: flag ?? previous?.domains[side].name ?? ds?.domains?.[side] ?? side,
    // A short name from the flag; the dataset's longer words become the description.
    description:
      previous?.domains[side].description ||
      (flag && ds?.domains?.[side] !== flag ? (ds?.domains?.[side] ?? "") : ""),
  });
  const fromDataset = licenseFromDataset(ds, dataroot);
  const spdx = f.license ?? previous?.license.spdx ?? fromDataset?.spdx;
  if (!spdx)
    throw new Error(
      "no licence for the weights: pass --license SPDX (and --attribution TEXT), or export from a dataset whose dataset.json names SPDX ids",
    );
  const attribution =
    f.attribution ?? previous?.license.attribution ?? fromDataset?.attribution ?? "";
  return {
    id: f.id,
    title: f.title ?? previous?.title ?? f.id,
    description: f.description ?? previous?.description ?? "",
    domains: { A: domain(f.domainA, "A"), B: domain(f.domainB, "B") },
    license: { spdx, attribution },
    metrics: f.metrics ? readMetrics(f.metrics) : (previous?.metrics ?? []),
  };
}

/** Run the export with a progress bar; print the table; returns the process exit code. */
/** What the checked exports report their work through. */
export interface CheckProgress {
  start(total: number): void;
  tick(step: string): void;
}

/** Run `work` with a progress bar of its check steps, labelled `label`. */
export async function withCheckProgress<T>(
  label: string,
  work: (progress: CheckProgress) => Promise<T>,
): Promise<T> {
  const bar = new SingleBar({
    format: `${label} {bar} {value}/{total} | {step}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  try {
    return await work({
      start: (total) => bar.start(total, 0, { step: "" }),
      tick: (step) => bar.increment({ step }),
    });
  } finally {
    bar.stop();
  }
}

export async function runExport(
  o: Omit<ExportOptions, "progress">,
  f: EntryFlags,
): Promise<number> {
  await useTfjsBackend(f.tfjsBackend);
  const result = await withCheckProgress("checking", (progress) => exportModel({ ...o, progress }));
  console.log(renderTable(result.rows));
  if (!result.written) {
    console.error(
      "\nNot written: a variant is over its error budget (see the table). Nothing in models/ changed. " +
        "Export without it (--dtypes) or investigate the model.",
    );
    return 1;
  }
  const dir = path.join(o.modelsDir, o.id);
  console.log(
    `\nwrote ${dir}/ (${result.entry?.generators.flatMap((g) => g.variants).length} variants, ${result.entry?.samples.length} samples) and ${o.manifestPath}`,
  );
  return 0;
}
