/**
 * Seeded, deterministic shuffles and splits: the same seed and the same
 * inputs give the same train/test files on every machine.
 */

import { seededRandom } from "../util/seeded.ts";

/** Fisher-Yates on a copy; the input order matters, so sort inputs first. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const rand = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Cut a list into consecutive parts of the given sizes; throws if it is too short. */
export function takeParts<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const need = sizes.reduce((a, b) => a + b, 0);
  if (need > items.length) {
    throw new RangeError(
      `need ${need} items (${sizes.join(" + ")}), only ${items.length} available`,
    );
  }
  const parts: T[][] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(items.slice(at, at + n));
    at += n;
  }
  return parts;
}

/** Shuffle (sorted first, so the file system's order does not matter) and hold out `testShare`. */
export function splitTrainTest<T>(
  items: readonly T[],
  testShare: number,
  seed: number,
  key: (item: T) => string,
): { train: T[]; test: T[] } {
  if (!(testShare > 0 && testShare < 1))
    throw new RangeError(`testShare must be in (0, 1), got ${testShare}`);
  const sorted = items.slice().sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const mixed = shuffled(sorted, seed);
  const nTest = Math.max(1, Math.round(items.length * testShare));
  if (nTest >= items.length)
    throw new RangeError(`too few items (${items.length}) to hold out a test set`);
  return { test: mixed.slice(0, nTest), train: mixed.slice(nTest) };
}
