/**
 * Full resolution that looks like one pass. Instance norm makes a generator's
 * output depend on statistics of the whole input, so tiles normalised on their
 * own statistics disagree (different colours, invented texture in flat tiles).
 * Instead:
 *
 * 1. statistics pass: the photo shrunk to the working size (models/resize.ts)
 *    runs once with its own statistics, and reports them;
 * 2. every full-resolution tile runs with those statistics frozen, so the
 *    tiles compute one function of the photo and blend without seams, while
 *    memory stays bounded by the tile.
 *
 * Graphs without statistics I/O (files from before models/norm-stats.ts)
 * run as they always did: each tile on its own statistics.
 *
 * Shared by the site's inference worker and `npm run infer`: the same code,
 * so the same photo gives the same result in both.
 */
import {
  chwToPixels,
  cropCHW,
  flattenOnWhite,
  padCHWReflect,
  pixelsToCHW,
  roundUpToMultiple,
} from "./contract.ts";
import { fitWithin, resizeArea } from "./resize.ts";
import { MIN_RUN_SIDE, type TiledSource, translateTiled } from "./tiling.ts";

/** One generator session as the driver needs it (onnxruntime-node or -web behind it). */
export interface StatsEngine {
  /** Length of the statistics the graph takes; 0 when it has none. */
  statsLength: number;
  /** Planar [3, h, w] in [-1, 1] -> the same shape; with `frozen`, normalised with those statistics. */
  run(
    chw: Float32Array,
    width: number,
    height: number,
    frozen?: Float32Array,
  ): Promise<{ output: Float32Array; stats?: Float32Array }>;
}

export interface FullResolutionOptions {
  /** Longest side of the statistics pass. */
  workingSize: number;
  /** Tile side and overlap (models/tiling.ts). */
  tileSize: number;
  overlap: number;
}

export interface FullResolutionResult {
  /** Interleaved pixels, the source's size and channel count (alpha kept). */
  pixels: Uint8ClampedArray;
  /** Tiles run at full resolution (0 when the statistics pass covered the whole photo). */
  tiles: number;
  /** Size of the statistics pass (0 x 0 for a graph without statistics). */
  statsWidth: number;
  statsHeight: number;
  statsMs: number;
}

/** Progress: the statistics pass is step 0, tiles are 1..total. */
export type OnStep = (done: number, total: number) => void;

/** Reflect-pad planar data up to a side the generator runs at, run it, crop back. */
async function runWhole(
  engine: StatsEngine,
  chw: Float32Array,
  width: number,
  height: number,
  frozen?: Float32Array,
): Promise<{ output: Float32Array; stats?: Float32Array }> {
  const runW = Math.max(MIN_RUN_SIDE, roundUpToMultiple(width));
  const runH = Math.max(MIN_RUN_SIDE, roundUpToMultiple(height));
  const padded = padCHWReflect(chw, 3, width, height, runW, runH);
  const { output, stats } = await engine.run(padded, runW, runH, frozen);
  const cropped = cropCHW(output, 3, runW, runH, width, height);
  return stats ? { output: cropped, stats } : { output: cropped };
}

/**
 * One pass over the whole of `src` (no tiles), on its own statistics or on
 * `frozen` ones: the reference tiling is measured against. Memory grows with
 * the photo, so only for photos that fit.
 */
export async function singlePass(
  src: TiledSource,
  engine: StatsEngine,
  frozen?: Float32Array,
): Promise<Uint8ClampedArray> {
  const pixels = Uint8ClampedArray.from(src.pixels);
  if (src.channels === 4) flattenOnWhite(pixels);
  const chw = pixelsToCHW(pixels, src.width, src.height, src.channels);
  const { output } = await runWhole(engine, chw, src.width, src.height, frozen);
  return withAlpha(chwToPixels(output, src.width, src.height, src.channels), src);
}

/** Alpha from the source (the generator sees it flattened on white, the result keeps it). */
function withAlpha(pixels: Uint8ClampedArray, src: TiledSource): Uint8ClampedArray {
  if (src.channels === 4) {
    for (let p = 3; p < pixels.length; p += 4) pixels[p] = src.pixels[p] as number;
  }
  return pixels;
}

function isOpaque(rgba: ArrayLike<number>): boolean {
  for (let p = 3; p < rgba.length; p += 4) if (rgba[p] !== 255) return false;
  return true;
}

/**
 * The statistics of `src` at the working size: shrink (area average, after
 * flattening alpha on white as the generator sees it), run once with its own
 * statistics. Also returns that run's output, which is the whole answer when
 * no shrinking was needed.
 */
export async function statisticsPass(
  src: TiledSource,
  workingSize: number,
  engine: StatsEngine,
): Promise<{ stats: Float32Array; width: number; height: number; output: Float32Array }> {
  const [width, height] = fitWithin(src.width, src.height, workingSize);
  let pixels: ArrayLike<number> = src.pixels;
  if (src.channels === 4 && !isOpaque(src.pixels)) {
    // A copy only when something is see-through: a 24 MP RGBA photo is 96 MB.
    const copy = Uint8ClampedArray.from(src.pixels);
    flattenOnWhite(copy);
    pixels = copy;
  }
  if (width !== src.width || height !== src.height) {
    pixels = resizeArea(pixels, src.width, src.height, src.channels, width, height);
  }
  const chw = pixelsToCHW(pixels, width, height, src.channels);
  const { output, stats } = await runWhole(engine, chw, width, height);
  if (!stats || stats.length !== engine.statsLength) {
    throw new Error(
      `the statistics pass returned ${stats?.length ?? 0} values, the model takes ${engine.statsLength}`,
    );
  }
  return { stats, width, height, output };
}

export async function translateFullResolution(
  src: TiledSource,
  o: FullResolutionOptions,
  engine: StatsEngine,
  onStep?: OnStep,
): Promise<FullResolutionResult> {
  const tileOptions = { tileSize: o.tileSize, overlap: o.overlap };
  const tiled = async (frozen?: Float32Array) => {
    let tiles = 0;
    const pixels = await translateTiled(
      src,
      tileOptions,
      async (chw, w, h) => (await engine.run(chw, w, h, frozen)).output,
      (done, total) => {
        tiles = total;
        onStep?.(done, total);
      },
    );
    return { pixels, tiles };
  };
  if (engine.statsLength === 0) {
    return { ...(await tiled()), statsWidth: 0, statsHeight: 0, statsMs: 0 };
  }
  const t0 = performance.now();
  const pass = await statisticsPass(src, o.workingSize, engine);
  const statsMs = performance.now() - t0;
  const statsSize = { statsWidth: pass.width, statsHeight: pass.height, statsMs };
  if (pass.width === src.width && pass.height === src.height) {
    // The photo fits the working size: that pass was a single pass over all of it.
    onStep?.(1, 1);
    const pixels = withAlpha(chwToPixels(pass.output, src.width, src.height, src.channels), src);
    return { pixels, tiles: 0, ...statsSize };
  }
  return { ...(await tiled(pass.stats)), ...statsSize };
}
