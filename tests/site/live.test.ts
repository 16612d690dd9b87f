/**
 * Live mode's pure parts: the area shrink equals models/resize.ts, the tensor
 * conversions follow models/contract.ts, and the frame size, size pick and
 * statistics (frame rate, latency percentiles, dropped frames).
 */
import { describe, expect, it } from "vitest";
import { byteToUnit, unitToByte } from "../../models/contract.ts";
import { resizeArea } from "../../models/resize.ts";
import { AreaShrink, chwToRgba, rgbaToChw } from "../../site/src/lib/live-cpu.ts";
import {
  LiveStats,
  liveFrameSize,
  percentile,
  pickLiveSize,
} from "../../site/src/lib/live-stats.ts";

function randomRgba(w: number, h: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: w * h * 4 }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return i % 4 === 3 ? 255 : s >>> 24;
  });
}

describe("live pixels", () => {
  for (const [w, h, ow, oh] of [
    [640, 480, 192, 144],
    [320, 240, 128, 96],
    [333, 251, 100, 76],
    [64, 48, 64, 48],
  ] as const) {
    it(`shrinks ${w}x${h} to ${ow}x${oh} exactly like resizeArea, reusing its buffers`, () => {
      const src = randomRgba(w, h, w + h);
      const shrink = new AreaShrink(w, h, ow, oh);
      const dst = new Uint8ClampedArray(ow * oh * 4);
      shrink.run(src, dst);
      expect(Array.from(dst)).toEqual(Array.from(resizeArea(src, w, h, 4, ow, oh)));
      // A second frame into the same buffers gives that frame's pixels.
      const next = randomRgba(w, h, 7);
      shrink.run(next, dst);
      expect(Array.from(dst)).toEqual(Array.from(resizeArea(next, w, h, 4, ow, oh)));
    });
  }

  it("refuses to enlarge", () => {
    expect(() => new AreaShrink(100, 100, 128, 96)).toThrow(/only shrinks/);
  });

  it("converts RGBA <-> planar [-1, 1] as models/contract.ts does", () => {
    const rgba = new Uint8ClampedArray(randomRgba(7, 5, 3));
    const chw = new Float32Array(3 * 35);
    rgbaToChw(rgba, chw, 35);
    for (let i = 0; i < 35; i++) {
      for (let c = 0; c < 3; c++) {
        expect(chw[c * 35 + i]).toBeCloseTo(byteToUnit(rgba[4 * i + c] as number), 6);
      }
    }
    const noisy = chw.map((v, i) => v + Math.sin(i) * 0.003);
    const back = new Uint8ClampedArray(4 * 35);
    chwToRgba(noisy, back, 35);
    for (let i = 0; i < 35; i++) {
      for (let c = 0; c < 3; c++) {
        expect(back[4 * i + c]).toBe(unitToByte(noisy[c * 35 + i] as number));
      }
      expect(back[4 * i + 3]).toBe(255);
    }
  });
});

describe("live sizes and statistics", () => {
  it("keeps the camera's shape, multiples of 4, never larger than the camera", () => {
    expect(liveFrameSize(640, 480, 192)).toEqual([192, 144]);
    expect(liveFrameSize(1280, 720, 256)).toEqual([256, 144]);
    expect(liveFrameSize(480, 640, 128)).toEqual([96, 128]);
    expect(liveFrameSize(320, 240, 512)).toEqual([320, 240]);
    expect(liveFrameSize(1920, 200, 128)).toEqual([128, 16]);
  });

  it("picks the largest size expected to reach 15 frames/s from one measured frame", () => {
    // 30 ms at 192 px: 256 px costs 53 ms (under 66.7), 384 px 120 ms.
    expect(pickLiveSize(30, 192)).toBe(256);
    expect(pickLiveSize(10, 192)).toBe(384);
    expect(pickLiveSize(5, 192)).toBe(512);
    expect(pickLiveSize(500, 192)).toBe(128);
    expect(pickLiveSize(66, 128)).toBe(128);
  });

  it("computes frame rate, latency percentiles and dropped frames", () => {
    const stats = new LiveStats(4);
    stats.framesPresented(10);
    for (let i = 0; i < 6; i++) {
      stats.frameSent();
      stats.frameDrawn(100 * i, 10 * (i + 1), { capture: 1, convert: 2, run: 3 + i, draw: 4 });
    }
    const s = stats.summary();
    expect(s.fps).toBeCloseTo(10, 6); // the last 4 frames, 100 ms apart
    expect([s.latencyP50, s.latencyP95]).toEqual([40, 60]);
    expect(s.stages.run).toBe(6);
    expect([s.presented, s.sent, s.drawn, s.dropped]).toEqual([10, 6, 6, 4]);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([5, 1, 3], 100)).toBe(5);
  });
});
