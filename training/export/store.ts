/**
 * Writes a model's files into models/<id>/ and its entry into
 * models/manifest.json, all or nothing: every file goes to a temp name first,
 * the new manifest is validated with parseManifest, and only then are files
 * renamed into place and the manifest replaced (temp + rename). A failure
 * before that point leaves no new files and the old manifest.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  type Manifest,
  type ModelEntry,
  parseManifest,
  SCHEMA_VERSION,
} from "../../models/schema.ts";
import { renderCard } from "./card.ts";

export function readManifest(file: string): Manifest {
  if (!existsSync(file)) return { schemaVersion: SCHEMA_VERSION, models: [] };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(
      `${file} is not valid JSON (${e instanceof Error ? e.message : e}); fix or remove it`,
    );
  }
  return parseManifest(json);
}

/** Every file an entry references inside its folder. */
export function entryFiles(entry: ModelEntry): string[] {
  return [
    ...entry.generators.flatMap((g) => g.variants.map((v) => v.file)),
    ...entry.samples.flatMap((s) => [s.input, s.output]),
  ];
}

function atomicWrite(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface CommitOptions {
  modelsDir: string;
  manifestPath: string;
  entry: ModelEntry;
  /** File name (inside models/<id>/) -> contents; must cover entryFiles(entry). */
  files: ReadonlyMap<string, Uint8Array>;
}

/** Add or replace `entry` in the manifest with its files; returns the manifest written. */
export function commitModel({ modelsDir, manifestPath, entry, files }: CommitOptions): Manifest {
  const missing = entryFiles(entry).filter((f) => !files.has(f));
  if (missing.length > 0) throw new Error(`internal error: no contents for ${missing.join(", ")}`);
  const before = readManifest(manifestPath);
  const previous = before.models.find((m) => m.id === entry.id);
  const manifest = parseManifest({
    ...before,
    models: previous
      ? before.models.map((m) => (m.id === entry.id ? entry : m))
      : [...before.models, entry],
  });
  const dir = path.join(modelsDir, entry.id);
  mkdirSync(dir, { recursive: true });
  const staged: [string, string][] = [];
  try {
    for (const [name, data] of files) {
      const tmp = path.join(dir, `${name}.tmp-${randomBytes(4).toString("hex")}`);
      staged.push([tmp, path.join(dir, name)]);
      writeFileSync(tmp, data);
    }
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [tmp, final] of staged) renameSync(tmp, final);
  atomicWrite(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  atomicWrite(path.join(dir, "README.md"), renderCard(entry));
  // Files the old entry listed and the new one does not (e.g. a dropped dtype).
  const keep = new Set(files.keys());
  for (const f of previous ? entryFiles(previous) : []) {
    if (!keep.has(f)) rmSync(path.join(dir, f), { force: true });
  }
  return manifest;
}
