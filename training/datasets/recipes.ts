/** Every dataset `npm run dataset` can build, by name. */
import { glyphs } from "./glyphs.ts";
import { landscapes2paintings, summer2winter } from "./landscapes.ts";
import type { Recipe } from "./recipe-contract.ts";

export const RECIPES = {
  glyphs,
  landscapes2paintings,
  summer2winter,
} satisfies Record<string, Recipe>;

export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}
