/** Backend selection: names, fall-backs and the errors a user sees. */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { referenceOps } from "../../../training/networks/tfjs.ts";
import { type BackendChoice, initBackend } from "../../../training/runtime/backend.ts";
import { ADDON_PATH } from "../../../training/runtime/native-conv.ts";

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const nativeInstalled =
  installed("@tensorflow/tfjs-node") || installed("@tensorflow/tfjs-node-gpu");

describe("initBackend", () => {
  it("starts the WebAssembly backend with SIMD and its .wasm from node_modules", async () => {
    const rt = await initBackend("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(rt.backend).toBe("wasm");
    expect(rt.name).toMatch(/^wasm \(SIMD, \d+ threads?\)$/);
    const y = tf.conv2d(
      tf.ones([1, 4, 4, 2]) as tf.Tensor4D,
      tf.ones([3, 3, 2, 1]) as tf.Tensor4D,
      1,
      "valid",
    );
    expect(Array.from(y.dataSync())).toEqual([18, 18, 18, 18]);
  });

  it("offers the unoptimised path for before/after benchmarks", async () => {
    const rt = await initBackend("wasm", { kernels: "baseline" });
    expect(rt.name).toMatch(/^wasm \(SIMD, \d+ threads?\), baseline kernels$/);
    expect(rt.ops).toBe(referenceOps);
    const fast = await initBackend("wasm");
    expect(fast.ops).not.toBe(referenceOps);
  });

  it("starts the CPU backend", async () => {
    const rt = await initBackend("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(rt.name).toMatch(/^cpu/);
  });

  it.skipIf(nativeInstalled)(
    "auto falls back to native (or wasm) when tfjs-node is not installed",
    async () => {
      const rt = await initBackend("auto");
      expect(rt.backend).toBe("wasm");
      expect(rt.kind).toBe(existsSync(ADDON_PATH) ? "native" : "wasm");
    },
  );

  it.skipIf(nativeInstalled)(
    "an explicit tensorflow choice fails saying how to install it",
    async () => {
      await expect(initBackend("tensorflow")).rejects.toThrow(
        /npm install --save-exact @tensorflow\/tfjs-node@4\.22\.0/,
      );
    },
  );

  it("rejects unknown backends with the valid names", async () => {
    await expect(initBackend("webgl" as BackendChoice)).rejects.toThrow(
      /Should be one of: auto, tensorflow, webgpu, native, wasm, cpu/,
    );
  });
});
