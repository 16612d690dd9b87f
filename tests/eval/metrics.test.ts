import { describe, expect, it } from "vitest";
import type { RgbImage } from "../../training/eval/image.ts";
import { l1, PSNR_CAP_DB, psnr, ssim, ssimPlane, tint } from "../../training/eval/metrics.ts";

function image(
  w: number,
  h: number,
  px: (x: number, y: number) => [number, number, number],
): RgbImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(px(x, y), (y * w + x) * 3);
  return { width: w, height: h, data };
}

const C1 = (0.01 * 255) ** 2;
const lum = (v: number) => 0.299 * v + 0.587 * v + 0.114 * v;

describe("L1 and PSNR", () => {
  it("match hand-computed values for a constant offset", () => {
    const a = image(16, 16, (x, y) => [(x * 7 + y) % 200, 50, 100]);
    const b = image(16, 16, (x, y) => [((x * 7 + y) % 200) + 10, 60, 90]);
    expect(l1(a, b)).toBeCloseTo(10 / 255, 10);
    // MSE = 100 -> 10 log10(65025 / 100) = 28.1308 dB
    expect(psnr(a, b)).toBeCloseTo(28.1308, 3);
  });

  it("caps PSNR for identical images and refuses different sizes", () => {
    const a = image(12, 12, () => [1, 2, 3]);
    expect(psnr(a, a)).toBe(PSNR_CAP_DB);
    expect(l1(a, a)).toBe(0);
    expect(() =>
      psnr(
        a,
        image(12, 13, () => [1, 2, 3]),
      ),
    ).toThrow(/differ in size: 12x12 vs 12x13/);
  });
});

describe("SSIM (11x11 Gaussian, luminance)", () => {
  it("is 1 for identical images and symmetric", () => {
    const a = image(24, 20, (x, y) => [(x * 11) % 256, (y * 13) % 256, ((x + y) * 5) % 256]);
    const b = image(24, 20, (x, y) => [(x * 9) % 256, (y * 3) % 256, 40]);
    expect(ssim(a, a)).toBeCloseTo(1, 12);
    expect(ssim(a, b)).toBeCloseTo(ssim(b, a), 12);
    expect(ssim(a, b)).toBeLessThan(0.9);
  });

  it("equals the luminance term (2 mx my + C1) / (mx^2 + my^2 + C1) for flat images", () => {
    const a = image(16, 16, () => [100, 100, 100]);
    const b = image(16, 16, () => [150, 150, 150]);
    const [mx, my] = [lum(100), lum(150)];
    expect(ssim(a, b)).toBeCloseTo((2 * mx * my + C1) / (mx * mx + my * my + C1), 10);
  });

  it("keeps the structure term at 1 when only the brightness shifts", () => {
    // y = x + 30 everywhere: variances and covariance are equal, so SSIM is the luminance term per window.
    const a = image(11, 11, () => [0, 0, 0]);
    const ramp = image(11, 11, (x) => [x * 20, x * 20, x * 20]);
    const shifted = image(11, 11, (x) => [x * 20 + 30, x * 20 + 30, x * 20 + 30]);
    const mean = (lum(100) * 11) / 11; // the window is symmetric about the centre column x = 5
    const expected = (2 * mean * (mean + lum(30)) + C1) / (mean ** 2 + (mean + lum(30)) ** 2 + C1);
    expect(ssim(ramp, shifted)).toBeCloseTo(expected, 8);
    expect(ssim(a, a)).toBe(1);
  });

  it("matches scikit-image's structural_similarity on textured planes", () => {
    // Reference: skimage 0.19.3 structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
    // use_sample_covariance=False, data_range=255) on these float64 planes (it crops
    // the 5-pixel border, the same as a 'valid' 11x11 window). Pins K1, K2, sigma and the window.
    const [w, h] = [24, 20];
    const plane = (f: (r: number, c: number) => number) =>
      Float64Array.from({ length: w * h }, (_, i) => f(Math.floor(i / w), i % w));
    const x = plane((r, c) => (r * 7 + c * 13) % 256);
    const y = plane((r, c) => (r * r + 3 * c + ((r * c) % 17)) % 256);
    const z = x.map((v) => Math.min(255, Math.max(0, v * 0.8 + 20)));
    expect(ssimPlane(x, y, w, h)).toBeCloseTo(0.16369126636122294, 10);
    expect(ssimPlane(x, z, w, h)).toBeCloseTo(0.9716553850013039, 10);
  });

  it("refuses images smaller than its window", () => {
    const a = image(10, 30, () => [0, 0, 0]);
    expect(() => ssim(a, a)).toThrow(/at least 11x11/);
  });
});

describe("tint (Delta E of the mean CIELAB colours)", () => {
  it("is the CIE76 distance of two flat colours: black to white is 100", () => {
    expect(
      tint(
        image(4, 4, () => [0, 0, 0]),
        image(4, 4, () => [255, 255, 255]),
      ),
    ).toBeCloseTo(100, 3);
    // sRGB red (53.24, 80.09, 67.20) against mid grey 119 (L* 50.0, a* = b* = 0).
    expect(
      tint(
        image(4, 4, () => [255, 0, 0]),
        image(4, 4, () => [119, 119, 119]),
      ),
    ).toBeCloseTo(Math.hypot(53.24 - 50.03, 80.09, 67.2), 1);
  });

  it("ignores where the colours are (texture) and sees a cast over the whole picture", () => {
    const a = image(16, 16, (x, y) => [(x * 13 + y * 7) % 256, (x * 5) % 256, (y * 11) % 256]);
    const mirrored = image(
      16,
      16,
      (x, y) =>
        a.data.slice(3 * (y * 16 + 15 - x), 3 * (y * 16 + 16 - x)) as unknown as [
          number,
          number,
          number,
        ],
    );
    expect(l1(a, mirrored)).toBeGreaterThan(0.05);
    expect(tint(a, mirrored)).toBeCloseTo(0, 6);
    const bluer = image(16, 16, (x, y) => {
      const i = 3 * (y * 16 + x);
      return [
        a.data[i] as number,
        a.data[i + 1] as number,
        Math.min(255, (a.data[i + 2] as number) + 40),
      ];
    });
    expect(tint(a, bluer)).toBeGreaterThan(5);
    expect(() =>
      tint(
        a,
        image(8, 8, () => [0, 0, 0]),
      ),
    ).toThrow(/differ in size/);
  });
});
