/**
 * `photo2sketch`, `photo2cartoon`, `photo2oil` and `photo2watercolour`: photos (A) <-> a fixed, deterministic
 * treatment of *other* photos (B). Training is unpaired (trainB is the filter
 * of photos that are not in trainA), while every held-out photo also gets its
 * filtered twin under the same name (testA/x.png, testB/x.png, pairs.json),
 * so `npm run eval -- paired` has an exact ground truth, as with `glyphs`.
 */
import sharp from "sharp";
import { forEachLimited } from "../util/for-each-limited.ts";
import type { FetchedPackage } from "./debs.ts";
import {
  CARTOON,
  type CartoonParams,
  cartoon,
  pencilSketch,
  type RgbImage,
  SKETCH,
  type SketchParams,
} from "./filters.ts";
import { type DatasetInfo, DatasetWriter, type Split } from "./layout.ts";
import { OIL, type OilParams, oilPaint } from "./oil-paint.ts";
import { DEFAULT_SHORT_SIDE, type PhotoItem, resizedShortSide } from "./photoset.ts";
import type { Recipe, RecipeOptions } from "./recipe-contract.ts";
import { ENDLESS_SKY_LICENSE, endlessSkyPhotos, isOutdoorPhoto } from "./sources.ts";
import { splitTrainTest } from "./split.ts";
import { WATERCOLOUR, type WatercolourParams, watercolour } from "./watercolour.ts";

/** 16% of endless-sky's 254 outdoor photos is 41: enough held-out pairs for paired metrics. */
export const FILTER_TEST_PERCENT = 16;

export interface FilterPlan<T> {
  test: T[];
  trainA: T[];
  trainB: T[];
}

/**
 * Hold out `testShare` (sorted, seeded shuffle), then cut the rest into two
 * disjoint halves: trainA gets the photos, trainB the filter of the others.
 * `shared` gives both sides every training photo instead: the trainer still
 * draws B at random (unpaired), but the discriminator can no longer reward a
 * colour drift towards whatever the B half happens to show more of.
 * `trainCap` limits each side.
 */
export function planFilterSplit<T>(
  items: readonly T[],
  testShare: number,
  seed: number,
  key: (item: T) => string,
  trainCap = Number.POSITIVE_INFINITY,
  shared = false,
): FilterPlan<T> {
  const { train, test } = splitTrainTest(items, testShare, seed, key);
  if (shared) {
    const side = train.slice(0, Math.min(train.length, trainCap));
    return { test, trainA: side, trainB: [...side] };
  }
  const half = Math.ceil(train.length / 2);
  if (half === train.length) throw new RangeError(`too few items (${items.length}) for two halves`);
  return {
    test,
    trainA: train.slice(0, Math.min(half, trainCap)),
    trainB: train.slice(half, half + Math.min(train.length - half, trainCap)),
  };
}

export interface FilterSpec {
  /** Recipe (dataset) name. */
  name: string;
  /** Filter name recorded in dataset.json next to its parameters. */
  filter: string;
  domainB: string;
  /** One sentence on what the filter does, for dataset.json and LICENSES.md. */
  how: string;
  params: SketchParams | CartoonParams | OilParams | WatercolourParams;
  apply(img: RgbImage): RgbImage;
}

const png = (img: RgbImage): Promise<Buffer> =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();

async function loadPhoto(item: PhotoItem, size: number): Promise<RgbImage> {
  const { data, info } = await (await resizedShortSide(item.file, size))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** Split `photos`, filter the B side and write the layout, pairs.json and licences. */
export async function writeFilteredSet(
  spec: FilterSpec,
  photos: { pkg: FetchedPackage; items: PhotoItem[] },
  opts: RecipeOptions,
): Promise<DatasetInfo> {
  const size = opts.size ?? DEFAULT_SHORT_SIDE;
  const testPercent = opts.test ?? FILTER_TEST_PERCENT;
  const plan = planFilterSplit(
    photos.items,
    testPercent / 100,
    opts.seed,
    (p) => p.name,
    opts.train,
    opts.sharedTrain,
  );
  // Each job decodes one photo once and writes it, its filtered version, or both.
  const inB = new Set(plan.trainB);
  const jobs: { item: PhotoItem; photo?: Split; filtered?: Split }[] = [
    ...plan.trainA.map((item) => ({
      item,
      photo: "trainA" as const,
      ...(inB.delete(item) ? { filtered: "trainB" as const } : {}),
    })),
    ...[...inB].map((item) => ({ item, filtered: "trainB" as const })),
    ...plan.test.map((item) => ({ item, photo: "testA" as const, filtered: "testB" as const })),
  ];
  const writer = new DatasetWriter(opts.out);
  try {
    const attribution: Record<string, string> = {};
    await forEachLimited(jobs, 2, "filtering", async ({ item, photo, filtered }) => {
      const img = await loadPhoto(item, size);
      const file = `${item.name}.png`;
      if (photo) attribution[writer.write(photo, file, await png(img))] = item.license;
      if (filtered)
        attribution[writer.write(filtered, file, await png(spec.apply(img)))] = item.license;
    });
    const pairs = plan.test
      .map((item) => ({ A: `testA/${item.name}.png`, B: `testB/${item.name}.png` }))
      .sort((a, b) => (a.A < b.A ? -1 : 1));
    writer.writeExtra("pairs.json", `${JSON.stringify(pairs, null, 1)}\n`);
    return writer.finish(
      {
        name: spec.name,
        description:
          `A: outdoor photographs from Endless Sky's planet-landing screens (720x360); B: ${spec.domainB}, ` +
          `computed from other photos of the same collection (${spec.how}). Filtered images are ` +
          "derivatives of the photos and carry their licences.",
        domains: { A: "photos", B: spec.domainB },
        split:
          `All ${photos.items.length} outdoor landing photos (every category, cities included; interiors, ` +
          "space and Jupiter imagery left out by eye; training/datasets/sources.ts). Sorted by name and shuffled with the seed: " +
          `${testPercent}% (${plan.test.length}) are held out and written twice, testA/X.png (photo) and ` +
          "testB/X.png (its filter), listed in pairs.json; " +
          (opts.sharedTrain
            ? `trainA holds the other ${plan.trainA.length} photos and trainB the filter of the same ` +
              `${plan.trainB.length} (--shared-train: the trainer draws B at random, so it sees no pairs on purpose, ` +
              "but both sides share scenes and colours)"
            : "the rest is cut into two disjoint halves, " +
              `trainA (${plan.trainA.length} photos) and trainB (the filter of the other ${plan.trainB.length})`) +
          `${opts.train ? `, capped at ${opts.train} per side` : ""}. No held-out photo is in a training set. ` +
          "The filter runs on the resized pixels, so testA/X and testB/X line up pixel for pixel.",
        seed: opts.seed,
        options: {
          shortSide: size,
          testPercent,
          trainCap: opts.train ?? null,
          sharedTrain: opts.sharedTrain ?? false,
          filter: { name: spec.filter, params: spec.params },
        },
        attribution: Object.fromEntries(Object.entries(attribution).sort()),
      },
      [
        {
          package: photos.pkg.pin.name,
          version: photos.pkg.pin.version,
          sha256: photos.pkg.pin.sha256,
          license: ENDLESS_SKY_LICENSE,
          copyright: photos.pkg.copyright,
        },
      ],
    );
  } catch (err) {
    writer.abort();
    throw err;
  }
}

const outdoorPhotos = (cache: string) =>
  endlessSkyPhotos(cache, (all) => all.filter(isOutdoorPhoto));

const SKETCH_SPEC: FilterSpec = {
  name: "photo2sketch",
  filter: "pencil sketch",
  domainB: "pencil sketches",
  how:
    `Rec. 601 grey, colour-dodged with its Gaussian-blurred inverse (sigma ${SKETCH.sigma} px), ` +
    `ratio raised to the power ${SKETCH.gamma}, shaded with ${SKETCH.shade} of the grey tone, grey as RGB`,
  params: SKETCH,
  apply: (img) => pencilSketch(img),
};

const CARTOON_SPEC: FilterSpec = {
  name: "photo2cartoon",
  filter: "cartoon",
  domainB: "flat-colour cartoons with ink outlines",
  how:
    `${CARTOON.passes} bilateral passes (radius ${CARTOON.radius}, sigma ${CARTOON.sigmaSpace} px / ` +
    `${CARTOON.sigmaRange} levels), lightness in ${CARTOON.levels} bands and colour (Cb, Cr, gain ` +
    `${CARTOON.saturation}) in steps of ${CARTOON.chromaStep}, dark ink where the smoothed grey's Sobel ` +
    `gradient exceeds ${CARTOON.edgeLow}-${CARTOON.edgeHigh}`,
  params: CARTOON,
  apply: (img) => cartoon(img),
};

const OIL_SPEC: FilterSpec = {
  name: "photo2oil",
  filter: "oil paint",
  domainB: "oil paintings",
  how:
    `Kuwahara passes of radius ${OIL.radii.join(" then ")} px (each pixel mixes the means of its ` +
    "four quadrant windows weighted by 1 / (1 + variance^2) of their luminance, so the most uniform " +
    `side of an edge wins), then colour (Cb, Cr) gain ${OIL.saturation}`,
  params: OIL,
  apply: (img) => oilPaint(img),
};

const WATERCOLOUR_SPEC: FilterSpec = {
  name: "photo2watercolour",
  filter: "watercolour",
  domainB: "watercolour paintings",
  how:
    `Kuwahara passes of radius ${WATERCOLOUR.radii.join(" then ")} px (as photo2oil), lightness lifted ` +
    `towards white paper (255 - (255 - Y) x ${WATERCOLOUR.wash}) and colour (Cb, Cr) times ` +
    `${WATERCOLOUR.saturation}, darkened by up to ${WATERCOLOUR.pool} where the smoothed grey's Sobel ` +
    `gradient exceeds ${WATERCOLOUR.edgeLow}-${WATERCOLOUR.edgeHigh} (pigment pooling at wash borders)`,
  params: WATERCOLOUR,
  apply: (img) => watercolour(img),
};

export const photo2sketch: Recipe = {
  name: "photo2sketch",
  summary: "photos <-> pencil sketches of other photos (paired test set), from endless-sky-data",
  build: async (opts) => writeFilteredSet(SKETCH_SPEC, await outdoorPhotos(opts.cache), opts),
};

export const photo2cartoon: Recipe = {
  name: "photo2cartoon",
  summary:
    "photos <-> flat-colour inked cartoons of other photos (paired test set), from endless-sky-data",
  build: async (opts) => writeFilteredSet(CARTOON_SPEC, await outdoorPhotos(opts.cache), opts),
};

export const photo2oil: Recipe = {
  name: "photo2oil",
  summary:
    "photos <-> Kuwahara oil paintings of other photos (paired test set), from endless-sky-data",
  build: async (opts) => writeFilteredSet(OIL_SPEC, await outdoorPhotos(opts.cache), opts),
};

export const photo2watercolour: Recipe = {
  name: "photo2watercolour",
  summary:
    "photos <-> Kuwahara watercolours with pooled edges of other photos (paired test set), from endless-sky-data",
  build: async (opts) => writeFilteredSet(WATERCOLOUR_SPEC, await outdoorPhotos(opts.cache), opts),
};
