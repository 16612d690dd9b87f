/**
 * --backend native: the wasm backend with its three convolution kernels on
 * oneDNN (native/dnnl-conv). The kernels against the CPU backend's, the load
 * check and the fallback, and CycleGAN steps against the wasm path, with
 * deliberately wrong kernels to show the comparison catches a wrong gradient.
 */
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runSteps } from "../../../training/model/step-run.ts";
import { initBackend } from "../../../training/runtime/backend.ts";
import {
  ADDON_PATH,
  checkAddon,
  type DnnlAddon,
  installNativeConvKernels,
  loadAddon,
} from "../../../training/runtime/native-conv.ts";
import { tinyRun, weightDiff } from "../helpers/step-run.ts";
import { CONV_CASES, on, randn, relErr } from "./helpers.ts";

const built = existsSync(ADDON_PATH);

// CI installs libdnnl-dev and builds the addon (scripts/build-native.sh): there it must exist.
it.runIf(process.env.CI)("the addon is built (scripts/build-native.sh)", () => {
  expect(built).toBe(true);
});

/** The addon with two taps of one operand or result swapped: a wrong gradient, plausibly sized. */
function swappedTaps(addon: DnnlAddon, which: "dx" | "dw"): DnnlAddon {
  const swap = (t: Float32Array, g: Int32Array) => {
    const block = (g[3] as number) * (g[6] as number); // ci * co: one tap of an hwio filter
    if ((g[7] as number) * (g[8] as number) < 2) return;
    const first = t.slice(0, block);
    t.copyWithin(0, block, 2 * block);
    t.set(first, block);
  };
  return {
    ...addon,
    conv(op, a, b, out, g) {
      if (op === 1 && which === "dx") {
        const w = b.slice();
        swap(w, g);
        return addon.conv(op, a, w, out, g);
      }
      addon.conv(op, a, b, out, g);
      if (op === 2 && which === "dw") swap(out, g);
    },
  };
}

describe.runIf(built)("native conv kernels", () => {
  let addon: DnnlAddon;
  beforeAll(async () => {
    await initBackend("cpu");
    await initBackend("native");
    addon = loadAddon();
  });
  afterEach(() => installNativeConvKernels(addon));

  it.each(CONV_CASES)(
    "n%i %ix%i %i->%i k%i s%i p%i: conv2d, conv2dTranspose and their gradients equal the CPU kernels",
    async (n, h, w, ci, co, k, s, p) => {
      const pad = p === 0 ? ("valid" as const) : p;
      const x = randn([n, h, w, ci], 1) as tf.Tensor4D;
      const wt = randn([k, k, ci, co], 2) as tf.Tensor4D;
      const conv = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad);
      const dy = randn(conv(x, wt).shape, 3);
      const outShape: [number, number, number, number] = [
        n,
        (h - 1) * s - 2 * p + k + s - 1,
        (w - 1) * s - 2 * p + k + s - 1,
        co,
      ];
      const wT = randn([k, k, co, ci], 5) as tf.Tensor4D;
      const convT = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, s, pad);
      const dyT = randn(outShape, 6);
      const all = () => [
        conv(x, wt),
        ...tf.grads(conv)([x, wt], dy),
        convT(x, wT),
        ...tf.grads(convT)([x, wT], dyT),
      ];
      const want = await on("cpu", all);
      expect(tf.getBackend()).toBe("wasm");
      const got = all();
      for (const [i, t] of got.entries())
        expect(relErr(t, want[i] as tf.Tensor), `output ${i}`).toBeLessThan(1e-5);
    },
  );

  it("checkAddon passes the addon and rejects one with swapped taps", () => {
    expect(() => checkAddon(addon)).not.toThrow();
    expect(() => checkAddon(swappedTaps(addon, "dw"))).toThrow(
      /computes wrong numbers \(backward weights/,
    );
    expect(() => checkAddon(swappedTaps(addon, "dx"))).toThrow(
      /computes wrong numbers \(backward data/,
    );
  });

  it("three CycleGAN steps give the wasm path's weights; a swapped tap in either gradient does not", async () => {
    const run = tinyRun(3);
    const wasm = await runSteps(run, (await initBackend("wasm")).ops);
    const rt = await initBackend("native");
    expect(rt.kind).toBe("native");
    const native = await runSteps(run, rt.ops);
    const d = weightDiff(wasm, native);
    // Three Adam steps move a weight by up to 3 * lr = 6e-4; measured max 2e-7 (the CPU
    // backend's reference ops are 9e-7 from wasm), a wrong gradient 1e-3.
    expect(d.max).toBeLessThan(2e-6);
    expect(d.p99).toBeLessThan(1e-7);
    // Biases are compared too: every one that trains moved past the tolerance, so a
    // dropped bias gradient (the bias stays 0) would fail the bound above.
    const biases = Object.entries(wasm.weights).filter(
      ([name, v]) => name.endsWith(".bias") && v.some((x) => x !== 0),
    );
    expect(biases.length).toBeGreaterThan(0);
    for (const [name, v] of biases)
      expect(Math.max(...v.map(Math.abs)), name).toBeGreaterThan(1e-4);
    for (const [name, value] of Object.entries(wasm.losses))
      expect(native.losses[name], name).toBeCloseTo(value, 4);
    for (const which of ["dw", "dx"] as const) {
      installNativeConvKernels(swappedTaps(addon, which));
      const wrong = weightDiff(wasm, await runSteps(run, rt.ops));
      expect(wrong.max, which).toBeGreaterThan(1e-4);
    }
  }, 120_000);
});

describe("native backend choice", () => {
  it("auto falls back to wasm with one line saying why when the addon does not load", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const rt = await initBackend("auto", { nativeAddon: "/nonexistent/dnnl_conv.node" });
      expect(rt.kind).toBe("wasm");
      expect(rt.name).toMatch(/^wasm \(/);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(
        /native convolutions unavailable, training on wasm: .*not built.*build-native\.sh/,
      );
      // and the wasm kernels are back in place: a conv runs on them
      const y = tf.conv2d(
        tf.ones([1, 3, 3, 1]) as tf.Tensor4D,
        tf.ones([2, 2, 1, 1]) as tf.Tensor4D,
        1,
        "valid",
      );
      expect(Array.from(y.dataSync())).toEqual([4, 4, 4, 4]);
    } finally {
      warn.mockRestore();
    }
  });

  it("an explicit native choice that cannot load says how to build it", async () => {
    await expect(
      initBackend("native", { nativeAddon: "/nonexistent/dnnl_conv.node" }),
    ).rejects.toThrow(
      /backend "native" could not be loaded \(the oneDNN conv addon is not built; build it with: bash scripts\/build-native\.sh/,
    );
  });

  it.runIf(built)("names the engine it runs on", async () => {
    const rt = await initBackend("native", { convThreads: 1 });
    expect(rt.name).toMatch(
      /^native \(oneDNN \d+\.\d+\.\d+ convolutions on 1 core; wasm \(SIMD, 1 thread\) for the rest\)$/,
    );
    expect(rt.backend).toBe("wasm");
  });
});
