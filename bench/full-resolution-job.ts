/**
 * One full-resolution measurement for bench/full-resolution.ts, in a child
 * process of its own (`node bench/full-resolution-job.ts JOB_JSON`, result
 * over IPC) so peak RSS is this photo size's alone: a real photo enlarged to
 * the wanted megapixels, translated by onnxruntime-node with the driver the
 * site and `npm run infer` use, or tile by tile on per-tile statistics.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { translateFullResolution } from "../models/full-resolution.ts";
import { defaultOverlap, translateTiled } from "../models/tiling.ts";
import { onnxRunner, statsEngine } from "../training/export/infer.ts";

export interface FullResJob {
  modelFile: string;
  photo: string;
  megapixels: number;
  /** frozen: statistics pass, then tiles on those statistics; tile: each tile its own (the old way). */
  stats: "frozen" | "tile";
  workingSize: number;
  tile: number;
  threads: number;
}

export interface FullResResult {
  width: number;
  height: number;
  tiles: number;
  statsMs: number;
  totalMs: number;
  peakRssMB: number;
}

/** The photo enlarged (same aspect) to about `megapixels`, as RGB bytes. */
async function photoAt(file: string, megapixels: number) {
  const meta = await sharp(file).metadata();
  const scale = Math.sqrt((megapixels * 1e6) / ((meta.width ?? 1) * (meta.height ?? 1)));
  const width = Math.round((meta.width ?? 1) * scale);
  const height = Math.round((meta.height ?? 1) * scale);
  const { data } = await sharp(file)
    .resize(width, height)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    pixels: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    width,
    height,
    channels: 3 as const,
  };
}

export async function runJob(job: FullResJob): Promise<FullResResult> {
  const src = await photoAt(job.photo, job.megapixels);
  const runner = await onnxRunner(readFileSync(job.modelFile), 4, job.threads);
  const engine = statsEngine(runner);
  const tiles = { tileSize: job.tile, overlap: defaultOverlap(job.tile) };
  const t0 = performance.now();
  let count = 0;
  let statsMs = 0;
  if (job.stats === "frozen") {
    const r = await translateFullResolution(
      src,
      { workingSize: job.workingSize, ...tiles },
      engine,
    );
    count = r.tiles;
    statsMs = r.statsMs;
  } else {
    await translateTiled(
      src,
      tiles,
      async (c, w, h) => (await engine.run(c, w, h)).output,
      (_, total) => {
        count = total;
      },
    );
  }
  const totalMs = performance.now() - t0;
  await runner.release();
  return {
    width: src.width,
    height: src.height,
    tiles: count,
    statsMs,
    totalMs,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

const job = process.argv[1] === fileURLToPath(import.meta.url) ? process.argv[2] : undefined;
if (job) {
  const result = await runJob(JSON.parse(job) as FullResJob);
  process.send?.(result, () => process.exit(0));
}
