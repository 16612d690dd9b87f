/**
 * The trainer's CycleGAN step in a browser page on WebGPU (Chromium's
 * SwiftShader adapter here), bundled from training/browser/webgpu-steps.ts,
 * against the same run on WebAssembly in Node.
 */
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import type { StepRun, StepRunResult } from "../../training/model/step-run.ts";
import { runSteps } from "../../training/model/step-run.ts";
import { initBackend } from "../../training/runtime/backend.ts";
import { tinyRun, weightDiff } from "../training/helpers/step-run.ts";

const ORIGIN = "http://127.0.0.1:9"; // never reached: every request is answered by page.route
let browser: Browser;
let bundle: string;

beforeAll(async () => {
  const out = await build({
    entryPoints: [path.resolve(import.meta.dirname, "../../training/browser/webgpu-steps.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    external: ["webgpu"], // Dawn is the Node stand-in for navigator.gpu; a page has its own
    write: false,
    logLevel: "silent",
  });
  bundle = out.outputFiles[0]?.text ?? "";
  browser = await launch({ webgpu: true });
  await browser.page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/steps.js")
      return route.fulfill({ contentType: "text/javascript", body: bundle });
    return route.fulfill({
      contentType: "text/html",
      body: '<!doctype html><script type="module" src="/steps.js"></script>',
    });
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe("training in a browser page on WebGPU", () => {
  it("runs the trainer's step and matches WebAssembly's weights", async () => {
    const run = tinyRun();
    const wasm = await runSteps(run, (await initBackend("wasm")).ops);
    const { page } = browser;
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => typeof globalThis.unpairedRunSteps === "function");
    const gpu = (await page.evaluate(
      (r: StepRun) => globalThis.unpairedRunSteps(r),
      run,
    )) as StepRunResult & { backend: string };
    expect(gpu.backend).toMatch(/^webgpu \(/);
    const d = weightDiff(wasm, gpu);
    expect(d.max).toBeLessThan(2e-5);
    expect(d.p99).toBeLessThan(1e-7);
    for (const [name, value] of Object.entries(wasm.losses))
      expect(gpu.losses[name]).toBeCloseTo(value, 4);
    expect(browser.problems).toEqual([]);
  }, 300_000);
});
