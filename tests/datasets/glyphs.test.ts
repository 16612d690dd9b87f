import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_STYLE,
  type GlyphOutline,
  glyphFits,
  renderGlyph,
} from "../../training/datasets/glyph-render.ts";
import { commonCharacters, glyphFileName, planGlyphSplit } from "../../training/datasets/glyphs.ts";

/** A right triangle in font units (y up): the right angle at the bottom left. */
const triangle: GlyphOutline = {
  svgPath: "M100 100L700 100L100 700Z",
  bbox: { minX: 100, minY: 100, maxX: 700, maxY: 700 },
  unitsPerEm: 1000,
};

async function grey(
  png: Buffer,
): Promise<{ at: (x: number, y: number) => number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return {
    at: (x, y) => data[(y * info.width + x) * info.channels] as number,
    channels: info.channels,
  };
}

describe("glyph rendering", () => {
  it("centres the ink box at a fixed scale and keeps the font's y axis up", async () => {
    const style = { ...DEFAULT_STYLE, size: 64, emScale: 0.9 };
    const img = await grey(await renderGlyph(triangle, style));
    expect(img.channels).toBe(3);
    // 600 units * 64 * 0.9 / 1000 = 34.56 px, centred: ink spans about 14.7 .. 49.3.
    const inkRows: number[] = [];
    for (let y = 0; y < 64; y++) if (img.at(16, y) < 128) inkRows.push(y);
    expect(inkRows[0]).toBeGreaterThanOrEqual(14);
    expect(inkRows.at(-1)).toBeLessThanOrEqual(49);
    expect(inkRows.length).toBeGreaterThan(30);
    expect(img.at(18, 46)).toBeLessThan(60); // bottom-left: inside the triangle
    expect(img.at(46, 18)).toBeGreaterThan(200); // top-right: paper
    expect(img.at(1, 1)).toBe(255);
  });

  it("rejects sizes the generators cannot take and glyphs that do not fit", async () => {
    await expect(renderGlyph(triangle, { ...DEFAULT_STYLE, size: 66 })).rejects.toThrow(
      /multiple of 4/,
    );
    expect(glyphFits(triangle, DEFAULT_STYLE)).toBe(true);
    const big = { ...triangle, bbox: { minX: 0, minY: 0, maxX: 1200, maxY: 100 } };
    expect(glyphFits(big, DEFAULT_STYLE)).toBe(false);
  });
});

describe("glyph character sets", () => {
  it("lists the 5,401 Big5 level-1 characters, each one ideograph", () => {
    const chars = commonCharacters();
    expect(chars).toHaveLength(5401);
    expect(chars[0]).toBe("一");
    expect(new Set(chars).size).toBe(5401);
    for (const c of chars) expect(c).toMatch(/^\p{Script=Han}$/u);
  });

  it("splits into a test set and two disjoint training sets, deterministically", () => {
    const usable = commonCharacters().slice(0, 300);
    const plan = planGlyphSplit(usable, { train: 100, test: 40 }, 5);
    expect(planGlyphSplit([...usable].reverse(), { train: 100, test: 40 }, 5)).toEqual(plan);
    expect(plan.test).toHaveLength(40);
    expect(plan.trainA).toHaveLength(100);
    expect(plan.trainB).toHaveLength(100);
    const all = [...plan.test, ...plan.trainA, ...plan.trainB];
    expect(new Set(all).size).toBe(240);
    expect(() => planGlyphSplit(usable, { train: 200, test: 40 }, 5)).toThrow(/need 440 items/);
  });

  it("names a character's file by its code point", () => {
    expect(glyphFileName("一")).toBe("u4e00.png");
    expect(glyphFileName("永")).toBe("u6c38.png");
  });
});
