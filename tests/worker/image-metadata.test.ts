/**
 * worker/src/image-metadata.ts in Node, on real files made with sharp: EXIF
 * (GPS), XMP, IPTC, JPEG comments and PNG text chunks go; ICC profiles, orientation,
 * dimensions and pixels stay; files with nothing to remove are returned as is;
 * structures that cannot be walked give null. The upload path through the
 * real worker: shares.test.ts ("metadata").
 */
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { exifOrientation, stripMetadata } from "../../worker/src/image-metadata.ts";
import { type ImageType, probeImage } from "../../worker/src/images.ts";
import { image, PHONE_XMP, photo } from "./fixtures.ts";

const MIME = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" } as const;
const FORMATS = ["jpeg", "png", "webp"] as const;

const enc = new TextEncoder();
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const contains = (hay: Uint8Array, needle: string | number[]) =>
  Buffer.from(hay).includes(
    typeof needle === "string" ? Buffer.from(needle, "latin1") : Buffer.from(needle),
  );

function strip(bytes: Uint8Array, type: ImageType): Uint8Array {
  const out = stripMetadata(bytes, type);
  if (!out) throw new Error("stripMetadata refused a valid file");
  return out;
}

const pixels = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();

/** Strings from PHONE_EXIF / PHONE_XMP that must not survive. */
const SECRETS = ["PhoneMaker", "Someone", "2026:11:27", "GPSLatitude", "48,51.4N", "xmpmeta"];

function jpegSegment(marker: number, payload: Uint8Array): Uint8Array {
  return concat(
    new Uint8Array([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]),
    payload,
  );
}
/** The JPEG with `segments` inserted right after SOI. */
const afterSoi = (jpeg: Uint8Array, ...segments: Uint8Array[]) =>
  concat(jpeg.subarray(0, 2), ...segments, jpeg.subarray(2));

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, data.length);
  head.set(enc.encode(type), 4);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32(concat(head.subarray(4), data)));
  return concat(head, data, crc);
}
/** The PNG with `chunks` inserted right after IHDR. */
const afterIhdr = (png: Uint8Array, ...chunks: Uint8Array[]) =>
  concat(png.subarray(0, 33), ...chunks, png.subarray(33));

function pngChunks(png: Uint8Array): { type: string; crcOk: boolean }[] {
  const out = [];
  const view = new DataView(png.buffer, png.byteOffset);
  for (let at = 8; at < png.length; ) {
    const len = view.getUint32(at);
    const type = Buffer.from(png.subarray(at + 4, at + 8)).toString("latin1");
    const crcOk = view.getUint32(at + 8 + len) === crc32(png.subarray(at + 4, at + 8 + len));
    out.push({ type, crcOk });
    at += 12 + len;
  }
  return out;
}

/** The VP8X flags byte (the first chunk is VP8X in these files). */
const vp8xFlags = (webp: Uint8Array) => webp[20] ?? 0;

function webpChunks(webp: Uint8Array): { fourcc: string; size: number }[] {
  const out = [];
  const view = new DataView(webp.buffer, webp.byteOffset);
  for (let at = 12; at < webp.length; ) {
    const size = view.getUint32(at + 4, true);
    out.push({ fourcc: Buffer.from(webp.subarray(at, at + 4)).toString("latin1"), size });
    at += 8 + size + (size & 1);
  }
  return out;
}

describe("stripMetadata on phone-like files", () => {
  it.each(FORMATS)("%s: EXIF (GPS) and XMP removed; ICC, size and pixels kept", async (format) => {
    const original = await photo(48, 32, format);
    const before = await sharp(original).metadata();
    expect(before.exif).toBeDefined();
    expect(before.xmp).toBeDefined();
    expect(before.icc).toBeDefined();

    const stripped = strip(original, MIME[format]);
    expect(stripped.length).toBeLessThan(original.length);
    const after = await sharp(stripped).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(after.icc).toEqual(before.icc);
    expect([after.width, after.height]).toEqual([48, 32]);
    expect(await pixels(stripped)).toEqual(await pixels(original));
    for (const secret of SECRETS) expect(contains(stripped, secret), secret).toBe(false);
    const probe = probeImage(stripped);
    expect(probe).toEqual({ ok: true, info: { type: MIME[format], width: 48, height: 32 } });
  });

  it.each(FORMATS)("%s: an EXIF orientation survives alone", async (format) => {
    const original = await photo(48, 32, format, { orientation: 6 });
    expect((await sharp(original).metadata()).orientation).toBe(6);
    const stripped = strip(original, MIME[format]);
    const after = await sharp(stripped).metadata();
    expect(after.orientation).toBe(6);
    expect(after.xmp).toBeUndefined();
    // Only "Exif\0\0" (JPEG) and the 26-byte TIFF block with one tag are left.
    expect(after.exif?.length).toBeLessThanOrEqual(32);
    expect(contains(after.exif ?? new Uint8Array(), [0x88, 0x25])).toBe(false); // GPS IFD pointer
    for (const secret of SECRETS) expect(contains(stripped, secret), secret).toBe(false);
    expect(await pixels(stripped)).toEqual(await pixels(original));
  });

  it.each(["png", "jpeg", "webp", "webp-lossless"] as const)(
    "%s without metadata comes back as the same bytes",
    async (format) => {
      const bytes = await image(40, 30, format);
      const type = format === "webp-lossless" ? "image/webp" : MIME[format];
      expect(stripMetadata(bytes, type)).toBe(bytes);
    },
  );

  it("an ICC profile alone is not metadata to remove", async () => {
    for (const format of FORMATS) {
      const bytes = new Uint8Array(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: "#123" } })
          .withIccProfile("p3")
          [format]()
          .toBuffer(),
      );
      expect(stripMetadata(bytes, MIME[format]), format).toBe(bytes);
    }
  });
});

describe("JPEG segments", () => {
  it("drops APP13 (Photoshop IRB / IPTC), extended XMP, MPF and data after the end marker", async () => {
    const plain = await image(40, 30, "jpeg");
    const iptc = jpegSegment(0xed, enc.encode("Photoshop 3.0\0" + "8BIM\x04\x04 City: Paris"));
    const xmpExt = jpegSegment(
      0xe1,
      enc.encode("http://ns.adobe.com/xmp/extension/\0" + "0123 GPS"),
    );
    const mpf = jpegSegment(0xe2, enc.encode("MPF\0MM\0*\0\0\0\x08"));
    const trailer = enc.encode("SEFT trailer: MCC_Data 208, second image with EXIF GPS");
    const dirty = concat(afterSoi(plain, iptc, xmpExt, mpf), trailer);
    const stripped = strip(dirty, "image/jpeg");
    expect(stripped).toEqual(plain);
  });

  it("keeps JFIF, ICC, Adobe segments and other APP1 payloads", async () => {
    const plain = await image(40, 30, "jpeg");
    const kept = [
      jpegSegment(0xe1, enc.encode("FLIR\0 not exif")),
      jpegSegment(0xee, enc.encode("Adobe\0\x64\0\0\0\0\x01")),
    ];
    const bytes = afterSoi(plain, ...kept);
    expect(stripMetadata(bytes, "image/jpeg")).toBe(bytes);
  });

  it("drops comment (COM) segments, before the first scan and between scans", async () => {
    const progressive = new Uint8Array(
      await sharp(await image(64, 48, "png"))
        .jpeg({ progressive: true })
        .toBuffer(),
    );
    const note = (text: string) => jpegSegment(0xfe, enc.encode(text));
    // Between scans: right before the second SOS (FF DA) marker.
    const scans = [...progressive.keys()].filter(
      (i) => progressive[i] === 0xff && progressive[i + 1] === 0xda,
    );
    const second = scans[1] as number;
    const dirty = concat(
      afterSoi(progressive.subarray(0, second), note("Author: A. Person, Rue X 12")),
      note("shot at home"),
      progressive.subarray(second),
    );
    const stripped = strip(dirty, "image/jpeg");
    expect(stripped).toEqual(progressive);
    expect(contains(stripped, "A. Person")).toBe(false);
  });

  it("walks a progressive JPEG (tables between scans) to its end marker", async () => {
    const progressive = new Uint8Array(
      await sharp((await photo(64, 48, "jpeg", { icc: false })).slice())
        .keepExif()
        .keepXmp()
        .jpeg({ progressive: true })
        .toBuffer(),
    );
    expect((await sharp(progressive).metadata()).exif).toBeDefined();
    const stripped = strip(concat(progressive, enc.encode("trailer")), "image/jpeg");
    expect((await sharp(stripped).metadata()).exif).toBeUndefined();
    expect(stripped.subarray(-2)).toEqual(new Uint8Array([0xff, 0xd9]));
    expect(await pixels(stripped)).toEqual(await pixels(progressive));
  });

  it("a segment running past the end cannot be walked: null", async () => {
    const plain = await image(40, 30, "jpeg");
    const bad = afterSoi(plain, new Uint8Array([0xff, 0xe1, 0xff, 0xff, 0x45]));
    expect(stripMetadata(bad, "image/jpeg")).toBeNull();
    expect(
      stripMetadata(concat(plain.subarray(0, 2), new Uint8Array([0x12, 0x34])), "image/jpeg"),
    ).toBeNull();
  });
});

describe("PNG chunks", () => {
  it("drops eXIf and every text chunk (tEXt, zTXt, iTXt), keeps the rest byte for byte with valid CRCs", async () => {
    const plain = await image(40, 30, "png");
    const kept = pngChunk("gAMA", new Uint8Array([0, 0, 0xb1, 0x8f]));
    const dirty = afterIhdr(
      plain,
      pngChunk("tEXt", enc.encode("Raw profile type exif\0\nexif\n  20\n4578696600004d4d")),
      pngChunk("tEXt", enc.encode("Comment\0made with care at Rue X 12")),
      pngChunk("tEXt", enc.encode("Author\0A. Person")),
      kept,
      pngChunk("iTXt", enc.encode("XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>")),
      pngChunk("iTXt", enc.encode("Description\0\0\0en\0\0our street")),
      pngChunk("zTXt", enc.encode("Raw profile type xmp\0\0xyz")),
      pngChunk("zTXt", enc.encode("Software\0\0xyz")),
      pngChunk("tEXt", enc.encode("Raw profile type iptc\0\niptc\n 4\n1c02")),
      pngChunk("eXIf", enc.encode("MM\0*\0\0\0\x08\0\0\0\0\0\0")),
    );
    const stripped = strip(dirty, "image/png");
    expect(stripped).toEqual(afterIhdr(plain, kept));
    expect(pngChunks(stripped).every((c) => c.crcOk)).toBe(true);
    expect(await pixels(stripped)).toEqual(await pixels(plain));
  });

  it("a rewritten orientation-only eXIf chunk has a valid CRC", async () => {
    const stripped = strip(await photo(16, 16, "png", { orientation: 8 }), "image/png");
    const chunks = pngChunks(stripped);
    expect(chunks.map((c) => c.type)).toContain("eXIf");
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    expect((await sharp(stripped).metadata()).orientation).toBe(8);
  });

  it("a chunk running past the end cannot be walked: null", async () => {
    const plain = await image(40, 30, "png");
    const bad = concat(
      plain.subarray(0, 33),
      new Uint8Array([0, 0, 0x10, 0, 0x74, 0x45, 0x58, 0x74]),
      plain.subarray(-12),
    );
    expect(stripMetadata(bad, "image/png")).toBeNull();
  });
});

describe("WebP chunks", () => {
  it("drops EXIF and the odd-sized XMP with its padding, clears their VP8X flags, fixes the RIFF size", async () => {
    // PHONE_XMP padded (a space) to an odd length, so its chunk has a padding byte.
    const xmpText = PHONE_XMP.length % 2 ? PHONE_XMP : `${PHONE_XMP} `;
    const original = new Uint8Array(
      await sharp(await photo(48, 32, "webp"))
        .keepIccProfile()
        .keepExif()
        .withXmp(xmpText)
        .webp()
        .toBuffer(),
    );
    const before = webpChunks(original);
    const xmp = before.find((c) => c.fourcc === "XMP ");
    expect((xmp?.size ?? 0) & 1).toBe(1); // odd: followed by a padding byte
    expect(vp8xFlags(original) & 0x0c).toBe(0x0c);

    const stripped = strip(original, "image/webp");
    expect(webpChunks(stripped).map((c) => c.fourcc)).toEqual(
      before.map((c) => c.fourcc).filter((f) => f !== "EXIF" && f !== "XMP "),
    );
    expect(vp8xFlags(stripped) & 0x0c).toBe(0);
    expect(vp8xFlags(stripped) & 0x20).toBe(0x20); // ICC flag kept
    expect(new DataView(stripped.buffer, stripped.byteOffset).getUint32(4, true)).toBe(
      stripped.length - 8,
    );
  });

  it("handles an odd-sized chunk before the metadata (its padding byte is kept)", async () => {
    const original = await photo(48, 32, "webp", { orientation: 3 });
    // An unknown odd-sized chunk (readers skip those) right before EXIF.
    const extra = concat(enc.encode("ZZZZ"), new Uint8Array([3, 0, 0, 0, 1, 2, 3, 0]));
    const exifAt = Buffer.from(original).indexOf("EXIF", 12, "latin1");
    const withExtra = concat(original.subarray(0, exifAt), extra, original.subarray(exifAt));
    new DataView(withExtra.buffer).setUint32(4, withExtra.length - 8, true);
    const stripped = strip(withExtra, "image/webp");
    expect(webpChunks(stripped).map((c) => c.fourcc)).toContain("ZZZZ");
    expect(Buffer.from(stripped).includes(Buffer.from(extra))).toBe(true);
    expect(vp8xFlags(stripped) & 0x0c).toBe(0x08); // orientation-only EXIF stays, XMP flag cleared
    const after = await sharp(stripped).metadata();
    expect(after.orientation).toBe(3);
    expect(after.xmp).toBeUndefined();
    expect(await pixels(stripped)).toEqual(await pixels(original));
  });

  it("a chunk running past the RIFF size cannot be walked: null", async () => {
    const original = await photo(16, 16, "webp");
    const bad = original.slice();
    new DataView(bad.buffer).setUint32(16, 0x7fffffff, true); // VP8X size
    expect(stripMetadata(bad, "image/webp")).toBeNull();
  });
});

describe("exifOrientation", () => {
  it("reads both byte orders and ignores normal or missing values", () => {
    const tiff = (le: boolean, tag: number, value: number) => {
      const b = new Uint8Array(26);
      const v = new DataView(b.buffer);
      b.set(enc.encode(le ? "II" : "MM"));
      v.setUint16(2, 42, le);
      v.setUint32(4, 8, le);
      v.setUint16(8, 1, le);
      v.setUint16(10, tag, le);
      v.setUint16(12, 3, le);
      v.setUint32(14, 1, le);
      v.setUint16(18, value, le);
      return b;
    };
    expect(exifOrientation(tiff(true, 0x0112, 6))).toBe(6);
    expect(exifOrientation(tiff(false, 0x0112, 8))).toBe(8);
    expect(exifOrientation(tiff(true, 0x0112, 1))).toBeNull();
    expect(exifOrientation(tiff(true, 0x0112, 9))).toBeNull();
    expect(exifOrientation(tiff(true, 0x0110, 6))).toBeNull();
    expect(exifOrientation(tiff(true, 0x0112, 6).subarray(0, 20))).toBeNull();
    expect(exifOrientation(new Uint8Array(0))).toBeNull();
  });
});
