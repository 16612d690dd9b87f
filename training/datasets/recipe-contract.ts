/** The shape every dataset recipe has, so the CLI can list and run them uniformly. */
import type { DatasetInfo } from "./layout.ts";

export interface RecipeOptions {
  /** Output folder (replaced atomically when the build succeeds). */
  out: string;
  /** Where downloaded .deb files and their extracted parts are kept between runs. */
  cache: string;
  seed: number;
  /** Image side (glyphs) or short side (photos) in pixels; each recipe has its default. */
  size?: number;
  /** Training images per side (a cap for photo sets). */
  train?: number;
  /** Test images per side (glyphs) or held-out share in percent (photo sets). */
  test?: number;
  /**
   * Filter sets: trainA and trainB both take every training photo (B filtered)
   * instead of disjoint halves, so the two sides share scenes and colours.
   */
  sharedTrain?: boolean;
}

export interface Recipe {
  name: string;
  summary: string;
  build(opts: RecipeOptions): Promise<DatasetInfo>;
}
