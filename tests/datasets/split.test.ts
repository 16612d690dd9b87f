import { describe, expect, it } from "vitest";
import { shuffled, splitTrainTest, takeParts } from "../../training/datasets/split.ts";
import { seededRandom } from "../../training/util/seeded.ts";

describe("seeded split", () => {
  it("gives the same sequence for the same seed and a different one for another seed", () => {
    const a = Array.from({ length: 5 }, seededRandom(7));
    const b = Array.from({ length: 5 }, seededRandom(7));
    const c = Array.from({ length: 5 }, seededRandom(8));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });

  it("shuffles into a permutation, deterministically", () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const s = shuffled(items, 3);
    expect(s).toEqual(shuffled(items, 3));
    expect(s).not.toEqual(items);
    expect([...s].sort((x, y) => x - y)).toEqual(items);
  });

  it("splits independently of input order, with disjoint parts", () => {
    const names = Array.from({ length: 50 }, (_, i) => `img${i}.jpg`);
    const one = splitTrainTest(names, 0.2, 1, (n) => n);
    const two = splitTrainTest([...names].reverse(), 0.2, 1, (n) => n);
    expect(one).toEqual(two);
    expect(one.test).toHaveLength(10);
    expect(one.train).toHaveLength(40);
    expect(one.train.filter((n) => one.test.includes(n))).toEqual([]);
  });

  it("refuses impossible sizes with a message that names them", () => {
    expect(() => takeParts([1, 2, 3], [2, 2])).toThrow(/need 4 items \(2 \+ 2\), only 3/);
    expect(() => splitTrainTest([1], 0.5, 1, String)).toThrow(/too few items/);
    expect(() => splitTrainTest([1, 2], 1.5, 1, String)).toThrow(/testShare/);
  });
});
