import { describe, expect, it } from "vitest";
import {
  byteToUnit,
  chwToPixels,
  flattenOnWhite,
  pixelsToCHW,
  SIZE_MULTIPLE,
} from "../../models/contract.ts";
import {
  type AxisPlan,
  axisWeights,
  BandBlender,
  defaultOverlap,
  planAxis,
  planTiles,
  type RunTile,
  tileSideFor,
  tilesOf,
  translateTiled,
} from "../../models/tiling.ts";
import { fitWithin } from "../../site/src/lib/raster.ts";

/** Deterministic pseudo-random bytes (a tiny LCG) so failures reproduce. */
function noise(length: number, seed = 1): Uint8ClampedArray {
  let s = seed >>> 0;
  return Uint8ClampedArray.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}

function maxByteDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const identity: RunTile = async (chw) => chw;

/** Sum of every tile's weight at each pixel of the axis. */
function weightSums(axis: AxisPlan, side: number): Float64Array {
  const sum = new Float64Array(side);
  axis.starts.forEach((start, i) => {
    const covered = Math.min(axis.length, side - start);
    const w = axisWeights(axis, i, covered);
    for (let k = 0; k < covered; k++)
      sum[start + k] = (sum[start + k] as number) + (w[k] as number);
  });
  return sum;
}

describe("tile plan", () => {
  it("uses one padded tile when the side fits, sides rounded up to a multiple of 4", () => {
    expect(planAxis(37, 64, 16)).toEqual({ length: 40, starts: [0], ramps: [] });
    // Never below 16: the generator reflect-pads after downsampling by 4.
    expect(planAxis(3, 64, 16)).toEqual({ length: 16, starts: [0], ramps: [] });
    expect(planAxis(64, 64, 16)).toEqual({ length: 64, starts: [0], ramps: [] });
  });

  it("covers long sides with aligned, overlapping tiles, the last one reaching the edge", () => {
    for (const side of [65, 100, 127, 128, 129, 250, 1001, 4032]) {
      for (const [tile, overlap] of [
        [64, 16],
        [512, 64],
        [96, 4],
      ] as const) {
        if (side <= tile) continue;
        const a = planAxis(side, tile, overlap);
        expect(a.length).toBe(tile);
        expect(a.starts[0]).toBe(0);
        // Every start, the last included, on the stride-2 grid of a whole-image run.
        for (const s of a.starts) expect(s % SIZE_MULTIPLE).toBe(0);
        // The last tile reaches the edge, covering at most 3 pixels less than it runs.
        const last = a.starts.at(-1) as number;
        expect(last + tile).toBeGreaterThanOrEqual(side);
        expect(last + tile - side).toBeLessThan(SIZE_MULTIPLE);
        a.ramps.forEach((r, i) => {
          const next = a.starts[i + 1] as number;
          const shared = (a.starts[i] as number) + tile - next;
          expect(shared).toBeGreaterThan(0); // no gaps
          expect(r.start).toBeGreaterThanOrEqual(next); // ramp inside the shared strip
          expect(r.start + r.width).toBeLessThanOrEqual(next + shared);
          if (i > 0) {
            const prev = a.ramps[i - 1] as { start: number; width: number };
            expect(r.start).toBeGreaterThanOrEqual(prev.start + prev.width); // ramps never cross
          }
        });
      }
    }
  });

  it("weights form a partition of unity on every axis", () => {
    for (const side of [37, 64, 65, 129, 250, 333, 1001]) {
      for (const [tile, overlap] of [
        [64, 16],
        [64, 4],
        [128, 32],
      ] as const) {
        const sums = weightSums(planAxis(side, tile, overlap), side);
        for (const s of sums) expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
    }
  });

  it("aligns the last tile even where side - tile is not a multiple of 4", () => {
    // 250 - 64 = 186: a last start there would sample another stride-2 grid than its neighbour.
    expect(planAxis(250, 64, 16).starts).toEqual([0, 44, 92, 140, 188]);
    const tiles = [...tilesOf(planTiles(250, 66, { tileSize: 64, overlap: 16 }))];
    expect(tiles.map((t) => [t.x, t.y, t.width, t.height]).slice(-1)).toEqual([[188, 4, 62, 62]]);
  });

  it("makes fast mode one tile whatever the working size", () => {
    for (const working of [16, 17, 250, 255, 256, 257, 511, 1000]) {
      const side = tileSideFor(working);
      expect(side % SIZE_MULTIPLE).toBe(0);
      expect(side).toBeLessThanOrEqual(Math.max(16, working));
      for (const [w, h] of [
        [4032, 3024],
        [1000, 250],
        [333, 4000],
      ] as const) {
        const [fw, fh] = fitWithin(w, h, side);
        const plan = planTiles(fw, fh, { tileSize: side, overlap: defaultOverlap(side) });
        expect(plan.count, `${w}x${h} at ${working}`).toBe(1);
      }
    }
  });

  it("picks a default overlap of about an eighth of the tile that the planner accepts", () => {
    for (const tile of [16, 20, 64, 100, 256, 512, 1024]) {
      const overlap = defaultOverlap(tile);
      expect(overlap % SIZE_MULTIPLE).toBe(0);
      expect(() => planTiles(5000, 5000, { tileSize: tile, overlap })).not.toThrow();
    }
    expect(defaultOverlap(512)).toBe(64);
  });

  it("rejects options that would break the blend", () => {
    expect(() => planTiles(100, 100, { tileSize: 64, overlap: 17 })).toThrow(/quarter of the tile/);
    expect(() => planTiles(100, 100, { tileSize: 64, overlap: 2 })).toThrow(/from 4 to/);
    expect(() => planTiles(100, 100, { tileSize: 8, overlap: 4 })).toThrow(/at least 16/);
    expect(() => planTiles(0, 100, { tileSize: 64, overlap: 8 })).toThrow(/bad image side/);
  });

  it("keeps the blend buffer to one band of tile rows, whatever the image height", () => {
    // A 12-megapixel photo at the default working size.
    const plan = planTiles(4032, 3024, { tileSize: 512, overlap: 64 });
    const out = new Uint8ClampedArray(4032 * 3024 * 4);
    const blender = new BandBlender(plan, out, 4);
    expect(blender.bandValues).toBe(3 * 4032 * 512);
    expect(blender.bandValues * 4).toBeLessThan(out.length / 1.5); // bytes of floats vs the RGBA output
    expect(plan.count).toBe(9 * 7);
  });
});

describe("tiled translation", () => {
  it("with an identity generator returns the input within 1/255 (RGBA and RGB, many sizes)", async () => {
    // RGBA with random alpha: the generator sees the photo over white, the output keeps its alpha.
    const cases = [
      [37, 23, 64, 16],
      [3, 2, 64, 16],
      [64, 64, 64, 16],
      [300, 200, 64, 16],
      [517, 389, 128, 32],
      [130, 70, 64, 4],
    ] as const;
    for (const [w, h, tileSize, overlap] of cases) {
      for (const channels of [3, 4] as const) {
        const pixels = noise(w * h * channels, w * h);
        const expected = pixels.map((v, i) => {
          if (channels === 3 || i % 4 === 3) return v;
          const alpha = pixels[i - (i % 4) + 3] as number;
          return 255 - ((255 - v) * alpha) / 255;
        });
        const out = await translateTiled(
          { pixels, width: w, height: h, channels },
          { tileSize, overlap },
          identity,
        );
        expect(maxByteDiff(out, expected)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("feeds transparent pixels to the generator as white and keeps them transparent", async () => {
    // Decoded transparent pixels are (0, 0, 0, 0): without flattening they would be black.
    const pixels = Uint8ClampedArray.from([
      0, 0, 0, 0, 200, 100, 0, 255, 10, 20, 30, 128, 0, 0, 0, 0,
    ]);
    const seen: number[] = [];
    const out = await translateTiled(
      { pixels, width: 2, height: 2, channels: 4 },
      { tileSize: 64, overlap: 16 },
      async (chw, w) => {
        seen.push(chw[0] as number, chw[w * 16] as number); // red of the top-left pixel, green too
        return chw;
      },
    );
    expect(seen).toEqual([1, 1]);
    expect(Array.from(out)).toEqual([
      255, 255, 255, 0, 200, 100, 0, 255, 132, 137, 142, 128, 255, 255, 255, 0,
    ]);
    const flat = Uint8ClampedArray.from([10, 20, 30, 128]);
    flattenOnWhite(flat);
    expect(Array.from(flat)).toEqual([132, 137, 142, 128]);
  });

  it("equals the whole-image result for a per-pixel generator", async () => {
    const w = 203;
    const h = 141;
    const pixels = noise(w * h * 4, 7);
    const negate: RunTile = async (chw) => chw.map((v) => -0.5 * v + 0.1);
    const flat = pixels.slice();
    flattenOnWhite(flat);
    const whole = chwToPixels(await negate(pixelsToCHW(flat, w, h, 4), w, h), w, h, 4).map(
      (v, i) => (i % 4 === 3 ? (pixels[i] as number) : v),
    );
    const tiled = await translateTiled(
      { pixels, width: w, height: h, channels: 4 },
      { tileSize: 64, overlap: 16 },
      negate,
    );
    expect(maxByteDiff(tiled, whole)).toBeLessThanOrEqual(1);
  });

  it("blends tiles that disagree without a visible seam", async () => {
    // Each tile adds its own offset (as instance norm per tile would shift colours).
    // On a flat grey input, a hard seam would jump by 0.4 * 127.5 = 51 levels.
    const w = 260;
    const h = 180;
    const pixels = new Uint8ClampedArray(w * h * 3).fill(128);
    let call = 0;
    const shifty: RunTile = async (chw) => {
      const offset = call++ % 2 === 0 ? -0.2 : 0.2;
      return chw.map((v) => v + offset);
    };
    const overlap = 32;
    const out = await translateTiled(
      { pixels, width: w, height: h, channels: 3 },
      { tileSize: 128, overlap },
      shifty,
    );
    let maxStep = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 3;
        if (x + 1 < w)
          maxStep = Math.max(maxStep, Math.abs((out[p] as number) - (out[p + 3] as number)));
        if (y + 1 < h)
          maxStep = Math.max(maxStep, Math.abs((out[p] as number) - (out[p + 3 * w] as number)));
      }
    }
    // Steepest slope of a raised cosine of width L spanning 51 levels: 51 * pi / (2L), plus rounding.
    const bound = Math.ceil((51 * Math.PI) / (2 * overlap)) + 1;
    expect(maxStep).toBeGreaterThan(0); // the tiles really disagreed
    expect(maxStep).toBeLessThanOrEqual(bound);
  });

  it("runs tiles at multiples of 4 and hands them the right pixels", async () => {
    const w = 150;
    const h = 37;
    const pixels = noise(w * h * 3, 3);
    const seen: string[] = [];
    const tiles = [...tilesOf(planTiles(w, h, { tileSize: 64, overlap: 16 }))];
    expect(tiles.at(-1)?.width).toBe(62); // 150 - 88: the aligned last tile runs 2 columns past the edge
    let i = 0;
    await translateTiled(
      { pixels, width: w, height: h, channels: 3 },
      { tileSize: 64, overlap: 16 },
      async (chw, rw, rh) => {
        seen.push(`${rw}x${rh}`);
        const t = tiles[i++];
        if (!t) throw new Error("more tiles run than planned");
        // Top-left value of the tile is the image pixel at (t.x, t.y), red channel.
        expect(chw[0]).toBeCloseTo(byteToUnit(pixels[(t.y * w + t.x) * 3] as number), 6);
        // Padding reflects: the first padded row equals the second-to-last real row,
        // and (for a short last tile) the first padded column the second-to-last real one.
        const realRow = t.height - 2;
        expect(chw[t.height * rw]).toBe(chw[realRow * rw]);
        if (t.width < rw) expect(chw[t.width]).toBe(chw[t.width - 2]);
        return chw;
      },
    );
    expect(seen).toEqual(Array(tiles.length).fill("64x40"));
  });

  it("reports progress per tile and names a generator that returns the wrong shape", async () => {
    const pixels = noise(100 * 100 * 3);
    const progress: string[] = [];
    await translateTiled(
      { pixels, width: 100, height: 100, channels: 3 },
      { tileSize: 64, overlap: 16 },
      identity,
      (d, t) => progress.push(`${d}/${t}`),
    );
    expect(progress).toEqual(["1/4", "2/4", "3/4", "4/4"]);
    const bad: RunTile = async (chw) => chw.subarray(0, 10);
    await expect(
      translateTiled(
        { pixels, width: 100, height: 100, channels: 3 },
        { tileSize: 64, overlap: 16 },
        bad,
      ),
    ).rejects.toThrow(/returned 10 values for a 3x64x64 tile/);
  });
});
