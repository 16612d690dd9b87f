/**
 * models/resize.ts against computations written here: block means for
 * integer factors, an exact float64 area integral for any factor, and the
 * size rules of fitWithin / fitPixels over many random sizes.
 */
import { describe, expect, it } from "vitest";
import type { Channels } from "../../models/contract.ts";
import { fitPixels, fitWithin, resizeArea } from "../../models/resize.ts";
import { seededRandom } from "../../training/util/seeded.ts";

function randomPixels(n: number, seed: number): Uint8ClampedArray {
  const rand = seededRandom(seed);
  return Uint8ClampedArray.from({ length: n }, () => Math.floor(256 * rand()));
}

/** Sizes spread over scales: log-uniform in [1, max]. */
function randomSide(rand: () => number, max: number): number {
  return Math.max(1, Math.round(Math.exp(rand() * Math.log(max))));
}

/** Mean of each `f` x `f` block, rounded half up: the exact answer for an integer factor. */
function blockMeans(px: Uint8ClampedArray, w: number, h: number, c: number, f: number) {
  const ow = w / f;
  const oh = h / f;
  const out = new Uint8ClampedArray(ow * oh * c);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let y = oy * f; y < (oy + 1) * f; y++)
          for (let x = ox * f; x < (ox + 1) * f; x++) sum += px[(y * w + x) * c + k] as number;
        out[(oy * ow + ox) * c + k] = Math.floor(sum / (f * f) + 0.5);
      }
  return out;
}

/**
 * The area average as an integral, in float64, unrounded: output pixel (ox, oy)
 * covers [ox * w / ow, (ox + 1) * w / ow) x [oy * h / oh, (oy + 1) * h / oh) of
 * the source, each source pixel weighted by its overlap with that rectangle.
 */
function areaIntegral(
  px: Uint8ClampedArray,
  w: number,
  h: number,
  c: number,
  ow: number,
  oh: number,
): Float64Array {
  const overlap = (a0: number, a1: number, b0: number, b1: number) =>
    Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  const out = new Float64Array(ow * oh * c);
  const sx = w / ow;
  const sy = h / oh;
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const [x0, x1, y0, y1] = [ox * sx, (ox + 1) * sx, oy * sy, (oy + 1) * sy];
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let y = 0; y < h; y++) {
          const wy = overlap(y, y + 1, y0, y1);
          if (wy === 0) continue;
          for (let x = 0; x < w; x++) {
            const wx = overlap(x, x + 1, x0, x1);
            if (wx > 0) sum += wx * wy * (px[(y * w + x) * c + k] as number);
          }
        }
        out[(oy * ow + ox) * c + k] = sum / (sx * sy);
      }
    }
  return out;
}

function channelMeans(px: ArrayLike<number>, c: number): number[] {
  const sums = new Array<number>(c).fill(0);
  for (let i = 0; i < px.length; i++) (sums[i % c] as number) += px[i] as number;
  return sums.map((s) => s / (px.length / c));
}

describe("resizeArea", () => {
  for (const [f, c] of [
    [2, 3],
    [2, 4],
    [3, 3],
    [3, 4],
  ] as const) {
    it(`an exact ${f}x shrink is the mean of each ${f}x${f} block (${c} channels)`, () => {
      const [w, h] = [6 * f, 5 * f];
      const px = randomPixels(w * h * c, 10 * f + c);
      const out = resizeArea(px, w, h, c as Channels, w / f, h / f);
      expect(out).toBeInstanceOf(Uint8ClampedArray);
      expect([...out]).toEqual([...blockMeans(px, w, h, c, f)]);
    });
  }

  it("a shrink by a factor of 1 returns the same pixels", () => {
    const px = randomPixels(7 * 5 * 3, 4);
    expect([...resizeArea(px, 7, 5, 3, 7, 5)]).toEqual([...px]);
  });

  for (const [w, h, ow, oh] of [
    [10, 7, 4, 3],
    [37, 23, 5, 9],
    [64, 48, 17, 13],
    [9, 31, 9, 7],
    [25, 25, 1, 1],
  ] as const) {
    it(`a non-integer shrink ${w}x${h} -> ${ow}x${oh} is the area integral, rounded, and keeps the mean`, () => {
      const px = randomPixels(w * h * 3, w * h);
      const out = resizeArea(px, w, h, 3, ow, oh);
      const exact = areaIntegral(px, w, h, 3, ow, oh);
      for (let i = 0; i < out.length; i++) {
        // rounding to a byte, plus the float32 accumulation
        expect(Math.abs((out[i] as number) - (exact[i] as number))).toBeLessThanOrEqual(0.5 + 1e-3);
      }
      const before = channelMeans(px, 3);
      const after = channelMeans(out, 3);
      for (let k = 0; k < 3; k++) {
        expect(Math.abs((after[k] as number) - (before[k] as number))).toBeLessThanOrEqual(0.5);
      }
    });
  }

  it("a constant image stays exactly constant at any factor", () => {
    for (const value of [0, 1, 128, 254, 255]) {
      for (const [w, h, ow, oh] of [
        [37, 23, 5, 4],
        [36, 23, 17, 11],
        [100, 3, 7, 2],
        [13, 13, 12, 12],
      ] as const) {
        const px = new Uint8ClampedArray(w * h * 4).fill(value);
        const out = resizeArea(px, w, h, 4, ow, oh);
        expect(out).toHaveLength(ow * oh * 4);
        expect(new Set(out), `${value} ${w}x${h} -> ${ow}x${oh}`).toEqual(new Set([value]));
      }
    }
  });

  it("refuses to upscale, an empty output, and a buffer of the wrong size", () => {
    const px = new Uint8ClampedArray(8 * 6 * 3);
    expect(() => resizeArea(px, 8, 6, 3, 9, 6)).toThrow(/only shrinks: 8x6 -> 9x6/);
    expect(() => resizeArea(px, 8, 6, 3, 8, 7)).toThrow(RangeError);
    expect(() => resizeArea(px, 8, 6, 3, 0, 3)).toThrow(/only shrinks/);
    expect(() => resizeArea(px, 8, 6, 4, 4, 3)).toThrow(/pixel buffer has 144 values for 8x6/);
    expect(() => resizeArea(px.subarray(1), 8, 6, 3, 4, 3)).toThrow(RangeError);
  });
});

describe("fitWithin / fitPixels", () => {
  const rand = seededRandom(99);
  const sizes = Array.from(
    { length: 400 },
    () => [randomSide(rand, 8000), randomSide(rand, 8000)] as const,
  );

  it("fitWithin never upscales, caps the longest side, and keeps the aspect within rounding", () => {
    expect(fitWithin(100, 50, 200)).toEqual([100, 50]);
    expect(fitWithin(100, 50, 100)).toEqual([100, 50]);
    expect(fitWithin(1920, 1080, 256)).toEqual([256, 144]);
    expect(fitWithin(10_000, 1, 100)).toEqual([100, 1]); // never a zero side
    for (const [w, h] of sizes) {
      for (const max of [16, 256, 1000]) {
        const [ow, oh] = fitWithin(w, h, max);
        const where = `${w}x${h} within ${max}: ${ow}x${oh}`;
        expect(ow <= w && oh <= h, where).toBe(true);
        expect(Math.max(ow, oh), where).toBe(Math.min(max, Math.max(w, h)));
        if (Math.min(ow, oh) >= 2) {
          // some unrounded size of exactly the source's aspect rounds to ow x oh
          expect(w / h, where).toBeGreaterThanOrEqual((ow - 0.5) / (oh + 0.5));
          expect(w / h, where).toBeLessThanOrEqual((ow + 0.5) / (oh - 0.5));
        }
      }
    }
  });

  it("fitPixels never upscales, stays within the cap, uses it, and keeps the aspect within rounding", () => {
    expect(fitPixels(4032, 3024, 12 * 2 ** 20)).toEqual([4032, 3024]);
    expect(fitPixels(4032, 3024, 12_000_000)).toEqual([4000, 3000]);
    expect(fitPixels(100, 100, 10_000)).toEqual([100, 100]);
    expect(fitPixels(200, 100, 5000)).toEqual([100, 50]);
    // a strip thinner than the scale: the short side stays 1 px and the long side takes the cap
    expect(fitPixels(100_000, 1, 1000)).toEqual([1000, 1]);
    expect(fitPixels(3, 90_000, 500)).toEqual([1, 500]);
    for (const [w, h] of sizes) {
      for (const cap of [256, 65_536, 2_000_000]) {
        const [ow, oh] = fitPixels(w, h, cap);
        const where = `${w}x${h} within ${cap} px: ${ow}x${oh}`;
        expect(ow <= w && oh <= h, where).toBe(true);
        if (w * h <= cap) {
          expect([ow, oh], where).toEqual([w, h]);
          continue;
        }
        expect(ow * oh, where).toBeLessThanOrEqual(cap);
        if (Math.min(ow, oh) < 2) continue;
        // rounded down by less than a pixel on each side: one more of each is over the cap
        expect((ow + 1) * (oh + 1), where).toBeGreaterThan(cap);
        expect(w / h, where).toBeGreaterThanOrEqual(ow / (oh + 1));
        expect(w / h, where).toBeLessThanOrEqual((ow + 1) / oh);
      }
    }
  });
});
