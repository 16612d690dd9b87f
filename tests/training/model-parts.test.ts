import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Adam } from "../../training/model/adam.ts";
import { ganLoss, l1 } from "../../training/model/losses.ts";
import { ImagePool, type PoolRandom } from "../../training/model/pool.ts";
import { Rng } from "../../training/model/rng.ts";
import { lrFactor, type ScheduleOptions } from "../../training/model/schedule.ts";
import { initBackend } from "../../training/runtime/backend.ts";

beforeAll(async () => {
  await initBackend("cpu");
});

/** Replays fixed draws: random() values and int() values. */
function scripted(randoms: number[], ints: number[]): PoolRandom {
  return {
    random: () => randoms.shift() ?? Number.NaN,
    int: (n) => {
      const v = ints.shift() ?? Number.NaN;
      if (!(v < n)) throw new Error(`scripted int ${v} out of range ${n}`);
      return v;
    },
  };
}

const img = (v: number) => tf.fill([1, 2, 2, 3], v) as tf.Tensor4D;
const firstValues = (t: tf.Tensor) => {
  const d = t.dataSync();
  const per = d.length / t.shape[0];
  return Array.from({ length: t.shape[0] }, (_, i) => d[i * per]);
};

describe("image pool", () => {
  it("stores and returns new images until full, then swaps with probability 0.5", () => {
    const pool = new ImagePool(2, scripted([0.9, 0.2, 0.51], [1, 0]));
    const q = (v: number) => {
      const x = img(v);
      const out = pool.query(x);
      x.dispose();
      const vals = firstValues(out);
      out.dispose();
      return vals;
    };
    expect(q(1)).toEqual([1]); // filling
    expect(q(2)).toEqual([2]); // filling; pool = [1, 2]
    expect(q(3)).toEqual([2]); // 0.9 > 0.5: return stored #1, store 3 there; pool = [1, 3]
    expect(q(4)).toEqual([4]); // 0.2: the new image itself
    expect(q(5)).toEqual([1]); // 0.51 > 0.5: stored #0 out, 5 in; pool = [5, 3]
    expect(pool.images().map((t) => t.dataSync()[0])).toEqual([5, 3]);
    pool.dispose();
  });

  it("handles a batch image by image and leaks nothing", () => {
    const pool = new ImagePool(1, scripted([0.7], [0]));
    const before = tf.memory().numTensors;
    const batch = tf.tidy(() => tf.concat([img(1), img(2)]) as tf.Tensor4D);
    const out = pool.query(batch); // 1 fills the pool; 2 swaps with it
    expect(firstValues(out)).toEqual([1, 1]);
    expect(pool.images()[0]?.dataSync()[0]).toBe(2);
    batch.dispose();
    out.dispose();
    expect(tf.memory().numTensors).toBe(before + 1); // only the stored image
    pool.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("size 0 passes images through", () => {
    const pool = new ImagePool(0, new Rng([1, 2, 3, 4]));
    const x = img(7);
    const out = pool.query(x);
    expect(firstValues(out)).toEqual([7]);
    expect(pool.images()).toHaveLength(0);
    tf.dispose([x, out]);
  });
});

describe("losses", () => {
  const pred = () => tf.tensor([0.5, -1, 2, 0]);
  it("lsgan is the mean squared distance to the label", () => {
    // real: ((0.5-1)^2 + (-2)^2 + 1^2 + 1^2) / 4 = 6.25 / 4
    expect(ganLoss(pred(), true, "lsgan").dataSync()[0]).toBeCloseTo(6.25 / 4, 6);
    // fake: (0.25 + 1 + 4 + 0) / 4
    expect(ganLoss(pred(), false, "lsgan").dataSync()[0]).toBeCloseTo(5.25 / 4, 6);
  });

  it("vanilla is binary cross-entropy on sigmoid(pred)", () => {
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const xs = [0.5, -1, 2, 0];
    const real = xs.reduce((s, x) => s - Math.log(sig(x)), 0) / 4;
    const fake = xs.reduce((s, x) => s - Math.log(1 - sig(x)), 0) / 4;
    expect(ganLoss(pred(), true, "vanilla").dataSync()[0]).toBeCloseTo(real, 6);
    expect(ganLoss(pred(), false, "vanilla").dataSync()[0]).toBeCloseTo(fake, 6);
    // stable for large logits (no log(0))
    expect(ganLoss(tf.tensor([200]), false, "vanilla").dataSync()[0]).toBeCloseTo(200, 3);
  });

  it("l1 is the mean absolute difference", () => {
    expect(l1(tf.tensor([1, 2, 3]), tf.tensor([0, 4, 3])).dataSync()[0]).toBeCloseTo(1, 6);
  });
});

describe("learning-rate schedule", () => {
  const o: ScheduleOptions = {
    lr_policy: "linear",
    epoch_count: 1,
    n_epochs: 100,
    n_epochs_decay: 100,
    lr_decay_iters: 50,
  };
  it("linear: constant for n_epochs, then linear decay towards 0", () => {
    expect(lrFactor(1, o)).toBe(1);
    expect(lrFactor(100, o)).toBe(1);
    expect(lrFactor(101, o)).toBeCloseTo(100 / 101, 12);
    expect(lrFactor(150, o)).toBeCloseTo(51 / 101, 12);
    expect(lrFactor(200, o)).toBeCloseTo(1 / 101, 12);
  });
  it("step and cosine", () => {
    expect(lrFactor(50, { ...o, lr_policy: "step" })).toBe(1);
    expect(lrFactor(51, { ...o, lr_policy: "step" })).toBeCloseTo(0.1, 12);
    expect(lrFactor(1, { ...o, lr_policy: "cosine" })).toBe(1);
    expect(lrFactor(51, { ...o, lr_policy: "cosine" })).toBeCloseTo(0.5, 12);
  });
});

describe("Adam", () => {
  it("follows torch.optim.Adam step by step", () => {
    const p = tf.variable(tf.tensor([1, -2]), true);
    const adam = new Adam(
      { g: new Map([["w", p]]) },
      { lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8 },
    );
    // float64 reference of the same recurrences
    let w = [1, -2];
    let m = [0, 0];
    let v = [0, 0];
    for (let t = 1; t <= 3; t++) {
      const g = w.map((x) => 2 * x + 1); // gradient of x^2 + x
      adam.apply({ g: new Map([["w", tf.tensor(g)]]) });
      m = m.map((mi, i) => 0.5 * mi + 0.5 * (g[i] as number));
      v = v.map((vi, i) => 0.999 * vi + 0.001 * (g[i] as number) ** 2);
      w = w.map(
        (x, i) =>
          x -
          (0.1 / (1 - 0.5 ** t)) *
            ((m[i] as number) / (Math.sqrt(v[i] as number) / Math.sqrt(1 - 0.999 ** t) + 1e-8)),
      );
      const got = p.dataSync();
      expect(got[0]).toBeCloseTo(w[0] as number, 5);
      expect(got[1]).toBeCloseTo(w[1] as number, 5);
    }
    expect(adam.step).toBe(3);
    adam.dispose();
    p.dispose();
  });
});

describe("seeded random numbers", () => {
  it("repeats from a seed or a saved state, and streams differ", () => {
    const a = Rng.derive(3, "x");
    const first = [a.random(), a.random()];
    const saved = a.state();
    const next = [a.random(), a.int(10), a.randn()];
    expect([Rng.derive(3, "x").random(), 0][0]).toBe(first[0]);
    const b = new Rng(saved);
    expect([b.random(), b.int(10), b.randn()]).toEqual(next);
    expect(Rng.derive(3, "y").random()).not.toBe(first[0]);
    expect(Rng.derive(1, "p").permutation(6).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
