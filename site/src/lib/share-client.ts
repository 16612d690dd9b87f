/**
 * Share: the only path by which an image leaves the device, and only when the
 * visitor presses Share. Images are re-encoded to fit the API's limits
 * (SHARE_LIMITS in models/api.ts); re-encoding also drops the photo's EXIF
 * metadata (camera, location). Answers are parsed with the API's schemas.
 */
import type { ZodMiniType } from "zod/mini";
import {
  ErrorBody,
  SHARE_LIMITS,
  ShareCreated,
  type ShareImageType,
  ShareView,
  sharePath,
} from "../../../models/api.ts";
import type { Direction, Dtype } from "../../../models/schema.ts";
import { fitWithin } from "./raster.ts";

export type { ShareCreated, ShareView };

const { maxImageSide, maxImageBytes } = SHARE_LIMITS;

/** Re-encode to fit the share limits, trying lossless first. */
export async function prepareForShare(image: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(image, { imageOrientation: "from-image" });
  try {
    const [w, h] = fitWithin(bitmap.width, bitmap.height, maxImageSide);
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("no 2D canvas");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, w, h);
    const tries: [ShareImageType, number | undefined][] = [
      ["image/png", undefined],
      ["image/webp", 0.92],
      ["image/jpeg", 0.88],
    ];
    for (const [type, quality] of tries) {
      const blob = await canvas.convertToBlob({ type, ...(quality ? { quality } : {}) });
      // Some browsers fall back to PNG for types they cannot encode.
      if (blob.type === type && blob.size <= maxImageBytes) return blob;
    }
    throw new Error(
      `the image is too detailed to fit the ${maxImageBytes / 2 ** 20} MiB share limit`,
    );
  } finally {
    bitmap.close();
  }
}

async function apiError(res: Response): Promise<Error> {
  const body = ErrorBody.safeParse(await res.json().catch(() => null));
  return new Error(body.success ? body.data.error.message : `HTTP ${res.status}`);
}

/** A 2xx body read against the API's schema: a wrong shape fails here, not somewhere later. */
async function parsed<T>(res: Response, schema: ZodMiniType<T>): Promise<T> {
  const body = schema.safeParse(await res.json().catch(() => undefined));
  if (!body.success) throw new Error("the site answered with something unexpected. Try again.");
  return body.data;
}

/** fetch, with a failure to reach the site reworded ("Failed to fetch" tells a visitor nothing). */
async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    throw new Error("could not reach the site. Check your connection and try again.");
  }
}

export async function createShare(fields: {
  modelId: string;
  direction: Direction;
  variant: Dtype;
  output: Blob;
  input?: Blob;
}): Promise<ShareCreated> {
  const form = new FormData();
  form.set("modelId", fields.modelId);
  form.set("direction", fields.direction);
  form.set("variant", fields.variant);
  const ext = (b: Blob) => b.type.split("/")[1] ?? "bin";
  const output = await prepareForShare(fields.output);
  form.set("output", output, `output.${ext(output)}`);
  if (fields.input) {
    const input = await prepareForShare(fields.input);
    form.set("input", input, `input.${ext(input)}`);
  }
  const res = await request("/api/v1/shares", { method: "POST", body: form });
  if (!res.ok) throw await apiError(res);
  return parsed(res, ShareCreated);
}

export async function getShare(id: string): Promise<ShareView> {
  const res = await request(sharePath(id));
  if (!res.ok) throw await apiError(res);
  return parsed(res, ShareView);
}

/**
 * Delete a share with the token its creation returned. "gone": it no longer
 * exists (deleted already, or expired and cleaned up), which is what was asked.
 */
export async function deleteShare(id: string, token: string): Promise<"deleted" | "gone"> {
  const res = await request(sharePath(id), {
    method: "DELETE",
    headers: { Authorization: `Bearer ${token}` },
  });
  if (res.status === 404) return "gone";
  if (!res.ok) throw await apiError(res);
  return "deleted";
}
