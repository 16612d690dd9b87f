import { describe, expect, it } from "vitest";
import { fitLogistic, predict } from "../../training/eval/logistic.ts";

describe("logistic regression", () => {
  it("separates two clouds, even when one class is much larger", () => {
    const x: number[][] = [];
    const y: (0 | 1)[] = [];
    for (let i = 0; i < 200; i++) {
      x.push([Math.sin(i) * 2, 10 + Math.cos(i * 1.3)]);
      y.push(0);
    }
    for (let i = 0; i < 20; i++) {
      x.push([4 + Math.sin(i * 2), 12 + Math.cos(i)]);
      y.push(1);
    }
    const model = fitLogistic(x, y);
    const hits = x.filter((row, i) => (predict(model, row) >= 0.5 ? 1 : 0) === y[i]).length;
    expect(hits / x.length).toBeGreaterThan(0.95);
    expect(predict(model, [5, 12])).toBeGreaterThan(0.9);
    expect(predict(model, [-1, 10])).toBeLessThan(0.1);
  });

  it("refuses data with one class only", () => {
    expect(() => fitLogistic([[1], [2]], [0, 0])).toThrow(/both classes/);
  });
});
