/**
 * Full resolution in Node (part of `npm run bench:infer`), two tables:
 *
 * - speed and memory: a real photo enlarged to 2, 12 and 24 MP through a
 *   shipped photo model on onnxruntime-node, with the statistics pass and
 *   frozen tiles (what the site and `npm run infer` do) against per-tile
 *   statistics (what full resolution did before), each in its own process;
 * - fidelity, before and after, on the five reference photos with every
 *   shipped photo generator: tiled (256 px) against one pass over the whole
 *   photo. Before: per-tile statistics vs the model's own whole-photo pass,
 *   worst 256 px block mean gap. After: frozen tiles vs one pass with the same
 *   frozen statistics, worst 64 px block (and 256 px against the own pass).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { singlePass, statisticsPass } from "../models/full-resolution.ts";
import { parseManifest } from "../models/schema.ts";
import { defaultOverlap, translateTiled } from "../models/tiling.ts";
import { referencePhotos } from "../training/datasets/reference-photos.ts";
import { psnr, worstBlockGap } from "../training/eval/metrics.ts";
import { onnxRunner, statsEngine } from "../training/export/infer.ts";
import { inChild } from "./child.ts";
import type { FullResJob, FullResResult } from "./full-resolution-job.ts";
import type { Row } from "./report.ts";

export interface FullResSettings {
  manifest: string;
  megapixels: number[];
  threads: number;
  limitS: number;
  tile: number;
}

interface PhotoModel {
  label: string;
  file: string;
  workingSize: number;
}

function photoModels(manifestFile: string): PhotoModel[] {
  const manifest = parseManifest(JSON.parse(readFileSync(manifestFile, "utf8")));
  return manifest.models.flatMap((m) =>
    m.generators
      .filter((g) => g.io.normStats && g.io.recommendedMaxSide >= 256) // photos, not 64 px glyphs
      .map((g) => ({
        label: `${m.id} ${g.direction}`,
        file: path.join(path.dirname(manifestFile), m.id, `${g.direction}.fp32.onnx`),
        workingSize: g.io.recommendedMaxSide,
      })),
  );
}

export async function speedRows(
  o: FullResSettings,
  samples: Record<string, unknown>[],
): Promise<Row[]> {
  const model = photoModels(o.manifest)[0];
  if (!model) return [];
  const photo = (await referencePhotos()).find((f) => f.endsWith("coffee.png")) as string;
  const rows: Row[] = [];
  for (const megapixels of o.megapixels) {
    const results: Partial<Record<FullResJob["stats"], FullResResult>> = {};
    for (const stats of ["tile", "frozen"] as const) {
      const job: FullResJob = {
        modelFile: model.file,
        photo,
        megapixels,
        stats,
        workingSize: model.workingSize,
        tile: o.tile,
        threads: o.threads,
      };
      const r = await inChild<FullResResult>(
        new URL("./full-resolution-job.ts", import.meta.url),
        job,
        o.limitS,
      );
      samples.push({ ...job, result: r });
      const base: Row = {
        model: `${model.label} fp32`,
        MP: megapixels,
        statistics: stats === "frozen" ? "frozen (now)" : "per tile (before)",
      };
      if (typeof r === "string") {
        rows.push({ ...base, "total s": r });
        continue;
      }
      results[stats] = r;
      const before = results.tile;
      rows.push({
        ...base,
        size: `${r.width}x${r.height}`,
        tiles: r.tiles,
        "stats pass ms": stats === "frozen" ? r.statsMs : null,
        "stats share %": stats === "frozen" ? (100 * r.statsMs) / r.totalMs : null,
        "total s": r.totalMs / 1000,
        "x per tile": stats === "frozen" && before ? r.totalMs / before.totalMs : null,
        "ms per MP": r.totalMs / megapixels,
        "peak RSS MB": r.peakRssMB,
      });
    }
  }
  return rows;
}

export async function fidelityRows(o: FullResSettings): Promise<Row[]> {
  const tiles = { tileSize: 256, overlap: defaultOverlap(256) };
  const photos = await referencePhotos();
  const rows: Row[] = [];
  for (const model of photoModels(o.manifest)) {
    const runner = await onnxRunner(readFileSync(model.file), 4, o.threads);
    const engine = statsEngine(runner);
    try {
      for (const file of photos) {
        const { data, info } = await sharp(file)
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        const src = {
          pixels: new Uint8ClampedArray(data),
          width: info.width,
          height: info.height,
          channels: 3 as const,
        };
        const own = await singlePass(src, engine);
        const perTile = await translateTiled(
          src,
          tiles,
          async (c, w, h) => (await engine.run(c, w, h)).output,
        );
        const pass = await statisticsPass(src, model.workingSize, engine);
        const single = await singlePass(src, engine, pass.stats);
        const frozen = await translateTiled(
          src,
          tiles,
          async (c, w, h) => (await engine.run(c, w, h, pass.stats)).output,
        );
        const img = (data: Uint8ClampedArray) => ({ width: src.width, height: src.height, data });
        const [o, t, s1, f] = [own, perTile, single, frozen].map(img) as [
          ReturnType<typeof img>,
          ReturnType<typeof img>,
          ReturnType<typeof img>,
          ReturnType<typeof img>,
        ];
        rows.push({
          model: model.label,
          photo: `${path.basename(file)} ${src.width}x${src.height}`,
          "before dB": psnr(t, o),
          "before gap256": worstBlockGap(t, o, 256),
          "before gap64": worstBlockGap(t, o, 64),
          "after dB": psnr(f, s1),
          "after gap64": worstBlockGap(f, s1, 64),
          "after vs own dB": psnr(f, o),
          "after vs own gap256": worstBlockGap(f, o, 256),
        });
      }
    } finally {
      await runner.release();
    }
  }
  return rows;
}
