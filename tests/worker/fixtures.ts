/**
 * Images for the worker tests, made with sharp (the fake manifest seed is
 * scripts/lib/fake-seed.ts, shared with bench:worker).
 */
import sharp from "sharp";

export type Format = "png" | "jpeg" | "webp" | "webp-lossless";

export async function image(
  width: number,
  height: number,
  format: Format = "png",
): Promise<Uint8Array> {
  const img = sharp({ create: { width, height, channels: 3, background: "#3a7" } });
  const out =
    format === "png"
      ? img.png()
      : format === "jpeg"
        ? img.jpeg()
        : format === "webp"
          ? img.webp()
          : img.webp({ lossless: true });
  return new Uint8Array(await out.toBuffer());
}

export const MIME: Record<Format, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  "webp-lossless": "image/webp",
};

/** What a phone leaves in a photo: GPS position, camera, date (all made up here). */
export const PHONE_EXIF = {
  IFD0: {
    Make: "PhoneMaker",
    Model: "Phone 15",
    Copyright: "Someone",
    DateTime: "2026:11:27 09:41:00",
  },
  IFD3: {
    GPSLatitudeRef: "N",
    GPSLatitude: "48/1 51/1 2400/100",
    GPSLongitudeRef: "E",
    GPSLongitude: "2/1 21/1 700/100",
  },
};
/** An XMP packet with a GPS position too (editors write one). */
export const PHONE_XMP =
  '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">' +
  '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""' +
  ' xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4N" exif:GPSLongitude="2,21.1E"/>' +
  '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>';

/**
 * A real image carrying EXIF (with GPS), XMP and a Display P3 ICC profile, as
 * a phone writes it; `orientation` adds the EXIF Orientation tag.
 */
export async function photo(
  width: number,
  height: number,
  format: "png" | "jpeg" | "webp",
  { orientation, icc = true }: { orientation?: number; icc?: boolean } = {},
): Promise<Uint8Array> {
  // Varied pixels, so "decodes to the same pixels" means something.
  const pixels = new Uint8Array(width * height * 3).map((_, i) => (i * 37 + (i >> 7) * 11) & 0xff);
  let img = sharp(pixels, { raw: { width, height, channels: 3 } })
    .withExif(PHONE_EXIF)
    .withXmp(PHONE_XMP);
  if (icc) img = img.withIccProfile("p3");
  if (orientation) img = img.withMetadata({ orientation });
  return new Uint8Array(await img[format]().toBuffer());
}
