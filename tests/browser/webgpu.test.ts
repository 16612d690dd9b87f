/**
 * The WebGPU path end to end on Chromium's software adapter
 * (--enable-unsafe-webgpu: SwiftShader, no shader-f16, 100-300x slower than
 * WebAssembly), so tiny networks and small images only. Run on every CI pass
 * so the WebGPU code path and the fallback stay tested without a GPU.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { openSite, pickModel, setOptions, translate, upload } from "../../scripts/lib/site-page.ts";
import { testPhoto } from "../../scripts/lib/test-photo.ts";
import { seedOf, type TinyModel, tinyModel } from "../../scripts/lib/tiny-models.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { decodeRgba, diffRgb, referenceTranslate } from "./reference.ts";

let worker: RunningWorker;
let browser: Browser;
let tiny: TinyModel;
let fp32Only: TinyModel;

beforeAll(async () => {
  tiny = tinyModel({ id: "tiny" });
  // One variant only, so both engines run the very same file.
  fp32Only = tinyModel({ id: "tiny-fp32", dtypes: ["fp32"], seed: 2 });
  worker = await startWorker({ seed: seedOf(tiny, fp32Only) });
  browser = await launch({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

describe("WebGPU in headless Chromium", () => {
  it("matches WebAssembly and onnxruntime-node on the same fp32 file", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await pickModel(page, "tiny-fp32");
    await setOptions(page, { engine: "auto", workingSize: 64 });
    // Automatic skips a software adapter; WebGPU stays available when forced.
    await expect
      .poll(() => page.locator("#engine-caps").textContent())
      .toMatch(/WebGPU available \(software adapter/);
    const photo = await testPhoto(36, 28);
    const wasm = await translate(page, upload(page, "#photo-file", "p.png", "image/png", photo));
    expect([wasm.engine, wasm.dtype]).toEqual(["wasm", "fp32"]);

    await setOptions(page, { engine: "webgpu" });
    const gpu = await translate(page, () => page.click("#translate"), { timeoutMs: 110_000 });
    expect([gpu.engine, gpu.dtype, gpu.fellBack]).toEqual(["webgpu", "fp32", false]);
    expect(gpu.note).toMatch(/^WebGPU fp32: 36×28 in /);

    const [a, b] = [await decodeRgba(wasm.png), await decodeRgba(gpu.png)];
    expect(diffRgb(a, b).max).toBeLessThanOrEqual(1);
    const expected = await referenceTranslate(fp32Only.onnx.get("fp32") as Uint8Array, photo, 64);
    expect(diffRgb(b, expected).max).toBeLessThanOrEqual(1);
    expect(browser.problems.filter((p) => !/status of 404/.test(p))).toEqual([]);
  }, 240_000); // SwiftShader compiles every shader on the CPU

  it("runs full resolution (statistics pass, then tiles on frozen statistics) like onnxruntime-node", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await pickModel(page, "tiny-fp32");
    await setOptions(page, { engine: "webgpu", mode: "full", workingSize: 64 });
    const photo = await testPhoto(100, 72); // statistics at 64x46, then 2 x 2 tiles of 64
    const gpu = await translate(page, upload(page, "#photo-file", "p.png", "image/png", photo), {
      timeoutMs: 110_000,
    });
    expect([gpu.engine, gpu.dtype, gpu.fellBack]).toEqual(["webgpu", "fp32", false]);
    expect(gpu.note).toMatch(/^WebGPU fp32: 100×72 in 4 tiles in .*colour statistics/);
    const expected = await referenceTranslate(fp32Only.onnx.get("fp32") as Uint8Array, photo, 64);
    expect(diffRgb(await decodeRgba(gpu.png), expected).max).toBeLessThanOrEqual(1);
  }, 240_000);

  it("falls back to WebAssembly when the WebGPU device is lost, and says so", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/?model=tiny&fault=gpu-lost`);
    await setOptions(page, { engine: "webgpu", workingSize: 64 });
    const photo = await testPhoto(32, 24);
    const result = await translate(page, upload(page, "#photo-file", "p.png", "image/png", photo), {
      timeoutMs: 110_000,
    });
    expect([result.engine, result.fellBack]).toEqual(["wasm", true]);
    expect(result.messages).toMatch(
      /WebGPU failed \(the WebGPU device was lost .*\)\. Switched to WebAssembly\./,
    );
    expect(result.note).toMatch(/after WebGPU failed/);
    const expected = await referenceTranslate(tiny.onnx.get("int8") as Uint8Array, photo, 64);
    expect(diffRgb(await decodeRgba(result.png), expected).max).toBeLessThanOrEqual(1);
  }, 240_000); // SwiftShader compiles every shader on the CPU
});
