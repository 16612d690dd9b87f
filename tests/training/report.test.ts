import { afterEach, describe, expect, it, vi } from "vitest";
import { Progress } from "../../training/report/progress.ts";
import { lineChart } from "../../training/report/svg.ts";

describe("run report", () => {
  it("draws the loss curve of a very long run (more points than a call takes arguments)", () => {
    const n = 300_000;
    const points = Array.from({ length: n }, (_, i) => [i + 1, 1 + Math.sin(i / 1000)] as const);
    const svg = lineChart("cycle", [{ name: "A", color: "#1f77b4", points }]);
    const line = /points="([^"]+)"/.exec(svg)?.[1]?.split(" ") ?? [];
    expect(line.length).toBeGreaterThan(100);
    expect(line.length).toBeLessThanOrEqual(400);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("reports 0 it/s before the first iteration instead of NaN", () => {
    const bar = new Progress(false, () => {});
    expect(bar.rate()).toBe(0);
    bar.tick(1, 1, 1);
    expect(Number.isFinite(bar.rate())).toBe(true);
  });

  it("reports the iteration rate from the clock: 1 / seconds per iteration, smoothed", () => {
    let now = 1000;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const bar = new Progress(false, () => {});
    now += 250; // 0.25 s for the first iteration
    bar.tick(1, 1, 1);
    expect(bar.rate()).toBeCloseTo(4, 9);
    now += 500; // 0.5 s for the second: 0.9 * 0.25 + 0.1 * 0.5 = 0.275 s per iteration
    bar.tick(2, 1, 1);
    expect(bar.rate()).toBeCloseTo(1 / 0.275, 9);
    // a pause (checkpoint saving) is not counted once the clock is reset
    now += 60_000;
    bar.resetClock();
    now += 275;
    bar.tick(3, 1, 1);
    expect(bar.rate()).toBeCloseTo(1 / 0.275, 9);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});
