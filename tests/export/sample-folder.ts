/** A dataset-layout sample folder (`testA/`, `testB/` PNGs) for export tests. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";

/**
 * Writes `dir/<side>/img<i>.png` for each [width, height] listed per side;
 * `value(x, y, channel, i, k)` gives each byte (taken modulo 256) of image
 * i, k being its index in the image's interleaved RGB bytes.
 */
export async function writeSampleFolder(
  dir: string,
  sides: Readonly<Record<"testA" | "testB", readonly (readonly [number, number])[]>>,
  value: (x: number, y: number, channel: number, i: number, k: number) => number,
): Promise<void> {
  for (const [side, sizes] of Object.entries(sides)) {
    mkdirSync(path.join(dir, side), { recursive: true });
    for (const [i, [w, h]] of sizes.entries()) {
      const px = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let c = 0; c < 3; c++) {
            const k = (y * w + x) * 3 + c;
            px[k] = value(x, y, c, i, k) & 255;
          }
      await sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(path.join(dir, side, `img${i}.png`));
    }
  }
}
