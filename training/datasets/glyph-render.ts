/**
 * Render one glyph outline to a square PNG. Both fonts go through the same
 * rule: one fixed scale (font units per pixel, so relative glyph sizes are
 * kept) and the ink's bounding box centred on the canvas. The two renders of
 * a character then line up as well as their designs allow.
 */
import sharp from "sharp";

export interface GlyphOutline {
  /** SVG path data in font units, y pointing up (as fontkit's `path.toSVG()` gives it). */
  svgPath: string;
  bbox: { minX: number; minY: number; maxX: number; maxY: number };
  unitsPerEm: number;
}

export interface GlyphStyle {
  /** Canvas side in pixels. */
  size: number;
  /** How many pixels one em spans, as a fraction of the side. */
  emScale: number;
  ink: string;
  paper: string;
}

export const DEFAULT_STYLE: GlyphStyle = {
  size: 64,
  emScale: 0.9,
  ink: "#000000",
  paper: "#ffffff",
};

function scaleOf(outline: GlyphOutline, style: GlyphStyle): number {
  return (style.size * style.emScale) / outline.unitsPerEm;
}

/** Whether the scaled ink fits inside the canvas with a one-pixel margin. */
export function glyphFits(outline: GlyphOutline, style: GlyphStyle): boolean {
  const s = scaleOf(outline, style);
  const { minX, minY, maxX, maxY } = outline.bbox;
  const w = (maxX - minX) * s;
  const h = (maxY - minY) * s;
  return w > 0 && h > 0 && w <= style.size - 2 && h <= style.size - 2;
}

export function glyphSvg(outline: GlyphOutline, style: GlyphStyle): string {
  const s = scaleOf(outline, style);
  const { minX, minY, maxX, maxY } = outline.bbox;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const half = style.size / 2;
  // Font y points up, SVG y points down: flip, then move the ink centre to the canvas centre.
  const transform = `translate(${half} ${half}) scale(${s} ${-s}) translate(${-cx} ${-cy})`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${style.size}" height="${style.size}">` +
    `<rect width="100%" height="100%" fill="${style.paper}"/>` +
    `<path transform="${transform}" fill="${style.ink}" d="${outline.svgPath}"/></svg>`
  );
}

/** An 8-bit RGB PNG (three channels, as the generators expect). */
export async function renderGlyph(outline: GlyphOutline, style: GlyphStyle): Promise<Buffer> {
  if (style.size % 4 !== 0)
    throw new RangeError(`glyph size must be a multiple of 4, got ${style.size}`);
  return sharp(Buffer.from(glyphSvg(outline, style)))
    .removeAlpha()
    .toColourspace("srgb")
    .png({ compressionLevel: 9 })
    .toBuffer();
}
