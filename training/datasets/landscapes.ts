/**
 * `landscapes2paintings` (photos A <-> painted landscapes B) and
 * `summer2winter` (green summer photos A <-> snowy winter photos B).
 */

import { writePhotoSet } from "./photoset.ts";
import type { Recipe, RecipeOptions } from "./recipe-contract.ts";
import {
  ENDLESS_SKY_LICENSE,
  endlessSkyPhotos,
  isLandscapePhoto,
  SUMMER_PHOTOS,
  WESNOTH_LICENSE,
  WINTER_PHOTOS,
  wesnothPaintings,
} from "./sources.ts";

export const landscapes2paintings: Recipe = {
  name: "landscapes2paintings",
  summary: "landscape photos (endless-sky-data) <-> painted landscapes (Wesnoth story art)",
  async build(opts: RecipeOptions) {
    const photos = await endlessSkyPhotos(opts.cache, (all) => all.filter(isLandscapePhoto));
    const paintings = await wesnothPaintings(opts.cache);
    return writePhotoSet(
      {
        name: "landscapes2paintings",
        description:
          "A: landscape photographs from Endless Sky's planet-landing screens (720x360); " +
          "B: digitally painted fantasy landscapes from Battle for Wesnoth's story screens.",
        domains: { A: "landscape photos", B: "painted landscapes (Wesnoth story art)" },
        selection:
          `A: ${photos.items.length} endless-sky landing photos of natural scenes (file-name categories ` +
          `badlands, beach, canyon, desert, dune, fields, fog, forest, hills, mountain, sea, sky, snow, valley, ` +
          `water, myrabella, dmottl; cities, space, stations and lava left out). B: ${paintings.items.length} ` +
          "Wesnoth story paintings of landscapes chosen by eye (portraits, maps, interiors and near-copies left out).",
        A: photos.items,
        B: paintings.items,
        packages: [
          { pkg: photos.pkg, license: ENDLESS_SKY_LICENSE },
          ...paintings.pkgs.map((pkg) => ({ pkg, license: WESNOTH_LICENSE })),
        ],
      },
      opts,
    );
  },
};

export const summer2winter: Recipe = {
  name: "summer2winter",
  summary: "green summer landscapes <-> snowy winter landscapes (endless-sky-data photos)",
  async build(opts: RecipeOptions) {
    const summer = await endlessSkyPhotos(opts.cache, () => SUMMER_PHOTOS);
    const winter = await endlessSkyPhotos(opts.cache, () => WINTER_PHOTOS);
    return writePhotoSet(
      {
        name: "summer2winter",
        description:
          "A: green summer landscapes, B: snow-covered winter landscapes; both photographs from " +
          "Endless Sky's planet-landing screens (720x360).",
        domains: { A: "summer landscapes (green)", B: "winter landscapes (snow)" },
        selection:
          `A: ${summer.items.length} green, snow-free fields, forests, valleys and lakes; B: ${winter.items.length} ` +
          "photos with snow-covered ground (every snow* photo plus snowy mountain scenes); both lists " +
          "chosen by eye from the file-name categories and kept in training/datasets/sources.ts.",
        A: summer.items,
        B: winter.items,
        packages: [{ pkg: summer.pkg, license: ENDLESS_SKY_LICENSE }],
      },
      opts,
    );
  },
};
