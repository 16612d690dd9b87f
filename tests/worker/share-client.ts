/** Share-creation helpers for the worker tests: multipart forms, a fresh client IP each call. */
import { fakeSeed } from "../../scripts/lib/fake-seed.ts";
import { image } from "./fixtures.ts";

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

/**
 * The multipart body a browser sends for a form whose file inputs `emptyFiles`
 * were left empty: each a part with `filename=""` and no bytes (undici's
 * FormData cannot produce one; it drops an empty filename).
 */
export function browserForm(
  fields: Fields,
  emptyFiles: string[],
): { body: Uint8Array; contentType: string } {
  const boundary = "----BrowserFormBoundary7MA4YWxkTrZu0gW";
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const part = (name: string, extra: string, bytes: Uint8Array) => {
    chunks.push(
      enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n`),
      bytes,
      enc.encode("\r\n"),
    );
  };
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string") part(k, "", enc.encode(v));
    else part(k, `; filename="${k}.bin"\r\nContent-Type: ${v.type}`, v.bytes);
  }
  for (const k of emptyFiles) {
    part(k, '; filename=""\r\nContent-Type: application/octet-stream', new Uint8Array(0));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export const postShare = (url: string, fields: Fields, ip = nextIp()) =>
  fetch(`${url}/api/v1/shares`, {
    method: "POST",
    body: form(fields),
    headers: { "CF-Connecting-IP": ip },
  });

export const png = (w: number, h: number): Promise<Part> =>
  image(w, h, "png").then((bytes) => ({ bytes, type: "image/png" }));
