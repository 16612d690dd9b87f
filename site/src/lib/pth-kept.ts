/**
 * Whether "Your models" holds anything, without loading it: the first view
 * asks this (a few hundred bytes) and loads scripts/your-models.ts only if so.
 */
export const YOUR_MODELS_CACHE = "unpaired-your-models-v1";

export async function hasYourModels(): Promise<boolean> {
  try {
    return typeof caches !== "undefined" && (await caches.has(YOUR_MODELS_CACHE));
  } catch {
    return false;
  }
}

/** A file the .pth importer takes (by name: browsers give .pth files no MIME type). */
export function isTorchFile(file: File): boolean {
  return /\.(pth|pt)$/i.test(file.name);
}
