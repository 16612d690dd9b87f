import { describe, expect, it } from "vitest";
import { type Generator, rememberOutputs } from "../../training/eval/generator.ts";
import type { RgbImage } from "../../training/eval/image.ts";

/** A generator that inverts pixels and counts its runs. */
function counting(): Generator & { runs: number } {
  const g = {
    label: "invert",
    direction: "AtoB" as const,
    runs: 0,
    async translate(img: RgbImage): Promise<RgbImage> {
      g.runs++;
      return { ...img, data: img.data.map((v) => 255 - v) };
    },
    release: async () => {},
  };
  return g;
}

const image = (seed: number, width = 8, height = 4): RgbImage => ({
  width,
  height,
  data: Float32Array.from({ length: width * height * 3 }, (_, i) => (i * 7 + seed) % 256),
});

describe("rememberOutputs (paired then domain evaluation translate once)", () => {
  it("answers the same pixels from memory with the same output, and other pixels by running", async () => {
    const inner = counting();
    const gen = rememberOutputs(inner);
    const first = await gen.translate(image(1));
    const again = await gen.translate(image(1)); // another object, same pixels
    expect(inner.runs).toBe(1);
    expect(again).toEqual(first);
    expect(again.data).not.toBe(first.data); // a copy: a caller cannot spoil the memory
    await gen.translate(image(2));
    await gen.translate(image(1, 4, 8)); // same bytes, other shape
    expect(inner.runs).toBe(3);
    expect(gen.label).toBe("invert");
  });

  it("runs again past its byte budget", async () => {
    const inner = counting();
    const gen = rememberOutputs(inner, 8 * 4 * 3); // room for one output
    await gen.translate(image(1));
    await gen.translate(image(2));
    await gen.translate(image(1));
    await gen.translate(image(2));
    expect(inner.runs).toBe(3);
  });
});
