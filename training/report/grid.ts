/**
 * The sample grid of a training step, as a PNG:
 *   real_A | fake_B | rec_A
 *   real_B | fake_A | rec_B
 * (first image of the batch). Pixels go through models/contract.ts.
 */
import { rename } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { hwcToPixels } from "../../models/contract.ts";
import { VISUAL_NAMES, type Visuals } from "../model/cyclegan.ts";

const GAP = 2;

async function toPng(t: tf.Tensor4D): Promise<{ png: Buffer; w: number; h: number }> {
  const [, h, w] = t.shape;
  const first = tf.slice(t, [0, 0, 0, 0], [1, -1, -1, -1]);
  const data = await first.data();
  first.dispose();
  const pixels = hwcToPixels(data, w, h, 3);
  const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length), {
    raw: { width: w, height: h, channels: 3 },
  })
    .png()
    .toBuffer();
  return { png, w, h };
}

/** Write the grid to `file` (atomically); `cell` scales each image to this width. */
export async function writeGrid(visuals: Visuals, file: string, cell: number): Promise<void> {
  const tiles = await Promise.all(VISUAL_NAMES.map((n) => toPng(visuals[n])));
  const scale = cell / Math.max(...tiles.map((t) => t.w));
  const cw = Math.round(Math.max(...tiles.map((t) => t.w)) * scale);
  const ch = Math.round(Math.max(...tiles.map((t) => t.h)) * scale);
  const composites = await Promise.all(
    tiles.map(async (t, i) => ({
      input: await sharp(t.png)
        .resize(Math.round(t.w * scale), Math.round(t.h * scale), {
          kernel: scale >= 1 ? "nearest" : "lanczos3", // small samples stay crisp when enlarged
        })
        .toBuffer(),
      left: (i % 3) * (cw + GAP),
      top: Math.floor(i / 3) * (ch + GAP),
    })),
  );
  const tmp = `${file}.tmp`;
  await sharp({
    create: { width: 3 * cw + 2 * GAP, height: 2 * ch + GAP, channels: 3, background: "#ffffff" },
  })
    .composite(composites)
    .png()
    .toFile(tmp);
  await rename(tmp, file);
}
