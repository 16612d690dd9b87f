/**
 * `npm run translate -- --name RUN --input PATH [--direction AtoB] [--size N]`:
 * one generator of a trained run over an image file or folder (the
 * reference's test.py), at full resolution (sides rounded to multiples of 4)
 * or with the longer side scaled to --size. Writes PNGs and an index.html of
 * input/output pairs to results_dir/name/test_<epoch>_<direction>/.
 */
import { mkdir, rename, stat } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { CommanderError } from "commander";
import sharp from "sharp";
import { hwcToPixels } from "../models/contract.ts";
import {
  generatorFor,
  type LoadedGenerator,
  loadGeneratorsFromCheckpoint,
} from "./checkpoint/read.ts";
import { decodeProblem, isImageFile, listImages } from "./data/folder.ts";
import { loadTestImage } from "./data/preprocess.ts";
import type { GeneratorName } from "./model/cyclegan.ts";
import { forward, paramsFromTorch } from "./networks/tfjs.ts";
import { parseTranslateOptions, type TranslateOptions } from "./options.ts";
import { type Pair, writePairsPage } from "./report/pairs-page.ts";
import { Progress } from "./report/progress.ts";
import { initBackend } from "./runtime/backend.ts";

async function savePng(file: string, data: Float32Array, w: number, h: number): Promise<void> {
  const px = hwcToPixels(data, w, h, 3);
  await sharp(Buffer.from(px.buffer, px.byteOffset, px.length), {
    raw: { width: w, height: h, channels: 3 },
  })
    .png()
    .toFile(`${file}.tmp`);
  await rename(`${file}.tmp`, file);
}

export async function translate(o: TranslateOptions): Promise<{ outDir: string; pairs: Pair[] }> {
  const runDir = path.join(o.checkpoints_dir, o.name);
  // The checkpoint's own options say which generator translates this direction.
  const loaded = await loadGeneratorsFromCheckpoint(runDir, o.epoch, (options) => [
    generatorFor(o.direction, options),
  ]);
  const [which, g] = [...loaded][0] as [GeneratorName, LoadedGenerator];
  const runtime = await initBackend(o.backend);
  const params = paramsFromTorch(g.spec, g.weights, `translate/${which}/`);
  const input = await stat(o.input).catch(() => null);
  if (!input)
    throw new Error(`input ${o.input} does not exist (give an image file or a folder of images)`);
  const isFile = input.isFile();
  if (isFile && !isImageFile(o.input))
    throw new Error(`${o.input} is not a .jpg, .jpeg, .png or .webp file`);
  const files = (isFile ? [o.input] : await listImages(o.input)).slice(0, o.num_test);
  const outDir = path.join(o.results_dir, o.name, `test_${o.epoch}_${o.direction}`);
  await mkdir(path.join(outDir, "images"), { recursive: true });

  const bar = new Progress();
  bar.setTotal(files.length, 0);
  bar.log(
    `${which} (${g.netG}, ngf ${g.ngf}) of ${runDir} at ${o.epoch}, ${runtime.name}: ${files.length} images`,
  );
  const pairs: Pair[] = [];
  const stems = new Set<string>();
  try {
    for (const [i, file] of files.entries()) {
      const rel = isFile ? path.basename(file) : path.relative(o.input, file);
      const base = rel.replace(/\.[^.]+$/, "").replaceAll(path.sep, "__");
      // x.jpg and x.png must not share output names
      let stem = base;
      for (let n = 2; stems.has(stem); n++) stem = `${base}_${n}`;
      stems.add(stem);
      try {
        const img = await loadTestImage(file, o.size, g.spec.sizeMultiple);
        const out = tf.tidy(() => {
          const x = tf.tensor4d(img.data, [1, img.height, img.width, 3]);
          return forward(g.spec, params, x, runtime.ops);
        });
        const data = (await out.data()) as Float32Array;
        out.dispose();
        const pair = {
          name: rel,
          input: `images/${stem}_real.png`,
          output: `images/${stem}_fake.png`,
        };
        await savePng(path.join(outDir, pair.input), img.data, img.width, img.height);
        await savePng(path.join(outDir, pair.output), data, img.width, img.height);
        pairs.push({ ...pair, width: img.width, height: img.height });
      } catch (e) {
        bar.log(`skipping ${file}: ${await decodeProblem(file, e)}`);
      }
      bar.tick(i + 1, 1, 1);
    }
    // Nothing translated: an error, and the previous run's page stays as it was.
    if (pairs.length === 0)
      throw new Error(`none of the ${files.length} input image(s) could be translated (see above)`);
    await writePairsPage(outDir, `${o.name}: ${o.direction} (${which}, ${o.epoch})`, pairs);
  } finally {
    bar.stop();
    for (const p of params.values()) p.dispose();
  }
  const skipped = files.length - pairs.length;
  bar.log(
    `wrote ${pairs.length} pairs${skipped > 0 ? ` (${skipped} skipped)` : ""}: ${path.join(outDir, "index.html")}`,
  );
  return { outDir, pairs };
}

if (import.meta.main) {
  try {
    await translate(parseTranslateOptions(process.argv.slice(2)).options);
    process.exit(0);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    process.stderr.write(`translate: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
