/**
 * Seeding of the LOCAL R2 bucket (Miniflare's, under a persist folder) from
 * Node: used by `npm run seed` and by the test helper that starts the worker.
 * It opens the bucket through wrangler's `getPlatformProxy`, with the same
 * persist layout `wrangler dev --persist-to <dir>` reads (`<dir>/v3`).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { getPlatformProxy } from "wrangler";
import { type Manifest, parseManifest } from "../models/schema.ts";
import { MANIFEST_KEY, modelKey } from "./src/keys.ts";

export const ROOT = path.resolve(import.meta.dirname, "..");
/** The folder `wrangler dev` persists local state in when given no `--persist-to`. */
export const DEFAULT_PERSIST_TO = path.join(ROOT, ".wrangler", "state");

/** What seeding needs of an R2 bucket (a subset of the Workers `R2Bucket`). */
export interface SeedBucket {
  head(key: string): Promise<{ customMetadata?: Record<string, string> } | null>;
  put(
    key: string,
    value: Uint8Array | string,
    options: {
      httpMetadata: { contentType: string };
      customMetadata: Record<string, string>;
    },
  ): Promise<unknown>;
}

/** A manifest (any JSON, so tests can seed broken ones) and files keyed "id/file". */
export interface Seed {
  manifest: unknown;
  files: Record<string, Uint8Array>;
}

export const sha256Hex = (bytes: Uint8Array | string) =>
  createHash("sha256").update(bytes).digest("hex");

export interface SeedResult {
  written: string[];
  skipped: string[];
}

/**
 * Writes the manifest and the files; objects whose stored sha256 already
 * matches are skipped, so seeding again is cheap.
 */
export async function seedBucket(bucket: SeedBucket, seed: Seed): Promise<SeedResult> {
  const result: SeedResult = { written: [], skipped: [] };
  const entries: [string, Uint8Array | string, string][] = [
    [MANIFEST_KEY, JSON.stringify(seed.manifest), "application/json"],
    ...Object.entries(seed.files).map(([name, bytes]): [string, Uint8Array, string] => {
      const [id, file, ...rest] = name.split("/");
      if (!id || !file || rest.length > 0) throw new Error(`seed file "${name}" is not "id/file"`);
      return [modelKey(id, file), bytes, "application/octet-stream"];
    }),
  ];
  for (const [key, value, contentType] of entries) {
    const sha256 = sha256Hex(value);
    const existing = await bucket.head(key);
    if (existing?.customMetadata?.sha256 === sha256) {
      result.skipped.push(key);
      continue;
    }
    await bucket.put(key, value, {
      httpMetadata: { contentType },
      customMetadata: { sha256 },
    });
    result.written.push(key);
  }
  return result;
}

/**
 * The shipped models: models/manifest.json (validated) and every file it lists,
 * each checked against the manifest's size and sha256 before it is seeded.
 */
export async function readShippedSeed(
  modelsDir = path.join(ROOT, "models"),
): Promise<Seed & { manifest: Manifest }> {
  const manifestPath = path.join(modelsDir, "manifest.json");
  const manifest = parseManifest(JSON.parse(await readFile(manifestPath, "utf8")));
  const files: Record<string, Uint8Array> = {};
  for (const entry of manifest.models) {
    for (const variant of entry.generators.flatMap((g) => g.variants)) {
      const file = path.join(modelsDir, entry.id, variant.file);
      const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new Error(`${manifestPath} lists ${file}, which cannot be read (${e.code})`);
      });
      const sha = sha256Hex(bytes);
      if (bytes.byteLength !== variant.bytes || sha !== variant.sha256) {
        throw new Error(
          `${file}: ${bytes.byteLength} bytes, sha256 ${sha}; the manifest says ` +
            `${variant.bytes} bytes, sha256 ${variant.sha256}. Re-export the model or fix the manifest.`,
        );
      }
      files[`${entry.id}/${variant.file}`] = bytes;
    }
  }
  return { manifest, files };
}

/** Opens the local R2 bucket bound as MODELS under `persistTo` (as `wrangler dev --persist-to`). */
export async function withLocalBucket<T>(
  persistTo: string,
  use: (bucket: SeedBucket) => Promise<T>,
): Promise<T> {
  const proxy = await getPlatformProxy<{ MODELS: SeedBucket }>({
    configPath: path.join(ROOT, "wrangler.toml"),
    persist: { path: path.join(persistTo, "v3") },
    remoteBindings: false,
  });
  try {
    return await use(proxy.env.MODELS);
  } finally {
    await proxy.dispose();
  }
}
