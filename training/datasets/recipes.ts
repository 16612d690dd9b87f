/** Every dataset `npm run dataset` can build, by name. */
import { glyphs } from "./glyphs.ts";
import type { Recipe } from "./recipe.ts";

export const RECIPES = {
  glyphs,
} satisfies Record<string, Recipe>;

export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}
