/**
 * A fake camera for Chromium: a Y4M clip (a one-line text header, then each
 * frame as "FRAME\n" and its raw YUV 4:2:0 planes) that
 * --use-file-for-fake-video-capture plays in a loop, and the RGB Chromium
 * shows for it (BT.601, limited range, as its fake file device reports).
 */
import { writeFile } from "node:fs/promises";

export interface Clip {
  width: number;
  height: number;
  frames: number;
  fps: number;
}

/** Luma and chroma of pixel (x, y) in frame f: smooth gradients, moving slowly. */
function yuvAt(x: number, y: number, f: number, c: Clip): [number, number, number] {
  const u = x / (c.width - 1);
  const v = y / (c.height - 1);
  const luma = 40 + 170 * (0.5 + 0.5 * Math.sin(3 * u + 2 * v + f * 0.05)) * (0.6 + 0.4 * v);
  const cb = 128 + 50 * Math.sin(2.1 * v + 1.3 * u);
  const cr = 128 + 45 * Math.cos(1.7 * u - 2.2 * v);
  return [Math.round(luma), Math.round(cb), Math.round(cr)];
}

/** The clip's bytes; `still` repeats frame 0, so every frame the camera gives is the same. */
export function makeY4m(c: Clip, still = false): Buffer {
  const { width: w, height: h } = c;
  if (w % 2 || h % 2) throw new Error(`4:2:0 needs even sides, got ${w}x${h}`);
  const parts = [Buffer.from(`YUV4MPEG2 W${w} H${h} F${c.fps}:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < c.frames; f++) {
    const t = still ? 0 : f;
    const y = Buffer.alloc(w * h);
    const cb = Buffer.alloc((w * h) / 4);
    const cr = Buffer.alloc((w * h) / 4);
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) y[j * w + i] = yuvAt(i, j, t, c)[0];
    for (let j = 0; j < h / 2; j++) {
      for (let i = 0; i < w / 2; i++) {
        const [, b, r] = yuvAt(2 * i + 0.5, 2 * j + 0.5, t, c);
        cb[j * (w / 2) + i] = b;
        cr[j * (w / 2) + i] = r;
      }
    }
    parts.push(Buffer.from("FRAME\n"), y, cb, cr);
  }
  return Buffer.concat(parts);
}

export async function writeY4m(file: string, c: Clip, still = false): Promise<string> {
  await writeFile(file, makeY4m(c, still));
  return file;
}

/**
 * RGBA of frame `f` as BT.601 limited-range YUV -> RGB with each chroma sample
 * covering its 2x2 block (nearest; Chromium may interpolate chroma, so compare
 * with a tolerance).
 */
export function clipRgba(c: Clip, f = 0): Uint8Array {
  const out = new Uint8Array(c.width * c.height * 4);
  const clamp = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  for (let j = 0; j < c.height; j++) {
    for (let i = 0; i < c.width; i++) {
      const [luma] = yuvAt(i, j, f, c);
      const [, cb, cr] = yuvAt(2 * Math.floor(i / 2) + 0.5, 2 * Math.floor(j / 2) + 0.5, f, c);
      const yy = 1.164 * (luma - 16);
      const p = 4 * (j * c.width + i);
      out[p] = clamp(yy + 1.596 * (cr - 128));
      out[p + 1] = clamp(yy - 0.392 * (cb - 128) - 0.813 * (cr - 128));
      out[p + 2] = clamp(yy + 2.017 * (cb - 128));
      out[p + 3] = 255;
    }
  }
  return out;
}
