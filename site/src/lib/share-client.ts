/**
 * Share: the only path by which an image leaves the device, and only when the
 * visitor presses Share. Images are re-encoded to fit the API (<= 2048 px a
 * side, <= 4 MiB, PNG/WebP/JPEG); re-encoding also drops the photo's EXIF
 * metadata (camera, location).
 */
import type { Direction, Dtype } from "../../../models/schema.ts";
import { fitWithin } from "./raster.ts";

export const SHARE_MAX_SIDE = 2048;
export const SHARE_MAX_BYTES = 4 * 2 ** 20;

export interface ShareCreated {
  id: string;
  url: string;
  deleteToken: string;
  expiresAt: string;
}

export interface ShareView {
  id: string;
  modelId: string;
  direction: Direction;
  variant: Dtype;
  createdAt: string;
  expiresAt: string;
  outputUrl: string;
  inputUrl: string | null;
}

/** Re-encode to fit the share limits, trying lossless first. */
export async function prepareForShare(image: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(image, { imageOrientation: "from-image" });
  try {
    const [w, h] = fitWithin(bitmap.width, bitmap.height, SHARE_MAX_SIDE);
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("no 2D canvas");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, w, h);
    for (const [type, quality] of [
      ["image/png", undefined],
      ["image/webp", 0.92],
      ["image/jpeg", 0.88],
    ] as const) {
      const blob = await canvas.convertToBlob({ type, ...(quality ? { quality } : {}) });
      // Some browsers fall back to PNG for types they cannot encode.
      if (blob.type === type && blob.size <= SHARE_MAX_BYTES) return blob;
    }
    throw new Error("the image is too detailed to fit the 4 MiB share limit");
  } finally {
    bitmap.close();
  }
}

async function apiError(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new Error(body?.error?.message ?? `HTTP ${res.status}`);
}

/** fetch, with a failure to reach the site reworded ("Failed to fetch" tells a visitor nothing). */
async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    throw new Error("could not reach the site. Check your connection and try again.");
  }
}

const sharePath = (id: string) => `/api/v1/shares/${encodeURIComponent(id)}`;

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
  return (await res.json()) as ShareCreated;
}

export async function getShare(id: string): Promise<ShareView> {
  const res = await request(sharePath(id));
  if (!res.ok) throw await apiError(res);
  return (await res.json()) as ShareView;
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
