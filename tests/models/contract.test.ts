import { describe, expect, it } from "vitest";
import {
  byteToUnit,
  chwToPixels,
  cropCHW,
  hwcToPixels,
  padCHWReflect,
  pixelsToCHW,
  pixelsToHWC,
  unitToByte,
} from "../../models/contract.ts";

describe("pixel <-> tensor contract", () => {
  it("maps 0 and 255 to the ends of [-1, 1] and back exactly", () => {
    expect(byteToUnit(0)).toBe(-1);
    expect(byteToUnit(255)).toBe(1);
    for (let v = 0; v < 256; v++) expect(unitToByte(byteToUnit(v))).toBe(v);
    expect(unitToByte(-3)).toBe(0);
    expect(unitToByte(7)).toBe(255);
  });

  it("round-trips RGBA through CHW and RGB through HWC, dropping alpha", () => {
    const w = 3,
      h = 2;
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37) % 256);
    const chw = pixelsToCHW(rgba, w, h, 4);
    expect(chw[0]).toBeCloseTo(byteToUnit(rgba[0] as number));
    expect(chw[w * h]).toBeCloseTo(byteToUnit(rgba[1] as number)); // G plane starts after R
    const back = chwToPixels(chw, w, h, 4);
    for (let i = 0; i < w * h; i++) {
      expect([back[4 * i], back[4 * i + 1], back[4 * i + 2], back[4 * i + 3]]).toEqual([
        rgba[4 * i],
        rgba[4 * i + 1],
        rgba[4 * i + 2],
        255,
      ]);
    }
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 11) % 256);
    expect(Array.from(hwcToPixels(pixelsToHWC(rgb, w, h, 3), w, h, 3))).toEqual(Array.from(rgb));
  });

  it("rejects buffers that do not match the stated size", () => {
    expect(() => pixelsToCHW(new Uint8Array(10), 2, 2, 3)).toThrow(/expected 2x2x3 = 12/);
  });

  it("reflect-pads to a multiple of 4 without repeating the edge and crops back", () => {
    const w = 3,
      h = 1;
    const data = Float32Array.from([1, 2, 3]);
    const padded = padCHWReflect(data, 1, w, h, 6, 2);
    expect(Array.from(padded.subarray(0, 6))).toEqual([1, 2, 3, 2, 1, 2]);
    expect(Array.from(cropCHW(padded, 1, 6, 2, 3, 1))).toEqual([1, 2, 3]);
  });
});
