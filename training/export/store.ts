/**
 * Writes a model's files into models/<id>/ and its entry into
 * models/manifest.json, all or nothing as far as a file system allows: the new
 * manifest is validated with parseManifest, then written (and fsynced) to a
 * temp file next to the manifest, then every model file goes to a temp name in
 * models/<id>/; only when all of that succeeded are the model files renamed
 * into place and then the manifest (temp + rename). A failure before the
 * renames (e.g. the manifest's folder does not exist) removes the temp files
 * and any folder it created: old files and old manifest stay as they were.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import {
  type Manifest,
  ManifestError,
  type ModelEntry,
  parseManifest,
  SCHEMA_VERSION,
} from "../../models/schema.ts";
import { renderCard } from "./card.ts";

/** Throws when `file` is a directory: a manifest is one JSON file. */
export function refuseDirectoryManifest(file: string, flag = "manifest"): void {
  if (existsSync(file) && statSync(file).isDirectory())
    throw new Error(
      `${flag} ${file} is a directory; pass the manifest file itself, e.g. ${path.join(file, "manifest.json")}`,
    );
}

/** The manifest at `file`; a file that does not exist reads as an empty manifest. */
export function readManifest(file: string): Manifest {
  if (!existsSync(file)) return { schemaVersion: SCHEMA_VERSION, models: [] };
  refuseDirectoryManifest(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read the manifest ${file}: ${e instanceof Error ? e.message : e}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${file} is not valid JSON (${e instanceof Error ? e.message : e}); fix or remove it`,
    );
  }
  try {
    return parseManifest(json);
  } catch (e) {
    if (e instanceof ManifestError) throw new ManifestError(`${file}: ${e.message}`);
    throw e;
  }
}

/** The sample pictures an entry references: every pair's two JPEGs and each grid. */
export function sampleFiles(entry: ModelEntry): string[] {
  return [
    ...entry.samples.flatMap((s) => [s.input, s.output]),
    ...(entry.sampleGrids ?? []).map((g) => g.file),
  ];
}

/** Every file an entry references inside its folder. */
export function entryFiles(entry: ModelEntry): string[] {
  return [...entry.generators.flatMap((g) => g.variants.map((v) => v.file)), ...sampleFiles(entry)];
}

const tmpName = (file: string) => `${file}.tmp-${randomBytes(4).toString("hex")}`;

/** Writes a new file (never an existing one) and flushes it to disk. */
function writeSynced(file: string, data: Uint8Array | string): void {
  const fd = openSync(file, "wx");
  try {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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
  const card = renderCard(entry);
  const dir = path.join(modelsDir, entry.id);
  // The first folder this call creates (models/ or models/<id>/), removed again on failure.
  const created = mkdirSync(dir, { recursive: true });
  const manifestTmp = tmpName(manifestPath);
  const staged: [string, string][] = [];
  const discardTemps = () => {
    rmSync(manifestTmp, { force: true });
    for (const [tmp] of staged) rmSync(tmp, { force: true });
  };
  try {
    // First the manifest: a manifest that cannot be written must stop us before any rename.
    try {
      writeSynced(manifestTmp, `${JSON.stringify(manifest, null, 2)}\n`);
    } catch (e) {
      const folder = path.dirname(manifestPath);
      const why =
        (e as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(folder)
          ? `its folder ${folder} does not exist`
          : e instanceof Error
            ? e.message
            : String(e);
      throw new Error(`cannot write the manifest ${manifestPath}: ${why}; nothing was changed`);
    }
    for (const [name, data] of [...files, ["README.md", card] as const]) {
      const tmp = tmpName(path.join(dir, name));
      staged.push([tmp, path.join(dir, name)]);
      writeSynced(tmp, data);
    }
  } catch (e) {
    discardTemps();
    if (created) rmSync(created, { recursive: true, force: true });
    throw e;
  }
  try {
    for (const [tmp, final] of staged) renameSync(tmp, final);
    renameSync(manifestTmp, manifestPath);
  } catch (e) {
    // Rarely reached (the folder and the temp files were just written); leave no temp files.
    discardTemps();
    throw new Error(
      `${(e as Error).message}: the export stopped while moving files into ${dir}; run it again (npm run export -- verify checks the result)`,
    );
  }
  // Files the old entry listed and the new one does not (e.g. a dropped dtype).
  const keep = new Set(files.keys());
  for (const f of previous ? entryFiles(previous) : []) {
    if (!keep.has(f)) rmSync(path.join(dir, f), { force: true });
  }
  return manifest;
}
