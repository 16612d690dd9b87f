/**
 * Seeding of an R2 bucket from Node: the LOCAL one (Miniflare's, under a
 * persist folder) for `npm run seed` and the test helper that starts the
 * worker, or the deployed one (`npm run seed -- --remote`). Either is opened
 * through wrangler's `getPlatformProxy`; locally with the same persist layout
 * `wrangler dev --persist-to <dir>` reads (`<dir>/v3`).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type GetPlatformProxyOptions, getPlatformProxy, unstable_readConfig } from "wrangler";
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
 * Writes the files, then the manifest that lists them (so a live worker never
 * lists a file not yet stored). Each object gets customMetadata.sha256, which
 * the worker compares with the manifest before serving a model file; objects
 * whose stored sha256 already matches are skipped, so seeding again is cheap.
 */
export async function seedBucket(bucket: SeedBucket, seed: Seed): Promise<SeedResult> {
  const result: SeedResult = { written: [], skipped: [] };
  const entries: [string, Uint8Array | string, string][] = [
    ...Object.entries(seed.files).map(([name, bytes]): [string, Uint8Array, string] => {
      const [id, file, ...rest] = name.split("/");
      if (!id || !file || rest.length > 0) throw new Error(`seed file "${name}" is not "id/file"`);
      return [modelKey(id, file), bytes, "application/octet-stream"];
    }),
    [MANIFEST_KEY, JSON.stringify(seed.manifest), "application/json"],
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
  let json: unknown;
  try {
    json = JSON.parse(await readFile(manifestPath, "utf8"));
  } catch (e) {
    throw new Error(`${manifestPath} cannot be read as JSON: ${(e as Error).message}`);
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(json);
  } catch (e) {
    throw new Error(`${manifestPath}: ${(e as Error).message}`);
  }
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

async function withBucket<T>(
  options: GetPlatformProxyOptions,
  use: (bucket: SeedBucket) => Promise<T>,
): Promise<T> {
  const proxy = await getPlatformProxy<{ MODELS: SeedBucket }>(options);
  try {
    return await use(proxy.env.MODELS);
  } finally {
    await proxy.dispose();
  }
}

/** Opens the local R2 bucket bound as MODELS under `persistTo` (as `wrangler dev --persist-to`). */
export function withLocalBucket<T>(
  persistTo: string,
  use: (bucket: SeedBucket) => Promise<T>,
): Promise<T> {
  return withBucket(
    {
      configPath: path.join(ROOT, "wrangler.toml"),
      persist: { path: path.join(persistTo, "v3") },
      remoteBindings: false,
    },
    use,
  );
}

/**
 * Opens the deployed bucket bound as MODELS in wrangler.toml, through a
 * wrangler remote binding (needs `wrangler login` or CLOUDFLARE_API_TOKEN).
 * `wrangler r2 object put` cannot set customMetadata, so uploads go this way.
 * The binding is marked remote in a throwaway config, because marking it so
 * in wrangler.toml would make `wrangler dev` use the deployed bucket too.
 */
export async function withRemoteBucket<T>(use: (bucket: SeedBucket) => Promise<T>): Promise<T> {
  // The fields used here; wrangler does not ship the types of its config.
  const config: {
    name?: string;
    compatibility_date?: string;
    r2_buckets: { binding: string; bucket_name?: string }[];
  } = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") });
  const models = config.r2_buckets.find((b) => b.binding === "MODELS");
  if (!models?.bucket_name) throw new Error("wrangler.toml binds no R2 bucket as MODELS");
  const dir = await mkdtemp(path.join(os.tmpdir(), "unpaired-seed-"));
  try {
    const configPath = path.join(dir, "wrangler.json");
    await writeFile(
      configPath,
      JSON.stringify({
        name: config.name,
        compatibility_date: config.compatibility_date,
        r2_buckets: [{ binding: "MODELS", bucket_name: models.bucket_name, remote: true }],
      }),
    );
    return await withBucket({ configPath, persist: false }, use);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
