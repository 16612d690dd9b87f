/** Reading a dataset in the reference layout (as training/datasets writes it) for evaluation. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const IMAGE = /\.(png|jpe?g|webp)$/i;

export type Side = "A" | "B";

export function listImages(
  dataDir: string,
  split: "trainA" | "trainB" | "testA" | "testB",
): string[] {
  const dir = path.join(dataDir, split);
  if (!existsSync(dir)) {
    throw new Error(
      `${dir} does not exist: is ${dataDir} a dataset (trainA/ trainB/ testA/ testB/)?`,
    );
  }
  return readdirSync(dir)
    .filter((f) => IMAGE.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface TestPair {
  name: string;
  A: string;
  B: string;
}

/**
 * The paired test set: pairs.json when the dataset has one, otherwise files
 * with the same name in testA/ and testB/. A dataset with neither has no
 * ground truth, and the paired evaluation refuses it.
 */
export function testPairs(dataDir: string): TestPair[] {
  const pairsFile = path.join(dataDir, "pairs.json");
  if (existsSync(pairsFile)) {
    const raw = JSON.parse(readFileSync(pairsFile, "utf8")) as {
      A: string;
      B: string;
      char?: string;
    }[];
    return raw.map((p) => ({
      name: p.char ?? path.basename(p.A),
      A: path.join(dataDir, p.A),
      B: path.join(dataDir, p.B),
    }));
  }
  const b = new Set(listImages(dataDir, "testB").map((f) => path.basename(f)));
  const pairs = listImages(dataDir, "testA")
    .filter((f) => b.has(path.basename(f)))
    .map((f) => ({
      name: path.basename(f),
      A: f,
      B: path.join(dataDir, "testB", path.basename(f)),
    }));
  if (pairs.length === 0) {
    throw new Error(
      `${dataDir} has no paired test set (no pairs.json, no file names shared by testA/ and testB/); ` +
        "use `npm run eval -- domain` for unpaired data",
    );
  }
  return pairs;
}

/** Evenly spaced picks, so a capped list still spans the whole (sorted) set. */
export function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)] as T);
}

export type Direction = "AtoB" | "BtoA";

/** One direction per run: the override, else the models' own (which must agree), else AtoB. */
export function resolveDirection(
  generators: readonly { direction: Direction; label: string }[],
  override?: Direction,
): Direction {
  const direction = override ?? generators[0]?.direction ?? "AtoB";
  const other = generators.find((g) => g.direction !== direction);
  if (other)
    throw new Error(
      `${other.label} translates ${other.direction}, this run ${direction}: evaluate them separately`,
    );
  return direction;
}
