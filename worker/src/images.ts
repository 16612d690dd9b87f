/**
 * What an uploaded image is, read from its bytes: the format (magic bytes),
 * its size from the header, and whether the file is complete. Workers cannot
 * decode images cheaply, so this reads headers and end markers only.
 */
import type { ShareImageType } from "../../models/api.ts";
import { latin1, u16be, u16le, u24le, u32be, u32le } from "./header-readers.ts";

/** The types the probe recognises are the ones a share may hold. */
export type ImageType = ShareImageType;

export interface ImageInfo {
  type: ImageType;
  width: number;
  height: number;
}

/** Why the bytes are not a usable image; the caller maps each to an HTTP error. */
export type ImageProblem = "not_an_image" | "truncated" | "corrupt";

export type ProbeResult = { ok: true; info: ImageInfo } | { ok: false; problem: ImageProblem };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((x, i) => b[at + i] === x);

const ok = (type: ImageType, width: number, height: number): ProbeResult =>
  width > 0 && height > 0
    ? { ok: true, info: { type, width, height } }
    : { ok: false, problem: "corrupt" };

function probePng(b: Uint8Array): ProbeResult {
  if (b.length < 33) return { ok: false, problem: "truncated" };
  if (latin1(b, 12, 4) !== "IHDR") return { ok: false, problem: "corrupt" };
  if (!startsWith(b, PNG_IEND, b.length - PNG_IEND.length))
    return { ok: false, problem: "truncated" };
  return ok("image/png", u32be(b, 16), u32be(b, 20));
}

/** Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** Some cameras append data after the end marker; allow that much. */
const JPEG_TRAILER_SLACK = 1024;

function hasJpegEnd(b: Uint8Array): boolean {
  for (let i = b.length - 2; i >= Math.max(2, b.length - JPEG_TRAILER_SLACK); i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  }
  return false;
}

function probeJpeg(b: Uint8Array): ProbeResult {
  // Scan data stuffs every 0xFF, so FF D9 near the end can only be the end marker.
  if (!hasJpegEnd(b)) return { ok: false, problem: "truncated" };
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return { ok: false, problem: "corrupt" };
    const marker = b[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // no payload
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end, or scan data before any frame header
    const length = u16be(b, at + 2);
    if (length < 2) return { ok: false, problem: "corrupt" };
    if (isSof(marker)) {
      if (at + 9 > b.length) return { ok: false, problem: "truncated" };
      return ok("image/jpeg", u16be(b, at + 7), u16be(b, at + 5));
    }
    at += 2 + length;
  }
  return { ok: false, problem: "corrupt" };
}

function probeWebp(b: Uint8Array): ProbeResult {
  if (b.length < 30) return { ok: false, problem: "truncated" };
  const riffSize = u32le(b, 4) + 8;
  if (riffSize > b.length) return { ok: false, problem: "truncated" };
  const chunk = latin1(b, 12, 4);
  const d = 20; // chunk payload
  if (chunk === "VP8 ") {
    if (!startsWith(b, [0x9d, 0x01, 0x2a], d + 3)) return { ok: false, problem: "corrupt" };
    return ok("image/webp", u16le(b, d + 6) & 0x3fff, u16le(b, d + 8) & 0x3fff);
  }
  if (chunk === "VP8L") {
    if (b[d] !== 0x2f) return { ok: false, problem: "corrupt" };
    const bits = u32le(b, d + 1);
    return ok("image/webp", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === "VP8X") return ok("image/webp", u24le(b, d + 4) + 1, u24le(b, d + 7) + 1);
  return { ok: false, problem: "corrupt" };
}

export function probeImage(bytes: Uint8Array): ProbeResult {
  if (startsWith(bytes, PNG_SIGNATURE)) return probePng(bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return probeJpeg(bytes);
  if (latin1(bytes, 0, 4) === "RIFF" && latin1(bytes, 8, 4) === "WEBP") return probeWebp(bytes);
  return { ok: false, problem: "not_an_image" };
}
