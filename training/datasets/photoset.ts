/**
 * The shared back half of the photo recipes: split each side by seed, resize
 * to a short side, write JPEGs into the reference layout with a licence per
 * file. Recipes only decide which source files belong to A and B.
 */
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { forEachLimited } from "../util/for-each-limited.ts";
import type { FetchedPackage } from "./debs.ts";
import { type DatasetInfo, DatasetWriter, type SourceInfo, type Split } from "./layout.ts";
import type { RecipeOptions } from "./recipe-contract.ts";
import { splitTrainTest } from "./split.ts";

export interface PhotoItem {
  /** Absolute path of the source image. */
  file: string;
  /** Output base name, unique within its side (no extension). */
  name: string;
  license: string;
}

export interface PhotoSetSpec {
  name: string;
  description: string;
  domains: { A: string; B: string };
  /** How the A and B files were chosen (the split itself is described here). */
  selection: string;
  A: PhotoItem[];
  B: PhotoItem[];
  packages: { pkg: FetchedPackage; license: string }[];
}

export const DEFAULT_SHORT_SIDE = 286;
export const DEFAULT_TEST_PERCENT = 15;

/** Decode, orient and resize so the short side is `size` (never enlarging), as sRGB without alpha. */
export async function resizedShortSide(file: string, size: number): Promise<Sharp> {
  const img = sharp(file).rotate();
  const { width = 0, height = 0 } = await img.metadata();
  if (width === 0 || height === 0) throw new Error(`cannot read the size of ${file}`);
  const fit = width < height ? { width: size } : { height: size };
  return img
    .resize({ ...fit, withoutEnlargement: true })
    .removeAlpha()
    .toColourspace("srgb");
}

/** Resize so the short side is `size` (never enlarging) and encode as JPEG. */
export async function resizeShortSide(file: string, size: number): Promise<Buffer> {
  return (await resizedShortSide(file, size)).jpeg({ quality: 92 }).toBuffer();
}

export async function writePhotoSet(spec: PhotoSetSpec, opts: RecipeOptions): Promise<DatasetInfo> {
  const size = opts.size ?? DEFAULT_SHORT_SIDE;
  const testPercent = opts.test ?? DEFAULT_TEST_PERCENT;
  if (testPercent >= 100)
    throw new RangeError(`--test is a percentage for photo sets, got ${testPercent}`);
  for (const side of [spec.A, spec.B]) {
    const names = side.map((p) => p.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`two ${spec.name} images would both be called ${dup}`);
  }
  const parts = (items: PhotoItem[], seed: number) => {
    const { train, test } = splitTrainTest(items, testPercent / 100, seed, (p) => p.name);
    return { train: opts.train ? train.slice(0, opts.train) : train, test };
  };
  const a = parts(spec.A, opts.seed);
  const b = parts(spec.B, opts.seed + 1);
  const jobs: { split: Split; item: PhotoItem }[] = [
    ...a.train.map((item) => ({ split: "trainA" as const, item })),
    ...b.train.map((item) => ({ split: "trainB" as const, item })),
    ...a.test.map((item) => ({ split: "testA" as const, item })),
    ...b.test.map((item) => ({ split: "testB" as const, item })),
  ];
  const writer = new DatasetWriter(opts.out);
  try {
    const attribution: Record<string, string> = {};
    await forEachLimited(jobs, 2, "resizing", async ({ split, item }) => {
      const rel = writer.write(split, `${item.name}.jpg`, await resizeShortSide(item.file, size));
      attribution[rel] = item.license;
    });
    const sources: SourceInfo[] = spec.packages.map(({ pkg, license }) => ({
      package: pkg.pin.name,
      version: pkg.pin.version,
      sha256: pkg.pin.sha256,
      license,
      copyright: pkg.copyright,
    }));
    return writer.finish(
      {
        name: spec.name,
        description: spec.description,
        domains: spec.domains,
        split:
          `${spec.selection} Each side is sorted by name, shuffled with the seed (B with seed + 1) and ` +
          `${testPercent}% of it (at least one image) is held out for testA/testB; the rest is trainA/trainB` +
          `${opts.train ? `, capped at ${opts.train} per side` : ""}. A and B are different photos: nothing is paired.`,
        seed: opts.seed,
        options: { shortSide: size, testPercent, trainCap: opts.train ?? null },
        attribution: Object.fromEntries(Object.entries(attribution).sort()),
      },
      sources,
    );
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Items for the named files in `dir` of an extracted package, licensed per its copyright file. */
export function itemsFrom(
  pkg: FetchedPackage,
  dir: string,
  files: readonly string[],
  prefix: string,
  license: (file: string) => string,
): PhotoItem[] {
  return files.map((f) => ({
    file: path.join(pkg.root, dir, f),
    name: `${prefix}${path.basename(f).replace(/\.[^.]+$/, "")}`,
    license: license(f),
  }));
}
