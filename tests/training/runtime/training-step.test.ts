/**
 * Whole trainer steps (CycleGAN.optimizeParameters) on wasm with the
 * runtime's ops against the plain reference ops on the CPU backend, and the
 * live-tensor count across steps. (What the step computes is pinned by
 * tests/training/objective.test.ts.)
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, expect, it } from "vitest";
import { CycleGAN, NET_NAMES } from "../../../training/model/cyclegan.ts";
import { forward, type Ops, referenceOps } from "../../../training/networks/tfjs.ts";
import { parseTrainOptions } from "../../../training/options.ts";
import { initBackend, type Runtime } from "../../../training/runtime/backend.ts";
import { on, randn, relErr } from "./helpers.ts";

let wasm: Runtime;
beforeAll(async () => {
  await initBackend("cpu");
  wasm = await initBackend("wasm");
});

/** A tiny CycleGAN: ngf 4, a 2-layer PatchGAN with ndf 4, no pool (the same work every step). */
const tiny = (...more: string[]) =>
  parseTrainOptions([
    ...["--dataroot", "-", "--netG", "resnet_6blocks", "--ngf", "4", "--netD", "n_layers"],
    ...["--n_layers_D", "2", "--ndf", "4", "--pool_size", "0", "--seed", "5", ...more],
  ]).options;

/** One step on images the caller keeps. */
function step(model: CycleGAN, a: tf.Tensor4D, b: tf.Tensor4D): void {
  model.setInput(tf.clone(a), tf.clone(b));
  model.optimizeParameters();
}

const weights = (model: CycleGAN) =>
  NET_NAMES.flatMap((net) =>
    [...model.nets[net].values()].map((v) => (v.dataSync() as Float32Array).slice()),
  );
const images = (seed: number, size: number) =>
  [randn([1, size, size, 3], seed), randn([1, size, size, 3], seed + 1)].map((t) =>
    tf.keep(tf.tanh(t)),
  ) as [tf.Tensor4D, tf.Tensor4D];

it("keeps the live tensor count and bytes flat across forward + backward steps", () => {
  const model = new CycleGAN(tiny("--ndf", "8", "--n_layers_D", "3"), wasm.ops);
  const [a, b] = images(10, 32);
  step(model, a, b);
  step(model, a, b);
  const before = tf.memory();
  for (let i = 0; i < 3; i++) step(model, a, b);
  const after = tf.memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numBytes).toBe(before.numBytes);
  model.dispose();
  tf.dispose([a, b]);
});

it("computes the gradients of the reference ops on the CPU backend", async () => {
  const model = new CycleGAN(tiny(), wasm.ops);
  const { specs, nets } = model;
  const [a, b] = images(20, 16);
  const vars = [...nets.G_A.values(), ...nets.G_B.values()];
  // One cycle-and-adversarial pass through both generators and a discriminator.
  const loss = (ops: Ops) => () =>
    tf.tidy(() => {
      const fake = forward(specs.G_A, nets.G_A, a, ops);
      const rec = forward(specs.G_B, nets.G_B, fake, ops);
      const adv = tf.mean(tf.square(tf.sub(forward(specs.D_A, nets.D_A, fake, ops), 1)));
      return tf.add(adv, tf.mul(tf.mean(tf.abs(tf.sub(rec, b))), 10)) as tf.Scalar;
    });
  const ref = await on("cpu", () => tf.variableGrads(loss(referenceOps), vars).grads);
  const mine = tf.variableGrads(loss(wasm.ops), vars).grads;
  expect(Object.keys(mine).sort()).toEqual(Object.keys(ref).sort());
  for (const [name, g] of Object.entries(ref)) {
    // Float32 sums in different orders through ~60 layers: agreement to ~1e-5 of the scale.
    expect(relErr(mine[name] as tf.Tensor, g), name).toBeLessThan(1e-4);
  }
  model.dispose();
});

it("gives the weights of the reference ops on the CPU backend after 2 Adam steps", async () => {
  const inputs = [images(30, 16), images(40, 16)];
  const train = async (ops: Ops) => {
    const model = new CycleGAN(tiny(), ops);
    const initial = weights(model);
    const losses = [];
    for (const [a, b] of inputs) {
      step(model, a, b);
      losses.push(await model.losses());
    }
    const w = weights(model);
    model.dispose();
    return { initial, losses, w };
  };
  const ref = await on("cpu", () => train(referenceOps));
  const mine = await train(wasm.ops);
  const lr = 2e-4;
  let total = 0;
  let close = 0;
  let worst = 0;
  let moved = 0;
  mine.w.forEach((values, i) => {
    const r = ref.w[i] as Float32Array;
    const start = ref.initial[i] as Float32Array;
    for (let j = 0; j < values.length; j++) {
      const d = Math.abs((values[j] as number) - (r[j] as number));
      total++;
      if (d < 1e-6) close++;
      worst = Math.max(worst, d);
      moved = Math.max(moved, Math.abs((r[j] as number) - (start[j] as number)));
    }
  });
  expect(moved).toBeGreaterThan(1.5 * lr);
  // Adam steps by about lr * sign(g) at first, so a gradient that sums to ~0 can take
  // either sign on two backends: a handful of weights may differ by whole steps, no more.
  // Measured here: all 69952 weights within 1e-6 (worst 5.5e-7, 0.0028 lr); allow 8 flips.
  expect(total - close).toBeLessThanOrEqual(8);
  mine.w.forEach((values, i) => {
    const r = ref.w[i] as Float32Array;
    for (let j = 0; j < values.length; j++) {
      const d = Math.abs((values[j] as number) - (r[j] as number));
      if (d < 1e-6) continue;
      // a sign flip moves by a sizeable part of a step, never a drift of a few 1e-6
      expect(d, `weight ${i}[${j}]`).toBeGreaterThan(0.5 * lr);
      expect(d, `weight ${i}[${j}]`).toBeLessThan(2 * lr * inputs.length + 1e-6);
    }
  });
  expect(worst).toBeLessThan(total - close > 0 ? 2 * lr * inputs.length + 1e-6 : 1e-6);
  mine.losses.forEach((l, i) => {
    for (const [name, value] of Object.entries(l))
      expect(value, name).toBeCloseTo(ref.losses[i]?.[name as keyof typeof l] as number, 4);
  });
});
