/**
 * `npm run dataset -- NAME [--out datasets/NAME]`: build one dataset from
 * pinned Debian packages into the reference layout (trainA/trainB/testA/testB).
 */
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { RECIPES, recipeNames } from "./recipes.ts";

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

const program = new Command("dataset")
  .description("Build a dataset from pinned Debian packages (see docs/datasets.md)")
  .argument("<name>", `one of: ${recipeNames().join(", ")}`)
  .option("--out <dir>", "output folder (default: datasets/<name>)")
  .option("--cache <dir>", "where .deb files and extracted files are kept", "datasets/.cache")
  .option("--seed <n>", "seed of the train/test split", int("--seed"), 1)
  .option(
    "--size <px>",
    "image side (glyphs, default 64) or short side (photos, default 286)",
    int("--size"),
  )
  .option(
    "--train <n>",
    "training images per side (glyphs default 2500; a cap for photo sets)",
    int("--train"),
  )
  .option(
    "--test <n>",
    "glyphs: held-out characters (default 200); photos: test share in percent",
    int("--test"),
  )
  .option(
    "--shared-train",
    "filter sets: both training sides take every training photo (B filtered) instead of disjoint halves",
  )
  .action(async (name: string, o: Record<string, unknown>) => {
    const recipe = RECIPES[name as keyof typeof RECIPES];
    if (!recipe) {
      program.error(`Unknown dataset "${name}". Should be one of: ${recipeNames().join(", ")}.`);
    }
    const started = Date.now();
    const info = await recipe.build({
      out: path.resolve((o.out as string | undefined) ?? path.join("datasets", name)),
      cache: path.resolve(o.cache as string),
      seed: o.seed as number,
      size: o.size as number | undefined,
      train: o.train as number | undefined,
      test: o.test as number | undefined,
      sharedTrain: o.sharedTrain === true,
    });
    const c = info.counts;
    console.log(
      `${name}: trainA ${c.trainA}, trainB ${c.trainB}, testA ${c.testA}, testB ${c.testB} ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${path.relative(process.cwd(), (o.out as string | undefined) ?? path.join("datasets", name))}`,
    );
  });

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? `error: ${err.message}` : err);
  process.exit(1);
});
