/**
 * Two tiny synthetic domains with a known mapping: A = red shapes on white,
 * B = the same shapes in green. Test sets keep the pairs (testA/x.png <-> testB/x.png).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { Rng } from "../../../training/model/rng.ts";

export const RED = [220, 40, 40] as const;
export const GREEN = [40, 200, 60] as const;

/** A filled disc or square at a random place, in `color` on white, as RGB bytes. */
export function shape(rng: Rng, size: number, color: readonly number[]): Uint8Array {
  const px = new Uint8Array(size * size * 3).fill(255);
  const r = size * (0.15 + 0.2 * rng.random());
  const cx = r + rng.random() * (size - 2 * r);
  const cy = r + rng.random() * (size - 2 * r);
  const disc = rng.random() < 0.5;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const inside = disc ? dx * dx + dy * dy <= r * r : Math.abs(dx) <= r && Math.abs(dy) <= r;
      if (inside) px.set(color, (y * size + x) * 3);
    }
  return px;
}

export async function writePng(file: string, rgb: Uint8Array, size: number): Promise<void> {
  await sharp(Buffer.from(rgb), { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(file);
}

/** DATAROOT with trainA/trainB (different shapes) and paired testA/testB. */
export async function makeShapes(
  root: string,
  o: { train: number; test: number; size: number; seed: number },
): Promise<void> {
  for (const d of ["trainA", "trainB", "testA", "testB"])
    await mkdir(path.join(root, d), { recursive: true });
  const rng = Rng.derive(o.seed, "shapes");
  for (let i = 0; i < o.train; i++) {
    const name = `${String(i).padStart(4, "0")}.png`;
    await writePng(path.join(root, "trainA", name), shape(rng, o.size, RED), o.size);
    await writePng(path.join(root, "trainB", name), shape(rng, o.size, GREEN), o.size);
  }
  for (let i = 0; i < o.test; i++) {
    const name = `${String(i).padStart(4, "0")}.png`;
    const state = rng.state();
    await writePng(path.join(root, "testA", name), shape(rng, o.size, RED), o.size);
    await writePng(path.join(root, "testB", name), shape(new Rng(state), o.size, GREEN), o.size);
  }
}
