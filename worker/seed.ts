/**
 * `npm run seed [-- --persist-to DIR]`: copies models/manifest.json and every
 * model file it lists (sha256-checked) into the local R2 bucket that
 * `wrangler dev` uses; `-- --remote` into the deployed bucket instead.
 * Unchanged objects are skipped, so it is cheap to rerun.
 */
import path from "node:path";
import { Command } from "commander";
import {
  DEFAULT_PERSIST_TO,
  readShippedSeed,
  seedBucket,
  withLocalBucket,
  withRemoteBucket,
} from "./local-r2.ts";

const program = new Command()
  .name("seed")
  .description("Seed local R2 (Miniflare) with the shipped models for `wrangler dev`.")
  .option(
    "--persist-to <dir>",
    "the folder given to `wrangler dev --persist-to`",
    DEFAULT_PERSIST_TO,
  )
  .option("--models <dir>", "folder holding manifest.json and <id>/<file>", undefined)
  .option("--remote", "seed the deployed bucket (wrangler.toml's MODELS) instead", false)
  .parse();

const opts = program.opts<{ persistTo: string; models?: string; remote: boolean }>();
try {
  const seed = await readShippedSeed(opts.models ? path.resolve(opts.models) : undefined);
  const write = (bucket: Parameters<typeof seedBucket>[0]) => seedBucket(bucket, seed);
  const result = opts.remote
    ? await withRemoteBucket(write)
    : await withLocalBucket(path.resolve(opts.persistTo), write);
  const models = seed.manifest.models.length;
  const where = opts.remote
    ? "the deployed bucket"
    : path.relative(process.cwd(), opts.persistTo) || ".";
  console.log(
    `[seed] ${models} model(s): wrote ${result.written.length} object(s), ` +
      `${result.skipped.length} unchanged, into ${where}`,
  );
} catch (e) {
  console.error(`[seed] ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
