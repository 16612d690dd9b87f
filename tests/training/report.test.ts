import { describe, expect, it } from "vitest";
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
});
