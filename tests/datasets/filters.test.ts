import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  cartoon,
  luma,
  pencilSketch,
  type RgbImage,
  SKETCH,
} from "../../training/datasets/filters.ts";
import { kuwahara, OIL, oilPaint } from "../../training/datasets/oil-paint.ts";
import { WATERCOLOUR, watercolour } from "../../training/datasets/watercolour.ts";

/** An image whose pixel (x, y) is `rgb(x, y)`. */
function image(width: number, height: number, rgb: (x: number, y: number) => number[]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set(rgb(x, y), 3 * (y * width + x));
  return { width, height, data };
}

const at = (img: RgbImage, x: number, y: number) =>
  Array.from(img.data.subarray(3 * (y * img.width + x), 3 * (y * img.width + x) + 3));

/** A dark half (x < 20) next to a light half, in colour. */
const step = image(40, 24, (x) => (x < 20 ? [40, 70, 110] : [230, 200, 150]));
/** Deterministic texture that exercises every branch (no Math.random). */
const texture = image(32, 20, (x, y) => [(x * 37 + y * 11) % 256, (x * y * 7) % 256, (x ^ y) * 8]);

const sha = (img: RgbImage) => createHash("sha256").update(img.data).digest("hex").slice(0, 16);

describe("pencil sketch", () => {
  /** What a flat area of this colour becomes: no stroke, only its shading. */
  const shaded = (rgb: number[]) => {
    const grey = luma(image(1, 1, () => rgb))[0] as number;
    return Math.round(255 * (1 - SKETCH.shade) + SKETCH.shade * grey);
  };

  it("turns a flat image into its shading alone, no strokes", () => {
    const out = pencilSketch(image(16, 12, () => [90, 140, 30]));
    expect(new Set(out.data)).toEqual(new Set([shaded([90, 140, 30])]));
    expect(new Set(pencilSketch(image(8, 8, () => [255, 255, 255])).data)).toEqual(new Set([255]));
  });

  it("draws a dark grey line along the dark side of an edge, shading elsewhere", () => {
    const out = pencilSketch(step);
    const [r, g, b] = at(out, 19, 12);
    const darkSide = shaded([40, 70, 110]);
    expect(r).toBeLessThan(darkSide - 40); // the stroke is darker than the shading
    expect([g, b]).toEqual([r, r]); // grey as RGB
    expect(at(out, 2, 12)).toEqual([darkSide, darkSide, darkSide]); // far from the edge
    const lightSide = shaded([230, 200, 150]);
    expect(at(out, 25, 12)).toEqual([lightSide, lightSide, lightSide]); // never stroked
  });

  it("gives the same bytes every time (pinned: a change here changes every dataset)", () => {
    expect(sha(pencilSketch(texture))).toBe(sha(pencilSketch(texture)));
    expect(sha(pencilSketch(texture))).toBe("55cbddbd31742f23");
  });
});

describe("cartoon", () => {
  it("flattens a smooth ramp of 64 colours to a few", () => {
    const ramp = image(64, 16, (x) => [4 * x, 3 * x + 20, 2 * x + 40]);
    const out = cartoon(ramp);
    const colours = new Set<string>();
    for (let y = 0; y < 16; y++) for (let x = 0; x < 64; x++) colours.add(at(out, x, y).join());
    expect(colours.size).toBeLessThanOrEqual(16);
    expect(colours.size).toBeGreaterThanOrEqual(4); // still a ramp, in bands
  });

  it("inks a strong edge dark and leaves flat regions uninked", () => {
    const out = cartoon(step);
    const edge = Math.min(...[18, 19, 20, 21].map((x) => Math.max(...at(out, x, 12))));
    expect(edge).toBeLessThan(60);
    const flatLeft = at(out, 3, 12);
    const flatRight = at(out, 36, 12);
    expect(Math.max(...flatLeft)).toBeGreaterThan(60);
    expect(Math.max(...flatRight)).toBeGreaterThan(150);
    // Hue kept: the light side stays warm (red > blue), the dark side cool.
    expect((flatRight[0] as number) > (flatRight[2] as number)).toBe(true);
    expect((flatLeft[2] as number) > (flatLeft[0] as number)).toBe(true);
  });

  it("gives the same bytes every time (pinned: a change here changes every dataset)", () => {
    expect(sha(cartoon(texture))).toBe(sha(cartoon(texture)));
    expect(sha(cartoon(texture))).toBe("a49808387b55657f");
  });
});

describe("oil paint (Kuwahara)", () => {
  /** Oil paint without the colour gain, to compare pixels with the input. */
  const unsaturated = (img: RgbImage) => oilPaint(img, { ...OIL, saturation: 1 });
  /** Grey 120 with a fixed +-24 pattern inside a 6 px frame of plain grey. */
  const noisy = image(40, 30, (x, y) => {
    const inside = x >= 6 && x < 34 && y >= 6 && y < 24;
    const v = inside ? 120 + (((x * 7 + y * 13) % 5) - 2) * 12 : 120;
    return [v, v, v];
  });
  const spread = (img: RgbImage) => {
    const vs: number[] = [];
    for (let y = 10; y < 20; y++) for (let x = 10; x < 30; x++) vs.push(at(img, x, y)[0] as number);
    const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
    return Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / vs.length);
  };

  it("leaves a flat image unchanged, also at the borders", () => {
    const flat = image(17, 11, () => [90, 140, 30]);
    expect(unsaturated(flat).data).toEqual(flat.data);
    const grey = image(9, 9, () => [77, 77, 77]);
    expect(oilPaint(grey).data).toEqual(grey.data); // no colour to boost
  });

  it("keeps a step edge sharp: no pixel is mixed across it", () => {
    expect(unsaturated(step).data).toEqual(step.data);
  });

  it("smooths noise inside a flat region", () => {
    const before = spread(noisy);
    expect(before).toBeGreaterThan(10);
    expect(spread(unsaturated(noisy))).toBeLessThan(before / 3);
    // One pass of float RGB in, float RGB out: the mean level is kept.
    const pass = kuwahara(Float64Array.from(noisy.data), noisy.width, noisy.height, 4);
    expect(Math.abs((pass[3 * (15 * 40 + 20)] as number) - 120)).toBeLessThan(12);
  });

  it("boosts colour around unchanged lightness", () => {
    const flat = image(6, 6, () => [200, 120, 60]);
    const [r, g, b] = at(oilPaint(flat), 3, 3) as [number, number, number];
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
    expect(
      Math.abs(luma(image(1, 1, () => [r, g, b]))[0] as number) - (luma(flat)[0] as number),
    ).toBeLessThan(1);
  });

  it("gives the same bytes every time (pinned: a change here changes every dataset)", () => {
    expect(sha(oilPaint(texture))).toBe(sha(oilPaint(texture)));
    expect(sha(oilPaint(texture))).toBe("49fb5dcc78df4082");
  });
});

describe("watercolour", () => {
  /** What a flat area of this colour becomes: lightened towards white paper, less saturated. */
  const washed = (rgb: number[]) => {
    const [r, g, b] = rgb as [number, number, number];
    const y = 255 - (255 - (0.299 * r + 0.587 * g + 0.114 * b)) * WATERCOLOUR.wash;
    const cb = WATERCOLOUR.saturation * (-0.168736 * r - 0.331264 * g + 0.5 * b);
    const cr = WATERCOLOUR.saturation * (0.5 * r - 0.418688 * g - 0.081312 * b);
    return [y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb].map(Math.round);
  };

  it("turns a flat image into its lightened, desaturated colour, no pooling", () => {
    const out = watercolour(image(17, 11, () => [200, 120, 60]));
    const colour = washed([200, 120, 60]);
    for (let y = 0; y < 11; y++) for (let x = 0; x < 17; x++) expect(at(out, x, y)).toEqual(colour);
    // Lighter than the photo, and the channels closer together (less saturated).
    const [r, , b] = colour as [number, number, number];
    expect(luma(image(1, 1, () => colour))[0] as number).toBeGreaterThan(
      luma(image(1, 1, () => [200, 120, 60]))[0] as number,
    );
    expect(r - b).toBeLessThan(200 - 60);
    expect(new Set(watercolour(image(8, 8, () => [255, 255, 255])).data)).toEqual(new Set([255]));
  });

  it("darkens a step edge next to it (pigment pooling) but not far from it, no ink", () => {
    const out = watercolour(step);
    const dark = washed([40, 70, 110]);
    const light = washed([230, 200, 150]);
    expect(at(out, 2, 12)).toEqual(dark); // far from the edge: the plain wash
    expect(at(out, 36, 12)).toEqual(light);
    const pooled = (x: number, flat: number[]) =>
      (at(out, x, 12)[0] as number) / (flat[0] as number);
    // Full pooling on both sides of the edge: 1 - pool of the wash, never black ink.
    expect(pooled(19, dark)).toBeCloseTo(1 - WATERCOLOUR.pool, 1);
    expect(pooled(20, light)).toBeCloseTo(1 - WATERCOLOUR.pool, 1);
    expect(Math.max(...at(out, 19, 12))).toBeGreaterThan(60);
  });

  it("gives the same bytes every time (pinned: a change here changes every dataset)", () => {
    expect(sha(watercolour(texture))).toBe(sha(watercolour(texture)));
    expect(sha(watercolour(texture))).toBe("6c0a9ea18806fd63");
  });
});
