/**
 * Removing metadata from an uploaded image's bytes before it is stored and
 * served publicly: EXIF (GPS, camera, dates, thumbnails), XMP, Photoshop
 * IRB/IPTC, and free-text comments (JPEG COM, PNG text chunks), which carry
 * authors' and cameras' notes. Works on the container structure only (JPEG segments, PNG chunks,
 * RIFF chunks); pixels are never decoded or re-encoded, so the image looks the
 * same. Colour profiles (ICC) and everything else needed to display the image
 * are kept, and so is the EXIF orientation: an image whose EXIF says "rotate"
 * gets a new EXIF block holding only that one tag.
 *
 * Call it on bytes `probeImage` (images.ts) accepted. `null` means the
 * structure could not be walked (the caller refuses the file rather than store
 * metadata it could not remove). Bytes with nothing to remove come back as the
 * same array.
 */
import { latin1, u16be, u16le, u32be, u32le } from "./header-readers.ts";
import type { ImageType } from "./images.ts";

const has = (b: Uint8Array, prefix: string, at = 0) => latin1(b, at, prefix.length) === prefix;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const EXIF_HEADER = "Exif\0\0";

/**
 * The orientation (2..8) an EXIF TIFF block asks for, or null for none/normal.
 * `tiff` starts at the byte-order mark ("II" or "MM"); bounds are checked.
 */
export function exifOrientation(tiff: Uint8Array): number | null {
  const le = has(tiff, "II");
  if (!le && !has(tiff, "MM")) return null;
  const u16 = (at: number) => (le ? u16le(tiff, at) : u16be(tiff, at));
  const u32 = (at: number) => (le ? u32le(tiff, at) : u32be(tiff, at));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > tiff.length) return null;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return null;
    // Orientation: tag 0x0112, SHORT (3), one value, stored in the entry itself.
    if (u16(entry) === 0x0112 && u16(entry + 2) === 3 && u32(entry + 4) === 1) {
      const value = u16(entry + 8);
      return value >= 2 && value <= 8 ? value : null;
    }
  }
  return null;
}

/** A big-endian TIFF block whose IFD0 holds only Orientation (26 bytes). */
export function orientationOnlyExif(orientation: number): Uint8Array {
  // biome-ignore format: one TIFF structure per line
  return new Uint8Array([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // "MM", 42, IFD0 at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
}

/** EXIF payloads appear with and without the "Exif\0\0" prefix (PNG, WebP). */
const tiffOf = (payload: Uint8Array) =>
  has(payload, EXIF_HEADER) ? payload.subarray(EXIF_HEADER.length) : payload;

// ---------------------------------------------------------------- JPEG

const APP1 = 0xe1;
const APP2 = 0xe2;
const APP13 = 0xed;
const COM = 0xfe;
const SOS = 0xda;
const EOI = 0xd9;
const XMP_NS = "http://ns.adobe.com/xap/1.0/\0";
const XMP_EXTENSION_NS = "http://ns.adobe.com/xmp/extension/\0";

/** What to do with a segment before the first scan, from its marker and payload. */
function jpegMetadata(marker: number, payload: Uint8Array): "exif" | "drop" | "keep" {
  if (marker === APP1 && has(payload, "Exif\0")) return "exif";
  if (marker === APP1 && (has(payload, XMP_NS) || has(payload, XMP_EXTENSION_NS))) return "drop";
  if (marker === APP13) return "drop"; // Photoshop IRB: IPTC (captions, places), thumbnails
  // Multi-Picture Format index: points at the images after the primary one's
  // end marker, which are not kept (below).
  if (marker === APP2 && has(payload, "MPF\0")) return "drop";
  return "keep";
}

function jpegSegment(marker: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out.set([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  out.set(payload, 4);
  return out;
}

/**
 * Walks the marker segments before the first scan, dropping metadata ones, and
 * copies the scans and the tables between them unchanged up to the end marker.
 * Whatever follows the end marker (camera trailers, the extra images of a
 * Multi-Picture file, each of which may carry its own EXIF) is not kept.
 */
function stripJpeg(b: Uint8Array): Uint8Array | null {
  const parts: Uint8Array[] = [b.subarray(0, 2)];
  let changed = false;
  let orientation: number | null = null;
  let exifAt = -1; // where an orientation-only EXIF goes: the first EXIF's place
  let at = 2;
  let inScans = false; // past the first SOS: copy everything, only find the end
  while (at < b.length) {
    if (inScans) {
      // Entropy-coded data: a 0xFF there is followed by 00 (stuffing), a
      // restart marker or another 0xFF (fill); anything else is a marker.
      let ff = b.indexOf(0xff, at);
      for (;;) {
        const next = b[ff + 1];
        if (ff < 0 || next === undefined) break;
        if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) break;
        ff = b.indexOf(0xff, ff + 1);
      }
      if (ff < 0 || ff + 1 >= b.length) {
        parts.push(b.subarray(at));
        at = b.length;
        break;
      }
      parts.push(b.subarray(at, ff));
      at = ff;
    }
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === undefined) return null;
    if (marker === 0xff) {
      parts.push(b.subarray(at, at + 1)); // fill byte
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      parts.push(b.subarray(at, at + 2));
      at += 2;
      continue;
    }
    if (marker === EOI) {
      parts.push(b.subarray(at, at + 2));
      at += 2;
      break;
    }
    const length = u16be(b, at + 2);
    if (length < 2 || at + 2 + length > b.length) return null;
    const segment = b.subarray(at, at + 2 + length);
    at += 2 + length;
    if (marker === SOS) inScans = true;
    // A comment may also sit between the scans of a progressive file.
    const kind =
      marker === COM ? "drop" : inScans ? "keep" : jpegMetadata(marker, segment.subarray(4));
    if (kind === "keep") {
      parts.push(segment);
      continue;
    }
    changed = true;
    if (kind === "exif") {
      orientation ??= exifOrientation(tiffOf(segment.subarray(4)));
      if (exifAt < 0) exifAt = parts.length;
    }
  }
  if (at < b.length) changed = true;
  if (!changed) return b;
  if (orientation !== null) {
    const tiff = orientationOnlyExif(orientation);
    const payload = concat([new TextEncoder().encode(EXIF_HEADER), tiff]);
    parts.splice(exifAt, 0, jpegSegment(APP1, payload));
  }
  return concat(parts);
}

// ---------------------------------------------------------------- PNG

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Text chunks: free text (comments, authors, software), and tools store EXIF, XMP or IPTC in them. */
const PNG_TEXT = new Set(["tEXt", "zTXt", "iTXt"]);

/** Copies chunks up to IEND byte for byte (CRCs included), dropping metadata ones. */
function stripPng(b: Uint8Array): Uint8Array | null {
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  let changed = false;
  let at = 8;
  while (at < b.length) {
    if (at + 12 > b.length) return null;
    const length = u32be(b, at);
    const type = latin1(b, at + 4, 4);
    if (at + 12 + length > b.length) return null;
    const chunk = b.subarray(at, at + 12 + length);
    const data = chunk.subarray(8, 8 + length);
    at += 12 + length;
    if (type === "eXIf") {
      changed = true;
      const orientation = exifOrientation(tiffOf(data));
      if (orientation !== null) parts.push(pngChunk("eXIf", orientationOnlyExif(orientation)));
      continue;
    }
    if (PNG_TEXT.has(type)) {
      changed = true;
      continue;
    }
    parts.push(chunk);
    if (type === "IEND") break;
  }
  if (at < b.length) changed = true;
  return changed ? concat(parts) : b;
}

// ---------------------------------------------------------------- WebP

const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function riffChunk(fourcc: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  for (let i = 0; i < 4; i++) out[i] = fourcc.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/**
 * Drops the EXIF and XMP chunks (each padded to an even size), clears their
 * VP8X flags and rewrites the RIFF size. Bytes past the RIFF size are not kept.
 */
function stripWebp(b: Uint8Array): Uint8Array | null {
  const end = u32le(b, 4) + 8;
  if (end > b.length || end < 12) return null;
  const parts: Uint8Array[] = [];
  let changed = end < b.length;
  let orientation: number | null = null;
  let keptExif = false;
  let at = 12;
  while (at < end) {
    if (at + 8 > end) return null;
    const fourcc = latin1(b, at, 4);
    const size = u32le(b, at + 4);
    if (at + 8 + size > end) return null;
    // The padding byte after an odd-sized chunk; a writer may leave it off the last chunk.
    const next = Math.min(end, at + 8 + size + (size & 1));
    const chunk = b.subarray(at, next);
    const data = chunk.subarray(8, 8 + size);
    at = next;
    if (fourcc === "EXIF") {
      changed = true;
      orientation ??= exifOrientation(tiffOf(data));
      // Only an extended (VP8X) file may carry EXIF.
      const extended = parts[0] !== undefined && latin1(parts[0], 0, 4) === "VP8X";
      if (orientation !== null && !keptExif && extended) {
        parts.push(riffChunk("EXIF", orientationOnlyExif(orientation)));
        keptExif = true;
      }
      continue;
    }
    if (fourcc === "XMP ") {
      changed = true;
      continue;
    }
    parts.push(chunk);
  }
  if (!changed) return b;
  const first = parts[0];
  if (first && latin1(first, 0, 4) === "VP8X" && first.length >= 9) {
    const vp8x = first.slice();
    const flags = vp8x[8] ?? 0;
    vp8x[8] = (flags & ~(VP8X_EXIF | VP8X_XMP)) | (keptExif ? VP8X_EXIF : 0);
    parts[0] = vp8x;
  }
  const body = concat(parts);
  const out = new Uint8Array(12 + body.length);
  out.set(b.subarray(0, 12));
  new DataView(out.buffer).setUint32(4, 4 + body.length, true);
  out.set(body, 12);
  return out;
}

/** `bytes` without EXIF/XMP/IPTC metadata and comments, or null if its structure cannot be walked. */
export function stripMetadata(bytes: Uint8Array, type: ImageType): Uint8Array | null {
  switch (type) {
    case "image/jpeg":
      return stripJpeg(bytes);
    case "image/png":
      return stripPng(bytes);
    case "image/webp":
      return stripWebp(bytes);
  }
}
