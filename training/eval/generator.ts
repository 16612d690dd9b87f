/**
 * Run an exported ONNX generator on one image with onnxruntime-node, going
 * through the pixel contract (models/contract.ts): pad by reflection to the
 * size multiple, map to [-1, 1], run, crop back, map to bytes.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  chwToPixels,
  cropCHW,
  padCHWReflect,
  pixelsToCHW,
  roundUpToMultiple,
  SIZE_MULTIPLE,
} from "../../models/contract.ts";
import { onnxRunner } from "../export/infer.ts";
import type { RgbImage } from "./image.ts";

export interface Generator {
  /** "ID/file" for tables, e.g. "glyphs-ming2kai/AtoB.fp32.onnx". */
  label: string;
  direction: "AtoB" | "BtoA";
  translate(img: RgbImage): Promise<RgbImage>;
  release(): Promise<void>;
}

/** AtoB unless the file name says BtoA (models/ID/BtoA.fp32.onnx). */
export function directionOf(file: string): "AtoB" | "BtoA" {
  return /BtoA/.test(path.basename(file)) ? "BtoA" : "AtoB";
}

export function labelOf(file: string): string {
  return `${path.basename(path.dirname(path.resolve(file)))}/${path.basename(file)}`;
}

/**
 * Table labels for several model files, one each: "ID/file" where that is
 * unique, else the path as given, numbered if a file is given twice (results
 * are keyed by label, so a repeat would overwrite another model's scores).
 */
export function labelsOf(files: string[]): string[] {
  const short = files.map(labelOf);
  const seen = new Map<string, number>();
  return files.map((file, i) => {
    const label = short.filter((s) => s === short[i]).length > 1 ? file : (short[i] as string);
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} (${n})`;
  });
}

export async function loadGenerator(
  file: string,
  direction = directionOf(file),
  label = labelOf(file),
): Promise<Generator> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read model ${file}: ${(err as Error).message}`);
  }
  const runner = await onnxRunner(bytes, SIZE_MULTIPLE).catch((err: Error) => {
    throw new Error(`${file} is not a usable ONNX generator: ${err.message}`);
  });
  return {
    label,
    direction,
    async translate(img) {
      const { width: w, height: h } = img;
      const pw = roundUpToMultiple(w);
      const ph = roundUpToMultiple(h);
      const chw = padCHWReflect(pixelsToCHW(img.data, w, h, 3), 3, w, h, pw, ph);
      const out = await runner.run({ data: chw, width: pw, height: ph });
      if (out.width !== pw || out.height !== ph) {
        throw new Error(`generator returned ${out.width}x${out.height} for a ${pw}x${ph} input`);
      }
      const pixels = chwToPixels(cropCHW(out.data, 3, pw, ph, w, h), w, h, 3);
      return { width: w, height: h, data: Float32Array.from(pixels) };
    },
    release: () => runner.release(),
  };
}

/** What `rememberOutputs` keeps at most: outputs past it are translated again when asked. */
export const REMEMBER_BUDGET_BYTES = 512 * 1024 * 1024;

/**
 * The same generator, answering an input it has seen (same size and pixels)
 * from memory: `npm run eval -- paired` scores the test set against the truth
 * and then with the domain classifier, and the second pass should not
 * translate every image again. Outputs are kept as bytes (they are rounded
 * to bytes anyway), up to `budget` bytes.
 */
export function rememberOutputs(gen: Generator, budget = REMEMBER_BUDGET_BYTES): Generator {
  const kept = new Map<string, { width: number; height: number; data: Uint8Array }>();
  let used = 0;
  const key = (img: RgbImage): string =>
    createHash("sha256")
      .update(`${img.width}x${img.height}:`)
      .update(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength))
      .digest("hex");
  return {
    ...gen,
    async translate(img) {
      const k = key(img);
      const hit = kept.get(k);
      if (hit) return { width: hit.width, height: hit.height, data: Float32Array.from(hit.data) };
      const out = await gen.translate(img);
      if (used + out.data.length <= budget) {
        kept.set(k, { width: out.width, height: out.height, data: Uint8Array.from(out.data) });
        used += out.data.length;
      }
      return out;
    },
  };
}
