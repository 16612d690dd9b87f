/** The U-Net generators (unet_128, unet_256) as specs and running in tfjs. */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { buildGenerator, GENERATORS } from "../../training/networks/index.ts";
import { countParams, type Layer, paramShapes } from "../../training/networks/spec.ts";
import { forward, initParams, referenceOps } from "../../training/networks/tfjs.ts";
import { initBackend, type Runtime } from "../../training/runtime/backend.ts";
import { on, randn, relErr } from "./runtime/helpers.ts";

describe("U-Net specs", () => {
  it("are registered under the reference's names", () => {
    expect(Object.keys(GENERATORS)).toEqual(expect.arrayContaining(["unet_128", "unet_256"]));
    expect(buildGenerator("unet_128", { ngf: 8 }).sizeMultiple).toBe(128);
    expect(buildGenerator("unet_256", { ngf: 8 }).sizeMultiple).toBe(256);
  });

  it("have the reference's parameter count (instance norm: every conv keeps its bias)", () => {
    // Worked out by hand from UnetSkipConnectionBlock: 4x4 convs, weights + biases.
    expect(countParams(buildGenerator("unet_128", { ngf: 64 }))).toBe(41_825_667);
    // unet_256 adds one (512 -> 512) block: 4x4x512x512 + 512 down, 4x4x1024x512 + 512 up.
    expect(countParams(buildGenerator("unet_256", { ngf: 64 }))).toBe(41_825_667 + 12_583_936);
  });

  it("name parameters like the reference state dict", () => {
    const shapes = new Map(
      paramShapes(buildGenerator("unet_128", { ngf: 64 })).map((p) => [p.name, p.shape]),
    );
    expect(shapes.get("model.model.0.weight")).toEqual([64, 3, 4, 4]);
    expect(shapes.get("model.model.1.model.1.weight")).toEqual([128, 64, 4, 4]);
    expect(shapes.get("model.model.1.model.5.weight")).toEqual([256, 64, 4, 4]);
    expect(shapes.get("model.model.3.weight")).toEqual([128, 3, 4, 4]);
    // Six nested blocks under the outermost one; the innermost has no norm after its down conv.
    const innermost = "model.model.1.model.3.model.3.model.3.model.3.model.3.model";
    expect(shapes.get(`${innermost}.1.weight`)).toEqual([512, 512, 4, 4]);
    expect(shapes.get(`${innermost}.3.weight`)).toEqual([512, 512, 4, 4]);
    expect(shapes.has(`${innermost}.5.weight`)).toBe(false);
  });

  it("concatenate LeakyReLU(x) on every skip, as the reference's in-place LeakyReLU does", () => {
    const check = (layers: Layer[]): number => {
      let skips = 0;
      layers.forEach((l, i) => {
        if (l.op !== "concatSkip") return;
        expect(layers[i - 1]).toEqual({ op: "leakyRelu", alpha: 0.2 });
        skips += 1 + check(l.body);
      });
      return skips;
    };
    expect(check(buildGenerator("unet_256", { ngf: 8 }).layers)).toBe(7);
  });
});

describe("U-Net in tfjs", () => {
  let wasm: Runtime;
  beforeAll(async () => {
    await initBackend("cpu");
    wasm = await initBackend("wasm");
  });

  it("runs unet_128 on wasm with the gradients of the reference ops on the CPU backend", async () => {
    const spec = buildGenerator("unet_128", { ngf: 2 });
    let seed = 1;
    const params = initParams(spec, 0.02, () => Math.sin(seed++ * 12.9898) * 1.7, "unet-test/");
    const x = tf.tanh(randn([1, 128, 128, 3], 2)) as tf.Tensor4D;
    const target = tf.tanh(randn([1, 128, 128, 3], 3));
    const vars = [...params.values()];
    const loss = (ops: typeof referenceOps) => () =>
      tf.mean(tf.abs(tf.sub(forward(spec, params, x, ops), target))) as tf.Scalar;
    const ref = await on("cpu", () => tf.variableGrads(loss(referenceOps), vars));
    const mine = tf.variableGrads(loss(wasm.ops), vars);
    expect(mine.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0] as number, 5);
    for (const [name, g] of Object.entries(ref.grads)) {
      expect(relErr(mine.grads[name] as tf.Tensor, g), name).toBeLessThan(1e-4);
    }
    const y = forward(spec, params, x, wasm.ops);
    expect(y.shape).toEqual([1, 128, 128, 3]);
    expect(() => forward(spec, params, tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, wasm.ops)).toThrow(
      /multiples of 128/,
    );
    for (const v of vars) v.dispose();
  });
});
