/**
 * `npm run infer -- --model <file.onnx | ID> --input <file | folder> --output <file.png | folder>`:
 * any exported or imported ONNX generator over photos in Node with
 * onnxruntime-node, at the photo's own size: a statistics pass at the working
 * size, then tiles with those statistics frozen (models/full-resolution.ts,
 * the code the site runs). The reference's test.py, for our models.
 */
import { mkdir, rename, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError, Option } from "commander";
import sharp from "sharp";
import type { Channels } from "../../models/contract.ts";
import { translateFullResolution } from "../../models/full-resolution.ts";
import { DIRECTIONS, type Direction, DTYPES, type Dtype } from "../../models/schema.ts";
import { defaultOverlap, MIN_RUN_SIDE, translateTiled } from "../../models/tiling.ts";
import { decodeProblem, isImageFile, listImages } from "../data/folder.ts";
import { onnxRunner, statsEngine } from "../export/infer.ts";
import { resolveModel } from "./model.ts";

export interface InferOptions {
  model: string;
  direction: Direction;
  dtype: Dtype;
  models: string;
  input: string;
  output: string;
  workingSize?: number;
  tile: number;
  overlap?: number;
  maxSide: number;
  normStats: "frozen" | "tile";
  threads: number;
}

export interface InferReport {
  written: string[];
  skipped: string[];
}

interface Photo {
  pixels: Uint8ClampedArray;
  width: number;
  height: number;
  channels: Channels;
}

/** Decode with EXIF orientation, in sRGB, alpha kept; the longest side capped when asked. */
async function decode(file: string, maxSide: number): Promise<Photo> {
  let img = sharp(file).rotate().toColourspace("srgb");
  if (maxSide > 0) img = img.resize(maxSide, maxSide, { fit: "inside", withoutEnlargement: true });
  const alpha = (await sharp(file).metadata()).hasAlpha === true;
  img = alpha ? img.ensureAlpha() : img.removeAlpha();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return {
    pixels: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: alpha ? 4 : 3,
  };
}

async function writePng(file: string, p: Photo): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await sharp(Buffer.from(p.pixels.buffer, p.pixels.byteOffset, p.pixels.length), {
    raw: { width: p.width, height: p.height, channels: p.channels },
  })
    .png()
    .toFile(tmp);
  await rename(tmp, file);
}

/** Input files and where each result goes (x.jpg and x.png keep apart). */
async function plan(input: string, output: string): Promise<[string, string][]> {
  const info = await stat(input).catch(() => null);
  if (!info) throw new Error(`--input ${input} does not exist (give an image file or a folder)`);
  if (info.isFile()) {
    if (!isImageFile(input))
      throw new Error(`--input ${input} is not a .jpg, .jpeg, .png or .webp file`);
    const target = output.toLowerCase().endsWith(".png")
      ? output
      : path.join(output, `${path.basename(input).replace(/\.[^.]+$/, "")}.png`);
    return [[input, target]];
  }
  if (output.toLowerCase().endsWith(".png")) {
    throw new Error(`--input ${input} is a folder, so --output must be a folder, not ${output}`);
  }
  const stems = new Set<string>();
  return (await listImages(input)).map((file) => {
    const base = path
      .relative(input, file)
      .replace(/\.[^.]+$/, "")
      .replaceAll(path.sep, "__");
    let stem = base;
    for (let n = 2; stems.has(stem); n++) stem = `${base}_${n}`;
    stems.add(stem);
    return [file, path.join(output, `${stem}.png`)];
  });
}

export async function infer(
  o: InferOptions,
  log = (line: string) => process.stderr.write(`${line}\n`),
): Promise<InferReport> {
  const model = resolveModel({ ...o, modelsDir: o.models });
  const jobs = await plan(o.input, o.output);
  const workingSize = o.workingSize ?? model.generator?.io.recommendedMaxSide ?? 256;
  const overlap = o.overlap ?? defaultOverlap(o.tile);
  const runner = await onnxRunner(model.bytes, 4, o.threads).catch((e: Error) => {
    throw new Error(`onnxruntime cannot load ${model.file}: ${e.message}`);
  });
  const engine = statsEngine(runner);
  const promised = model.generator?.io.normStats?.length;
  if (promised !== undefined && promised !== engine.statsLength) {
    throw new Error(
      `${model.file} takes ${engine.statsLength} statistics, the manifest says ${promised}`,
    );
  }
  const frozen = o.normStats === "frozen" && engine.statsLength > 0;
  log(
    `${model.label}: ${frozen ? `statistics at ${workingSize} px, then` : "each tile on its own statistics,"} ${o.tile} px tiles (overlap ${overlap}), ${jobs.length} image(s)` +
      (engine.statsLength === 0
        ? " (this file has no statistics I/O: exported before it existed)"
        : ""),
  );
  const bar = new SingleBar({
    format: "{name} {bar} {value}/{total} tiles | image {image}/{images}",
    hideCursor: true,
    clearOnComplete: true,
  });
  const report: InferReport = { written: [], skipped: [] };
  bar.start(1, 0, { name: "", image: 0, images: jobs.length });
  try {
    for (const [i, [file, target]] of jobs.entries()) {
      bar.update(0, { name: path.basename(file), image: i + 1 });
      let photo: Photo;
      try {
        photo = await decode(file, o.maxSide);
      } catch (e) {
        log(`skipping ${file}: ${await decodeProblem(file, e)}`);
        report.skipped.push(file);
        continue;
      }
      const onStep = (done: number, total: number) => {
        bar.setTotal(total);
        bar.update(done);
      };
      const tiles = { tileSize: o.tile, overlap };
      const pixels = frozen
        ? (await translateFullResolution(photo, { workingSize, ...tiles }, engine, onStep)).pixels
        : await translateTiled(
            photo,
            tiles,
            async (c, w, h) => (await engine.run(c, w, h)).output,
            onStep,
          );
      await writePng(target, { ...photo, pixels });
      report.written.push(target);
    }
  } finally {
    bar.stop();
    await runner.release();
  }
  if (report.written.length === 0) {
    throw new Error(`none of the ${jobs.length} input image(s) could be translated (see above)`);
  }
  const skipped = report.skipped.length > 0 ? ` (${report.skipped.length} skipped)` : "";
  log(
    `wrote ${report.written.length} image(s)${skipped}: ${jobs.length === 1 ? report.written[0] : o.output}`,
  );
  return report;
}

function positiveInt(min: number, flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} must be an integer >= ${min} (got "${value}")`);
    }
    return n;
  };
}

/** The command with every option (the docs test reads its option list). */
export function inferCommand(): Command {
  return new Command("infer")
    .description(
      "Translate photos with an exported or imported ONNX generator at their own size (statistics pass, then tiles with frozen statistics).",
    )
    .requiredOption("--model <file|id>", "an .onnx generator file, or a model id of the manifest")
    .addOption(
      new Option("--direction <dir>", "with a model id: which generator")
        .choices(DIRECTIONS)
        .default("AtoB"),
    )
    .addOption(
      new Option("--dtype <dtype>", "with a model id: which variant")
        .choices(DTYPES)
        .default("fp32"),
    )
    .option("--models <dir>", "models folder holding manifest.json", "models")
    .requiredOption(
      "--input <file|folder>",
      "an image, or a folder of images (searched recursively)",
    )
    .requiredOption("--output <file.png|folder>", "a .png file for one image, else a folder")
    .option(
      "--working-size <px>",
      "longest side of the statistics pass (default: the manifest's recommendedMaxSide, else 256)",
      positiveInt(MIN_RUN_SIDE, "--working-size"),
    )
    .option(
      "--tile <px>",
      "tile side; a tile at least as big as the image means a single pass",
      positiveInt(MIN_RUN_SIDE, "--tile"),
      256,
    )
    .option(
      "--overlap <px>",
      "overlap between tiles (default: an eighth of the tile)",
      positiveInt(4, "--overlap"),
    )
    .option(
      "--max-side <px>",
      "shrink photos whose longest side is larger (0 = the photo's size)",
      positiveInt(0, "--max-side"),
      0,
    )
    .addOption(
      new Option(
        "--norm-stats <how>",
        "frozen: one set of statistics for the whole photo; tile: each tile its own (the old behaviour, for comparison)",
      )
        .choices(["frozen", "tile"])
        .default("frozen"),
    )
    .option(
      "--threads <n>",
      "onnxruntime threads (0 = all cores)",
      positiveInt(0, "--threads"),
      os.availableParallelism(),
    )
    .exitOverride();
}

export function parseInferOptions(argv: string[]): InferOptions {
  return inferCommand().parse(argv, { from: "user" }).opts<InferOptions>();
}

if (import.meta.main) {
  try {
    await infer(parseInferOptions(process.argv.slice(2)));
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    if (code !== undefined) process.exit(code);
    process.stderr.write(`infer: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
