/**
 * Five real photographs for checks and benchmarks that must judge on real
 * pictures (an identity generator or a synthetic gradient hides what real
 * models do): scikit-image's sample photos, from Debian's python3-skimage,
 * fetched and pinned like every dataset (debs.ts) and never committed.
 *
 * Provenance, from each image's docstring in skimage/data/_fetchers.py (the
 * package's debian/copyright covers the whole package as BSD-3-Clause):
 * astronaut (NASA, public domain), chelsea (Stefan van der Walt, CC0),
 * coffee (Rachel Michetti, CC0), motorcycle_left (Middlebury 2014 stereo
 * benchmark, no licence stated), rocket (SpaceX, public domain). They are
 * test inputs only: nothing trained or shipped derives from them.
 */
import path from "node:path";
import { type DebPin, fetchPackage } from "./debs.ts";

export const SKIMAGE_PIN: DebPin = {
  name: "python3-skimage",
  version: "0.19.3-8",
  sha256: "728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9",
  arch: "all",
};

/** Name and size: all larger than a 256 px tile, so tiling is exercised. */
export const REFERENCE_PHOTOS = [
  { file: "astronaut.png", width: 512, height: 512 },
  { file: "chelsea.png", width: 451, height: 300 },
  { file: "coffee.png", width: 600, height: 400 },
  { file: "motorcycle_left.png", width: 741, height: 500 },
  { file: "rocket.jpg", width: 640, height: 427 },
] as const;

const DATA = "usr/lib/python3/dist-packages/skimage/data";

/** Paths of the five photos, fetching the package into `cacheDir` on first use (20 MB). */
export async function referencePhotos(cacheDir = "datasets/.cache"): Promise<string[]> {
  const pkg = await fetchPackage(
    SKIMAGE_PIN,
    cacheDir,
    REFERENCE_PHOTOS.map((p) => `./${DATA}/${p.file}`),
  );
  return REFERENCE_PHOTOS.map((p) => path.join(pkg.root, DATA, p.file));
}
