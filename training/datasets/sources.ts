/**
 * The pinned packages the photo recipes draw from and the files used from
 * each. File lists were chosen by looking at every candidate (contact sheets
 * of all 273 endless-sky photos and all 72 Wesnoth story images): they are
 * data, kept here so a rebuild gives the same set.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { type DebPin, type FetchedPackage, fetchPackage } from "./debs.ts";
import { licenseOf, parseDep5 } from "./dep5.ts";
import { itemsFrom, type PhotoItem } from "./photoset.ts";

const ENDLESS_SKY: DebPin = {
  name: "endless-sky-data",
  version: "0.9.8-1.2",
  sha256: "e45835e05a11e84bb1a890a0ded390246a53b8318f21a25925aa70fa54f80c13",
  arch: "all",
};
const LAND_DIR = "usr/share/games/endless-sky/images/land";

/**
 * Fetch endless-sky-data's landing photos (720x360) and return the items for
 * the files `select` picks from the sorted listing, each licensed by the
 * package's DEP-5 copyright. A listed file that is missing is an error.
 */
export async function endlessSkyPhotos(
  cache: string,
  select: (files: string[]) => string[],
): Promise<{ pkg: FetchedPackage; items: PhotoItem[] }> {
  const pkg = await fetchPackage(ENDLESS_SKY, cache, [`./${LAND_DIR}/*.jpg`]);
  const all = readdirSync(path.join(pkg.root, LAND_DIR)).sort();
  const files = select(all);
  const missing = files.filter((f) => !all.includes(f));
  if (missing.length > 0) throw new Error(`not in ${ENDLESS_SKY.name}: ${missing.join(", ")}`);
  const stanzas = parseDep5(pkg.copyright);
  const items = itemsFrom(pkg, LAND_DIR, files, "es-", (f) =>
    licenseOf(stanzas, `images/land/${f}`, "see debian/copyright"),
  );
  return { pkg, items };
}

export const ENDLESS_SKY_LICENSE =
  "public domain (morguefile, Unsplash, NASA, USGS) or CC-BY-SA-3.0/4.0 by photographer; per file in dataset.json";

/** Natural landscapes: every category except cities, space, stations, lava, interiors. */
export const LANDSCAPE_CATEGORIES = [
  "badlands",
  "beach",
  "canyon",
  "desert",
  "dune",
  "fields",
  "fog",
  "forest",
  "hills",
  "mountain",
  "sea",
  "sky",
  "snow",
  "valley",
  "water",
  "myrabella",
  "dmottl",
] as const;

export function isLandscapePhoto(file: string): boolean {
  const category = /^[a-z]+/.exec(file)?.[0] ?? "";
  return (LANDSCAPE_CATEGORIES as readonly string[]).includes(category) && file.endsWith(".jpg");
}

/**
 * Every landing image that is an outdoor photograph, cities and launch pads
 * included (the filter sets want variety, not a theme). Left out by eye:
 * spacecraft and station interiors (space*, station*), indoor rooms (loc*),
 * the Earth seen from the Moon and two false-colour views of Jupiter.
 */
export function isOutdoorPhoto(file: string): boolean {
  const category = /^[a-z]+/.exec(file)?.[0] ?? "";
  return (
    file.endsWith(".jpg") &&
    !["space", "station", "loc"].includes(category) &&
    !["earthrise.jpg", "nasa8.jpg", "nasa9.jpg"].includes(file)
  );
}

/** Green, snow-free scenes (fields, forests, valleys, lakes), reviewed by eye. */
export const SUMMER_PHOTOS = [
  ...["fields0", "fields3", "fields6", "fields8", "fields11-sfiera", "fields12-sfiera"],
  ...["forest0", "forest1", "forest2", "forest3", "forest4", "forest5"],
  ...["valley5", "valley8", "valley12-harro", "valley13-harro", "valley14-harro", "valley15-harro"],
  ...["water1", "water2", "water3", "water10-harro"],
  ...["myrabella3", "myrabella6", "myrabella7", "myrabella8"],
  ...[
    "mountain14-sfiera",
    "mountain15-sfiera",
    "mountain20-harro",
    "hills5-sfiera",
    "hills7-harro",
  ],
].map((n) => `${n}.jpg`);

/** Snow-covered ground: every `snow*` photo plus the snowy mountain scenes, reviewed by eye. */
export const WINTER_PHOTOS = [
  ...["snow0", "snow1", "snow2", "snow3", "snow4", "snow5", "snow6", "snow7", "snow8", "snow9"],
  ...["snow10", "snow10-sfiera", "snow11-sfiera"],
  ...["mountain2", "mountain3", "mountain7", "mountain8", "mountain16-striker", "mountain24-spfld"],
  ...["dmottl0", "dmottl1", "dmottl3", "dmottl4", "dmottl5"],
].map((n) => `${n}.jpg`);

const WESNOTH_DATA = "usr/share/games/wesnoth/1.16/data";
const wesnothPin = (name: string, sha256: string): DebPin => ({
  name,
  version: "1:1.16.9-1",
  sha256,
  arch: "all",
});

/**
 * Painted landscapes from Battle for Wesnoth's story screens: the core set
 * and four campaigns. Portraits, map screenshots, interiors and near-copies
 * (landscape-battlefield with soldiers, landscape-bridge_sun) are left out.
 */
const WESNOTH_PAINTINGS: { pin: DebPin; dir: string; files: string[] }[] = [
  {
    pin: wesnothPin(
      "wesnoth-1.16-data",
      "1012b964bd412a6770685e3324ae3b61e176caff7846192d1ee63d55cd621e26",
    ),
    dir: "core/images/story",
    files: [
      "grim-altar",
      "landscape-battlefield_nohumans",
      "landscape-bridge",
      "landscape-castle",
      "landscape-coast",
      "landscape-hills-01",
      "landscape-hills-02",
      "landscape-mountains-01",
      "landscape-mountains-02",
      "landscape-mountains-03",
      "landscape-mountains-04",
      "landscape-mountains-05",
      "landscape-plain",
      "swamp-01",
      "swamp-02",
      "swamp-03",
    ],
  },
  {
    pin: wesnothPin(
      "wesnoth-1.16-did",
      "774619f5aaeb7eb4c848e1cc1758795a8c58e96bd270cceecc9d847dbcc769b3",
    ),
    dir: "campaigns/Descent_Into_Darkness/images/story",
    files: ["parthyn", "travel"],
  },
  {
    pin: wesnothPin(
      "wesnoth-1.16-l",
      "5383c79046df6121929bc36a8ec3f970ab4cf9c1239ed9b31868201c27f4266d",
    ),
    dir: "campaigns/Liberty/images/story",
    files: ["frontier", "island", "Halstead", "return_to_Dallben_and_Delwyn"],
  },
  {
    pin: wesnothPin(
      "wesnoth-1.16-tsg",
      "38b5f564253b8e0d9c093b2b7c58aabfef24f688968d9cbaf42abfc1e76d8288",
    ),
    dir: "campaigns/The_South_Guard/images/story",
    files: ["fall", "summer", "winter"],
  },
  {
    pin: wesnothPin(
      "wesnoth-1.16-trow",
      "b5009e964ac7157a46d50de911e4f56f5bb4389d60b82a513b5f382671d180d7",
    ),
    dir: "campaigns/The_Rise_Of_Wesnoth/images/story",
    files: ["trow_intro_01", "trow_story_03-A_Harrowing_Escape", "trow_story_04b-The_Midlands"],
  },
];

export const WESNOTH_LICENSE = "GPL-2+ (Battle for Wesnoth artwork, per debian/copyright)";

export async function wesnothPaintings(
  cache: string,
): Promise<{ pkgs: FetchedPackage[]; items: PhotoItem[] }> {
  const pkgs: FetchedPackage[] = [];
  const items: PhotoItem[] = [];
  for (const set of WESNOTH_PAINTINGS) {
    const dir = `${WESNOTH_DATA}/${set.dir}`;
    const files = set.files.map((f) => `${f}.jpg`);
    const pkg = await fetchPackage(
      set.pin,
      cache,
      files.map((f) => `./${dir}/${f}`),
    );
    pkgs.push(pkg);
    items.push(...itemsFrom(pkg, dir, files, "wesnoth-", () => WESNOTH_LICENSE));
  }
  return { pkgs, items };
}
