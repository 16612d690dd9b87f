/**
 * Decoding and encoding inside the worker (OffscreenCanvas), so a
 * 12-megapixel photo never blocks the page.
 */

import { fitPixels, fitWithin } from "../../../models/resize.ts";

export { fitWithin };

export interface Raster {
  pixels: Uint8ClampedArray;
  width: number;
  height: number;
  /** Decoded size before any downscaling (EXIF orientation applied). */
  sourceWidth: number;
  sourceHeight: number;
}

/**
 * The photo did not decode. The message is the browser's reason alone (or
 * empty): the page says "could not be decoded" around it, once.
 */
export class DecodeError extends Error {
  override name = "DecodeError";
}

/** Drawing or encoding on the worker's canvas failed: the engine is not at fault. */
export class CanvasError extends Error {
  override name = "CanvasError";
}

/** Run `work` on a fresh 2D canvas; any failure (no canvas, too large) becomes a CanvasError. */
async function onCanvas<T>(
  what: string,
  [width, height]: [number, number],
  work: (ctx: OffscreenCanvasRenderingContext2D, canvas: OffscreenCanvas) => T | Promise<T>,
): Promise<T> {
  try {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new Error("no 2D canvas in this worker");
    return await work(ctx, canvas);
  } catch (err) {
    throw new CanvasError(`could not ${what} (${err instanceof Error ? err.message : err})`);
  }
}

/** Limits on the decoded size; the photo is shrunk (never enlarged) to meet both. */
export interface DecodeLimits {
  maxSide?: number;
  maxPixels?: number;
}

/**
 * Decode with the EXIF orientation applied (what the visitor sees), optionally
 * downscaled to meet `limits`. Alpha is kept: the tiling flattens it on white
 * for the generator and gives it back to the output.
 */
export async function decodeImage(blob: Blob, limits: DecodeLimits = {}): Promise<Raster> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: "from-image" });
  } catch (err) {
    throw new DecodeError(err instanceof Error ? err.message : String(err));
  }
  try {
    const [width, height] = fitPixels(
      ...fitWithin(bitmap.width, bitmap.height, limits.maxSide ?? Number.POSITIVE_INFINITY),
      limits.maxPixels ?? Number.POSITIVE_INFINITY,
    );
    const pixels = await onCanvas(`draw the ${width}×${height} photo`, [width, height], (ctx) => {
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bitmap, 0, 0, width, height);
      return ctx.getImageData(0, 0, width, height).data;
    });
    return { pixels, width, height, sourceWidth: bitmap.width, sourceHeight: bitmap.height };
  } finally {
    bitmap.close();
  }
}

export function encodePng(pixels: Uint8ClampedArray, width: number, height: number): Promise<Blob> {
  return onCanvas(`encode the ${width}×${height} result as PNG`, [width, height], (ctx, canvas) => {
    ctx.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
    return canvas.convertToBlob({ type: "image/png" });
  });
}
