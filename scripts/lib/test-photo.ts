/** A synthetic photo for tests, benchmarks and the screenshot: lossless, no colour profile. */
import sharp from "sharp";

/** A lossless test photo: smooth gradients plus a few shapes, no colour profile. */
export async function testPhoto(
  width: number,
  height: number,
  format: "png" | "jpeg" = "png",
): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      const ring =
        ((x - width / 2) ** 2 + (y - height / 3) ** 2) ** 0.5 < Math.min(width, height) / 4;
      raw[i] = Math.round((255 * x) / Math.max(1, width - 1));
      raw[i + 1] = ring ? 230 : Math.round((255 * y) / Math.max(1, height - 1));
      raw[i + 2] = (x * 7 + y * 3) % 256;
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === "png" ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}
