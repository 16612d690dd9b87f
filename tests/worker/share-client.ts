/** Share-creation helpers for the worker tests: multipart forms, a fresh client IP each call. */
import { fakeSeed, image } from "./fixtures.ts";

export const seed = fakeSeed([
  { id: "demo", sizes: { fp32: 100, fp16: 60, int8: 30 } },
  { id: "small", sizes: { int8: 30 } },
]);

export const base = { modelId: "demo", direction: "AtoB", variant: "int8" };

export interface Part {
  bytes: Uint8Array;
  type: string;
}
export type Fields = Record<string, string | Part>;

export interface Created {
  id: string;
  url: string;
  deleteToken: string;
  expiresAt: string;
}

let lastIp = 0;
/** A fresh client address per request, so only the rate-limit test meets the limit. */
export const nextIp = () => `10.0.${Math.floor(++lastIp / 250)}.${lastIp % 250}`;

export function form(fields: Fields): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string") fd.set(k, v);
    else fd.set(k, new Blob([v.bytes], { type: v.type }), `${k}.bin`);
  }
  return fd;
}

export const postShare = (url: string, fields: Fields, ip = nextIp()) =>
  fetch(`${url}/api/v1/shares`, {
    method: "POST",
    body: form(fields),
    headers: { "CF-Connecting-IP": ip },
  });

export const png = (w: number, h: number): Promise<Part> =>
  image(w, h, "png").then((bytes) => ({ bytes, type: "image/png" }));
