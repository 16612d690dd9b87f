/**
 * --backend webgpu in Node: tfjs-backend-webgpu on Dawn. Here the adapter is
 * SwiftShader (software Vulkan from Debian's chromium), so the networks are
 * tiny; the same code runs on any Vulkan/Metal/D3D12 GPU.
 */
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { runSteps } from "../../../training/model/step-run.ts";
import { initBackend } from "../../../training/runtime/backend.ts";
import { tinyRun, useSoftwareVulkan, weightDiff } from "../helpers/step-run.ts";

describe("webgpu backend (Dawn in Node)", () => {
  it("trains two CycleGAN steps to the same weights as WebAssembly", async () => {
    const run = tinyRun();
    const wasm = await runSteps(run, (await initBackend("wasm")).ops);
    useSoftwareVulkan();
    const rt = await initBackend("webgpu");
    expect(tf.getBackend()).toBe("webgpu");
    expect(rt.name).toMatch(/^webgpu \(/);
    const gpu = await runSteps(run, rt.ops);
    const d = weightDiff(wasm, gpu);
    // Two Adam steps move each weight by up to 2 * lr = 4e-4: these bounds are far below that.
    expect(d.max).toBeLessThan(2e-5);
    expect(d.p99).toBeLessThan(1e-7);
    for (const [name, value] of Object.entries(wasm.losses))
      expect(gpu.losses[name]).toBeCloseTo(value, 4);
  }, 180_000);

  it("says how to get an adapter when there is none", () => {
    const script =
      'import("./training/runtime/backend.ts").then(m => m.initBackend("webgpu"))' +
      ".then(() => process.exit(0), e => { console.error(e.message); process.exit(3); })";
    const r = spawnSync(process.execPath, ["-e", script], {
      env: { ...process.env, VK_ICD_FILENAMES: "/nonexistent/icd.json" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(
      /no WebGPU adapter: .*VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/,
    );
  }, 90_000);
});
