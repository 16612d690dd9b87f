import { describe, expect, it } from "vitest";
import { colourTransfer, identity, labStats } from "../../training/eval/baselines.ts";
import { labToSrgb, srgbToLab } from "../../training/eval/color.ts";
import type { RgbImage } from "../../training/eval/image.ts";

describe("sRGB <-> CIE Lab (D65)", () => {
  it("matches published values", () => {
    const close = (got: number[], want: number[], tol: number) =>
      got.forEach((v, i) => {
        expect(Math.abs(v - (want[i] as number))).toBeLessThan(tol);
      });
    close(srgbToLab(255, 255, 255), [100, 0, 0], 1e-3);
    close(srgbToLab(0, 0, 0), [0, 0, 0], 1e-9);
    close(srgbToLab(255, 0, 0), [53.2408, 80.0925, 67.2032], 0.01);
    close(srgbToLab(0, 255, 0), [87.7347, -86.1827, 83.1793], 0.01);
    close(srgbToLab(0, 0, 255), [32.297, 79.1875, -107.8602], 0.01);
    close(srgbToLab(128, 128, 128), [53.585, 0, 0], 0.01);
  });

  it("round-trips every kind of colour", () => {
    for (let r = 0; r <= 255; r += 51) {
      for (let g = 0; g <= 255; g += 51) {
        for (let b = 3; b <= 255; b += 63) {
          const back = labToSrgb(...srgbToLab(r, g, b));
          expect(
            Math.abs(back[0] - r) + Math.abs(back[1] - g) + Math.abs(back[2] - b),
          ).toBeLessThan(1e-9);
        }
      }
    }
  });
});

function noise(
  w: number,
  h: number,
  seed: number,
  base: [number, number, number],
  spread: number,
): RgbImage {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const data = new Float32Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (base[i % 3] as number) + (rand() - 0.5) * spread;
  return { width: w, height: h, data };
}

describe("colour transfer baseline", () => {
  it("moves the image's Lab mean and std onto the target's (in gamut, so nothing is clipped)", () => {
    const target = labStats([
      noise(32, 32, 1, [90, 120, 150], 30),
      noise(32, 32, 2, [100, 130, 160], 20),
    ]);
    const out = colourTransfer(noise(32, 32, 3, [150, 120, 100], 40), target);
    const got = labStats([out]);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs((got.mean[c] as number) - (target.mean[c] as number))).toBeLessThan(0.5);
      expect(Math.abs((got.std[c] as number) - (target.std[c] as number))).toBeLessThan(0.5);
    }
  });

  it("handles flat channels (a grey source) and leaves identity untouched", () => {
    const grey = noise(16, 16, 4, [128, 128, 128], 0);
    const out = colourTransfer(grey, { mean: [70, 10, -20], std: [5, 5, 5] });
    expect(labStats([out]).mean[0]).toBeCloseTo(70, 1);
    expect(identity(grey)).toBe(grey);
  });
});
