/** Every dataset `npm run dataset` can build, by name. */
import { photo2cartoon, photo2oil, photo2sketch, photo2watercolour } from "./filtered.ts";
import { glyphs } from "./glyphs.ts";
import { landscapes2paintings, summer2winter } from "./landscapes.ts";
import type { Recipe } from "./recipe-contract.ts";

export const RECIPES = {
  glyphs,
  landscapes2paintings,
  summer2winter,
  photo2sketch,
  photo2cartoon,
  photo2oil,
  photo2watercolour,
} satisfies Record<string, Recipe>;

export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}
