/**
 * Live camera on WebGPU, end to end on Chromium's software adapter
 * (SwiftShader: 100-300x slower than WebAssembly, so a tiny generator at the
 * smallest size), with a fake camera from a Y4M clip made here. The frame is
 * converted by a compute shader, run with GPU-resident input and output and
 * packed to bytes on the GPU; the translation must equal onnxruntime-node's
 * on the same input within 1 level of 255. A lost device (?fault=gpu-lost)
 * switches live mode to WebAssembly and it goes on drawing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { writeY4m } from "../../scripts/lib/live-clip.ts";
import { openSite, setOptions, translate } from "../../scripts/lib/site-page.ts";
import { seedOf, type TinyModel, tinyModel } from "../../scripts/lib/tiny-models.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { decodeRgba, diffRgb, independentTranslate } from "./reference.ts";

let dir: string;
let worker: RunningWorker;
let browser: Browser;
let tiny: TinyModel;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "unpaired-live-gpu-"));
  const clip = await writeY4m(
    path.join(dir, "clip.y4m"),
    { width: 320, height: 240, frames: 10, fps: 30 },
    true,
  );
  tiny = tinyModel({ id: "tiny" }); // fp32 on WebGPU without shader-f16, int8 on WebAssembly
  worker = await startWorker({ seed: seedOf(tiny) });
  browser = await launch({ webgpu: true, fakeCamera: { clip } });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function live(page: Page): Promise<Record<string, string | undefined>> {
  return page.locator("#live").evaluate((el) => ({ ...(el as HTMLElement).dataset }));
}

async function start(page: Page, query: string): Promise<void> {
  await openSite(page, `${worker.url}/?${query}`);
  await setOptions(page, { engine: "webgpu" });
  await page.selectOption("#live-size", "128");
  await page.click("#live-toggle");
}

describe("live camera on WebGPU (software adapter)", () => {
  it("translates camera frames on the GPU like onnxruntime-node", async () => {
    const { page } = browser;
    await start(page, "model=tiny");
    await expect
      .poll(async () => Number((await live(page)).drawn ?? 0), { timeout: 200_000, interval: 1000 })
      .toBeGreaterThanOrEqual(2);
    const data = await live(page);
    expect([data.engine, data.dtype, data.width, data.height]).toEqual([
      "webgpu",
      "fp32",
      "128",
      "96",
    ]);
    expect(await page.locator("#live-stats").textContent()).toMatch(/128×96, WebGPU fp32\./);
    const result = await translate(page, () => page.click("#live-snapshot"), {
      timeoutMs: 200_000,
    });
    expect([result.engine, result.dtype]).toEqual(["webgpu", "fp32"]);
    const input = await page.evaluate(async () => {
      const src = (document.querySelector("#compare [data-role=before]") as HTMLImageElement).src;
      return Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer()));
    });
    const expected = await independentTranslate(
      tiny.onnx.get("fp32") as Uint8Array,
      new Uint8Array(input),
    );
    expect(diffRgb(await decodeRgba(result.png), expected).max).toBeLessThanOrEqual(1);
    await page.click("#live-toggle");
    expect(browser.problems.filter((p) => !/status of 404/.test(p))).toEqual([]);
  }, 400_000);

  it("goes on with WebAssembly when the WebGPU device is lost, and says so", async () => {
    const { page } = browser;
    await start(page, "model=tiny&fault=gpu-lost");
    await expect
      .poll(async () => (await live(page)).engine, { timeout: 200_000, interval: 1000 })
      .toBe("wasm");
    await expect
      .poll(() => page.locator("#live-message").textContent())
      .toMatch(/The WebGPU device was lost \(.*\)\. Live mode continues on WebAssembly\./);
    const drawnBefore = Number((await live(page)).drawn ?? 0);
    await expect
      .poll(async () => Number((await live(page)).drawn ?? 0), { timeout: 60_000 })
      .toBeGreaterThan(drawnBefore + 2);
    expect((await live(page)).state).toBe("running");
    await page.click("#live-toggle");
  }, 400_000);
});
