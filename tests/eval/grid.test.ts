/**
 * The grid score (training/eval/grid.ts) against images whose answer is
 * known: a period-4 pattern of known RMS, smooth shading, noise, and shifts.
 */
import { describe, expect, it } from "vitest";
import { gridScore } from "../../training/eval/grid.ts";
import type { RgbImage } from "../../training/eval/image.ts";

function grey(w: number, h: number, level: (x: number, y: number) => number): RgbImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data.fill(level(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, data };
}

/** A zero-mean 4x4 tile like a transposed convolution's overlap pattern, and its RMS. */
const TILE = [
  [3, -1, 2, -1],
  [-1, -2, -1, 0],
  [2, -1, 3, -1],
  [-1, 0, -1, -2],
];
const flat = TILE.flat();
const tileMean = flat.reduce((a, b) => a + b, 0) / 16;
const TILE_RMS = Math.sqrt(flat.reduce((a, v) => a + (v - tileMean) ** 2, 0) / 16);
const tile = (x: number, y: number, amp: number) =>
  amp * ((TILE[((y % 4) + 4) % 4] as number[])[((x % 4) + 4) % 4] as number);

/** Deterministic noise in [-amp, amp] (an LCG hash of the position). */
const noise = (x: number, y: number, amp: number) =>
  (((((x * 73856093) ^ (y * 19349663)) >>> 0) % 1000) / 999 - 0.5) * 2 * amp;

/** Smooth shading: linear plus quadratic terms in x, y and xy. */
const smooth = (x: number, y: number) => 60 + 0.4 * x + 0.3 * y + 0.002 * x * x + 0.001 * x * y;

describe("grid score", () => {
  it("is the RMS of a period-4 pattern added to a flat or smooth image", () => {
    for (const amp of [0.5, 2]) {
      expect(gridScore(grey(64, 48, (x, y) => 128 + tile(x, y, amp)))).toBeCloseTo(
        amp * TILE_RMS,
        6,
      );
      expect(gridScore(grey(64, 48, (x, y) => smooth(x, y) + tile(x, y, amp)))).toBeCloseTo(
        amp * TILE_RMS,
        6,
      );
    }
    // A 2x2 checkerboard (period 2 divides 4) of +-a scores a.
    expect(gridScore(grey(40, 40, (x, y) => 100 + ((x + y) % 2 ? 3 : -3)))).toBeCloseTo(3, 6);
  });

  it("is 0 for smooth shading and small for noise without a period", () => {
    // Not exactly 0: the image holds float32 levels.
    expect(gridScore(grey(64, 48, smooth))).toBeLessThan(1e-5);
    expect(gridScore(grey(64, 48, () => 200))).toBeLessThan(1e-9);
    // Noise of std ~5.8 levels over ~190 pixels per phase: class means wander by ~0.4.
    const n = gridScore(grey(64, 64, (x, y) => 128 + noise(x, y, 10)));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(0.8);
    // More pixels per phase average the noise further down.
    expect(gridScore(grey(256, 256, (x, y) => 128 + noise(x, y, 10)))).toBeLessThan(n);
  });

  it("does not depend on where the pattern's phase starts", () => {
    const at = (dx: number, dy: number) =>
      gridScore(grey(64, 48, (x, y) => smooth(x, y) + tile(x + dx, y + dy, 1.5)));
    const base = at(0, 0);
    for (const [dx, dy] of [
      [1, 0],
      [0, 1],
      [2, 3],
      [3, 3],
    ] as const)
      expect(at(dx, dy)).toBeCloseTo(base, 6);
  });

  it("reads luminance: a pattern in blue alone counts 0.114 of its size", () => {
    const img = grey(32, 32, () => 128);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) img.data[(y * 32 + x) * 3 + 2] = 128 + tile(x, y, 1);
    expect(gridScore(img)).toBeCloseTo(0.114 * TILE_RMS, 6);
  });

  it("refuses images too small for the blur and a full period", () => {
    expect(() => gridScore(grey(7, 20, () => 0))).toThrow(/at least 8x8/);
  });
});
