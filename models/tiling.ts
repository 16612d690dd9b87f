/**
 * Full-resolution translation in overlapping tiles, blended without seams.
 *
 * Pure functions, shared by the site's inference worker and Node code (tests,
 * benchmarks, a CLI): the caller supplies `runTile`, which maps a planar
 * [3, h, w] float tensor in [-1, 1] to one of the same shape.
 *
 * Blending: neighbouring tiles cross-fade with raised-cosine ramps centred in
 * their overlap. The ramps of a pair sum to exactly 1 at every pixel, so the
 * weights form a partition of unity: no weight buffer, no division, and a
 * generator that is the identity gives back the input.
 *
 * Memory stays bounded by the tile size, not the image size: tiles are
 * processed row by row and a band of `tileHeight` rows accumulates the
 * blended floats; rows no later tile can touch are written out as bytes.
 *
 * Alpha: RGBA input is composited over white before the generator (as the
 * trainer flattens it) and the output keeps the input's alpha.
 */
import {
  type Channels,
  cropCHW,
  flattenOnWhite,
  padCHWReflect,
  pixelsToCHW,
  roundDownToMultiple,
  roundUpToMultiple,
  SIZE_MULTIPLE,
  unitToByte,
} from "./contract.ts";

export interface TileOptions {
  /** Largest tile side in pixels; rounded down to a multiple of SIZE_MULTIPLE. */
  tileSize: number;
  /**
   * Wanted overlap between neighbouring tiles: at least SIZE_MULTIPLE (rounding
   * starts to multiples of it must never open a gap), at most a quarter of the tile.
   */
  overlap: number;
}

/** One axis of the plan: where tiles start, how long they are, where they cross-fade. */
export interface AxisPlan {
  /** Tile length actually run (a multiple of SIZE_MULTIPLE; may exceed the image side). */
  length: number;
  /** Start of every tile, ascending. */
  starts: number[];
  /** For each pair (i, i+1): the ramp `[start, start + width)` where tile i fades into i+1. */
  ramps: { start: number; width: number }[];
}

export interface TilePlan {
  width: number;
  height: number;
  x: AxisPlan;
  y: AxisPlan;
  /** Number of tiles (columns times rows). */
  count: number;
}

export interface Tile {
  x: number;
  y: number;
  col: number;
  row: number;
  /** Image pixels covered: less than the tile run where the side is shorter, or for a last tile. */
  width: number;
  height: number;
}

/** Turns a planar [3, h, w] tensor in [-1, 1] into another of the same shape. */
export type RunTile = (chw: Float32Array, width: number, height: number) => Promise<Float32Array>;

/**
 * Shortest side a tile is run at: the generator reflect-pads after two
 * stride-2 convolutions, which needs at least 2 pixels there; small photos are
 * reflect-padded up to this and cropped back.
 */
export const MIN_RUN_SIDE = 4 * SIZE_MULTIPLE;

/**
 * Tile side for a working size: at least MIN_RUN_SIDE and a multiple of
 * SIZE_MULTIPLE (what the planner would round it to anyway), so a photo
 * downscaled to it in fast mode is exactly one tile.
 */
export function tileSideFor(workingSize: number): number {
  return roundDownToMultiple(Math.max(MIN_RUN_SIDE, workingSize));
}

/** The overlap the site uses: an eighth of the tile, a multiple of 4, within the planner's bounds. */
export function defaultOverlap(tileSize: number): number {
  const eighth = Math.round(tileSize / 8 / SIZE_MULTIPLE) * SIZE_MULTIPLE;
  return Math.min(
    Math.max(eighth, SIZE_MULTIPLE),
    Math.floor(tileSize / 4 / SIZE_MULTIPLE) * SIZE_MULTIPLE,
  );
}

export function validateTileOptions(o: TileOptions): { tileSize: number; overlap: number } {
  const tileSize = Math.floor(o.tileSize / SIZE_MULTIPLE) * SIZE_MULTIPLE;
  if (!Number.isFinite(o.tileSize) || tileSize < MIN_RUN_SIDE) {
    throw new RangeError(`tile size must be at least ${MIN_RUN_SIDE}, got ${o.tileSize}`);
  }
  if (!Number.isInteger(o.overlap) || o.overlap < SIZE_MULTIPLE || o.overlap > tileSize / 4) {
    throw new RangeError(
      `overlap must be an integer from ${SIZE_MULTIPLE} to a quarter of the tile (${tileSize / 4}), got ${o.overlap}`,
    );
  }
  return { tileSize, overlap: o.overlap };
}

/**
 * Plan one axis. Every start is a multiple of SIZE_MULTIPLE, so every tile
 * samples the same stride-2 grid as a whole-image run would: the last start is
 * `side - tileSize` rounded up (that tile may cover up to 3 pixels less than
 * its length and is reflect-padded like any short tile), the others are spread
 * evenly up to it and rounded down. A side not larger than the tile gets one
 * tile, padded up to a multiple of SIZE_MULTIPLE.
 */
export function planAxis(side: number, tileSize: number, overlap: number): AxisPlan {
  if (!Number.isInteger(side) || side <= 0) throw new RangeError(`bad image side ${side}`);
  if (side <= tileSize) {
    return { length: Math.max(MIN_RUN_SIDE, roundUpToMultiple(side)), starts: [0], ramps: [] };
  }
  const last = roundUpToMultiple(side - tileSize);
  // Spacing at most tileSize - overlap: after rounding down, neighbours still
  // share at least the overlap rounded down to a multiple of 4 (never a gap).
  const n = 1 + Math.ceil(last / (tileSize - overlap));
  const starts = Array.from(
    { length: n },
    (_, i) => Math.floor((i * last) / (n - 1) / SIZE_MULTIPLE) * SIZE_MULTIPLE,
  );
  const ramps = starts.slice(1).map((next, i) => {
    const shared = (starts[i] as number) + tileSize - next;
    const width = Math.min(overlap, shared);
    return { start: next + Math.floor((shared - width) / 2), width };
  });
  return { length: tileSize, starts, ramps };
}

export function planTiles(width: number, height: number, options: TileOptions): TilePlan {
  const { tileSize, overlap } = validateTileOptions(options);
  const x = planAxis(width, tileSize, overlap);
  const y = planAxis(height, tileSize, overlap);
  return { width, height, x, y, count: x.starts.length * y.starts.length };
}

/** Tiles in row-major order (the order the band blender needs). */
export function* tilesOf(plan: TilePlan): Generator<Tile> {
  for (let row = 0; row < plan.y.starts.length; row++) {
    for (let col = 0; col < plan.x.starts.length; col++) {
      const x = plan.x.starts[col] as number;
      const y = plan.y.starts[row] as number;
      yield {
        x,
        y,
        col,
        row,
        width: Math.min(plan.x.length, plan.width - x),
        height: Math.min(plan.y.length, plan.height - y),
      };
    }
  }
}

/** Raised cosine rising from ~0 to ~1 over `width` pixels, sampled at pixel centres. */
function rise(offset: number, width: number): number {
  return 0.5 - 0.5 * Math.cos((Math.PI * (offset + 0.5)) / width);
}

/**
 * Weights of tile `index` along one axis for the `covered` pixels it covers:
 * rises over the ramp it shares with the previous tile, falls over the ramp it
 * shares with the next. Neighbours' weights sum to 1 at every pixel.
 */
export function axisWeights(axis: AxisPlan, index: number, covered: number): Float32Array {
  const start = axis.starts[index] as number;
  const w = new Float32Array(covered);
  const before = axis.ramps[index - 1];
  const after = axis.ramps[index];
  for (let i = 0; i < covered; i++) {
    const p = start + i;
    let v = 1;
    if (before && p < before.start + before.width) {
      v = p < before.start ? 0 : rise(p - before.start, before.width);
    }
    if (after && p >= after.start) {
      v *= p >= after.start + after.width ? 0 : 1 - rise(p - after.start, after.width);
    }
    w[i] = v;
  }
  return w;
}

/** Copy a w x h window of interleaved pixels out of a larger image. */
export function cropPixels(
  pixels: ArrayLike<number>,
  width: number,
  channels: Channels,
  tile: Pick<Tile, "x" | "y" | "width" | "height">,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(tile.width * tile.height * channels);
  const rowLength = tile.width * channels;
  for (let r = 0; r < tile.height; r++) {
    const src = ((tile.y + r) * width + tile.x) * channels;
    for (let i = 0; i < rowLength; i++) out[r * rowLength + i] = pixels[src + i] as number;
  }
  return out;
}

/**
 * Accumulates weighted tile outputs in a band of rows and writes finished rows
 * into `out` (interleaved, `channels` per pixel). With 4 channels, alpha comes
 * from `alphaFrom` (interleaved pixels of the same layout, the source image), or
 * is 255 without it.
 */
export class BandBlender {
  private readonly plan: TilePlan;
  private readonly out: Uint8ClampedArray;
  private readonly channels: Channels;
  private readonly alphaFrom: ArrayLike<number> | undefined;
  private readonly band: Float32Array;
  private readonly bandRows: number;
  /** Image row held at band row 0. */
  private bandTop = 0;

  constructor(
    plan: TilePlan,
    out: Uint8ClampedArray,
    channels: Channels,
    alphaFrom?: ArrayLike<number>,
  ) {
    if (out.length !== plan.width * plan.height * channels) {
      throw new RangeError(
        `output buffer has ${out.length} values, expected ${plan.width}x${plan.height}x${channels}`,
      );
    }
    if (alphaFrom && alphaFrom.length !== out.length) {
      throw new RangeError(`alpha source has ${alphaFrom.length} values, expected ${out.length}`);
    }
    this.plan = plan;
    this.out = out;
    this.channels = channels;
    this.alphaFrom = alphaFrom;
    this.bandRows = Math.min(plan.y.length, plan.height);
    this.band = new Float32Array(3 * plan.width * this.bandRows);
  }

  /** Floats held at once, whatever the image height: 3 x width x tile rows. */
  get bandValues(): number {
    return this.band.length;
  }

  /** Add one tile's output: planar [3, tile.height, tile.width] (already cropped to the image). */
  add(tile: Tile, chw: Float32Array): void {
    if (chw.length !== 3 * tile.width * tile.height) {
      throw new RangeError(
        `tile output has ${chw.length} values, expected 3x${tile.height}x${tile.width}`,
      );
    }
    if (tile.y > this.bandTop) this.flushTo(tile.y);
    if (tile.y < this.bandTop || tile.y + tile.height > this.bandTop + this.bandRows) {
      throw new RangeError("tiles must be added in row-major order");
    }
    const wx = axisWeights(this.plan.x, tile.col, tile.width);
    const wy = axisWeights(this.plan.y, tile.row, tile.height);
    const W = this.plan.width;
    const bandPlane = W * this.bandRows;
    const tilePlane = tile.width * tile.height;
    for (let c = 0; c < 3; c++) {
      for (let r = 0; r < tile.height; r++) {
        const wr = wy[r] as number;
        if (wr === 0) continue;
        const dst = c * bandPlane + (tile.y - this.bandTop + r) * W + tile.x;
        const src = c * tilePlane + r * tile.width;
        for (let i = 0; i < tile.width; i++) {
          this.band[dst + i] =
            (this.band[dst + i] as number) + (chw[src + i] as number) * wr * (wx[i] as number);
        }
      }
    }
  }

  /** Write out every row still held. Call once after the last tile. */
  finish(): void {
    this.flushTo(this.plan.height);
  }

  /** Rows above `row` are final: write them out and slide the band down. */
  private flushTo(row: number): void {
    const n = Math.min(row, this.bandTop + this.bandRows) - this.bandTop;
    if (n <= 0) return;
    const W = this.plan.width;
    const ch = this.channels;
    const bandPlane = W * this.bandRows;
    for (let r = 0; r < n; r++) {
      const o = (this.bandTop + r) * W * ch;
      for (let i = 0; i < W; i++) {
        const p = o + i * ch;
        const b = r * W + i;
        this.out[p] = unitToByte(this.band[b] as number);
        this.out[p + 1] = unitToByte(this.band[bandPlane + b] as number);
        this.out[p + 2] = unitToByte(this.band[2 * bandPlane + b] as number);
        if (ch === 4) this.out[p + 3] = this.alphaFrom ? (this.alphaFrom[p + 3] as number) : 255;
      }
    }
    for (let c = 0; c < 3; c++) {
      const plane = this.band.subarray(c * bandPlane, (c + 1) * bandPlane);
      plane.copyWithin(0, n * W);
      plane.fill(0, (this.bandRows - n) * W);
    }
    this.bandTop += n;
  }
}

export interface TiledSource {
  pixels: ArrayLike<number>;
  width: number;
  height: number;
  channels: Channels;
}

/**
 * Translate an image of any size tile by tile: crop, flatten alpha on white,
 * convert, pad to the tile's run size (for sides shorter than it), run, crop
 * back, blend. Returns interleaved pixels with the source's channel count (and
 * alpha).
 */
export async function translateTiled(
  src: TiledSource,
  options: TileOptions,
  runTile: RunTile,
  onTile?: (done: number, total: number) => void,
): Promise<Uint8ClampedArray> {
  const plan = planTiles(src.width, src.height, options);
  const out = new Uint8ClampedArray(src.width * src.height * src.channels);
  const blender = new BandBlender(
    plan,
    out,
    src.channels,
    src.channels === 4 ? src.pixels : undefined,
  );
  let done = 0;
  for (const tile of tilesOf(plan)) {
    const pixels = cropPixels(src.pixels, src.width, src.channels, tile);
    if (src.channels === 4) flattenOnWhite(pixels);
    const chw = pixelsToCHW(pixels, tile.width, tile.height, src.channels);
    const runW = plan.x.length;
    const runH = plan.y.length;
    const input = padCHWReflect(chw, 3, tile.width, tile.height, runW, runH);
    const result = await runTile(input, runW, runH);
    if (result.length !== 3 * runW * runH) {
      throw new RangeError(
        `the generator returned ${result.length} values for a 3x${runH}x${runW} tile`,
      );
    }
    blender.add(tile, cropCHW(result, 3, runW, runH, tile.width, tile.height));
    onTile?.(++done, plan.count);
  }
  blender.finish();
  return out;
}
