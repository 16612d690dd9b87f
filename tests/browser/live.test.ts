/**
 * Live camera on WebAssembly in real headless Chromium, with a fake camera
 * playing a Y4M clip made here (scripts/lib/live-clip.ts).
 *
 * Tolerances: the translated frame is within 1 level of 255 per channel of
 * onnxruntime-node's translation of the same input (float rounding between
 * onnxruntime-web and -node, as in site.test.ts); the input the model saw is
 * the clip's frame, converted here independently (BT.601 limited range,
 * chroma per 2x2 block) and area-averaged by models/resize.ts, within 4
 * levels (Chromium interpolates chroma) and 1 level on average.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resizeArea } from "../../models/resize.ts";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { type Clip, clipRgba, writeY4m } from "../../scripts/lib/live-clip.ts";
import { openSite, translate } from "../../scripts/lib/site-page.ts";
import { seedOf, type TinyModel, tinyModel } from "../../scripts/lib/tiny-models.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { decodeRgba, diffRgb, independentTranslate } from "./reference.ts";

/** expect.poll with room for a model download and engine start on 2 busy cores. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 60_000, interval: 200 });

const CLIP: Clip = { width: 320, height: 240, frames: 30, fps: 30 };

let dir: string;
let clip: string;
let worker: RunningWorker;
let browser: Browser;
let tiny: TinyModel;
let slow: TinyModel;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "unpaired-live-"));
  clip = await writeY4m(path.join(dir, "clip.y4m"), CLIP, true);
  tiny = tinyModel({ id: "tiny" });
  // The shipped models' shape (ngf 16, 6 blocks): slow enough on 2 cores to make the camera outrun it.
  slow = tinyModel({ id: "slow", ngf: 16, nBlocks: 6, dtypes: ["fp32"], std: 0.02 });
  worker = await startWorker({ seed: seedOf(tiny, slow) });
  browser = await launch({ fakeCamera: { clip } });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type LiveData = Record<string, string | undefined>;

function liveData(page: Page): Promise<LiveData> {
  return page.locator("#live").evaluate((el) => ({ ...(el as HTMLElement).dataset }));
}

/** Waits until at least `n` frames were drawn since the live engine started. */
async function drawn(page: Page, n: number, timeout = 90_000): Promise<LiveData> {
  try {
    await page.waitForFunction(
      (k) => Number(document.getElementById("live")?.dataset.drawn ?? 0) >= k,
      n,
      { timeout },
    );
  } catch (err) {
    throw new Error(
      `live mode drew too few frames; it says: ${await page.locator("#live-message").textContent()}\n${err}`,
    );
  }
  return liveData(page);
}

/** Opens the page on a style with a fixed live size (a chosen size is never re-picked). */
async function openLive(page: Page, query: string, size: number): Promise<void> {
  await openSite(page, `${worker.url}/?${query}`);
  await page.selectOption("#live-size", String(size));
  await page.click("#live-toggle");
}

async function stopLive(page: Page): Promise<void> {
  if ((await page.locator("#live-toggle").getAttribute("aria-pressed")) === "true")
    await page.click("#live-toggle");
}

/** The "before" image of the result panel, as PNG bytes. */
async function beforeImage(page: Page): Promise<Uint8Array> {
  const b64 = await page.evaluate(async () => {
    const src = (document.querySelector("#compare [data-role=before]") as HTMLImageElement).src;
    const bytes = new Uint8Array(await (await fetch(src)).arrayBuffer());
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000)
      s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  });
  return new Uint8Array(Buffer.from(b64, "base64"));
}

describe("live camera on WebAssembly", () => {
  it("translates the camera's frame like onnxruntime-node, and Snapshot then Download gives that frame", async () => {
    const { page } = browser;
    const requests: string[] = [];
    page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await openLive(page, "model=tiny", 128);
    const live = await drawn(page, 3);
    expect([live.engine, live.dtype, live.width, live.height]).toEqual([
      "wasm",
      "int8",
      "128",
      "96",
    ]);
    await poll(() => page.locator("#live-stats").textContent()).toMatch(
      /^\d+\.\d frames\/s, 128×96, WebAssembly int8 with \d threads?\. Latency .* run .* ms\./,
    );

    const result = await translate(page, () => page.click("#live-snapshot"));
    expect([result.engine, result.dtype]).toEqual(["wasm", "int8"]);
    expect(result.note).toMatch(/^WebAssembly int8 with \d threads?: 128×96 in /);
    const input = await beforeImage(page);
    const seen = await decodeRgba(input);
    const out = await decodeRgba(result.png); // the Download link's PNG
    expect([out.width, out.height]).toEqual([128, 96]);
    const expected = await independentTranslate(tiny.onnx.get("int8") as Uint8Array, input);
    expect(diffRgb(out, expected).max).toBeLessThanOrEqual(1);

    // The input is the clip's frame, shrunk to 128x96.
    const frame = clipRgba(CLIP);
    const shrunk = resizeArea(frame, CLIP.width, CLIP.height, 4, 128, 96);
    const d = diffRgb(seen, { pixels: new Uint8Array(shrunk.buffer), width: 128, height: 96 });
    expect(d.max).toBeLessThanOrEqual(4);
    expect(d.mean).toBeLessThanOrEqual(1);

    // Nothing but the page's own files went out: no frame was sent anywhere.
    expect(requests.filter((r) => !r.startsWith("GET "))).toEqual([]);
    await stopLive(page);
    expect(browser.problems.filter((p) => !/status of 404/.test(p))).toEqual([]);
  });

  it("drops frames instead of queueing them when the engine is slower than the camera", async () => {
    const { page } = browser;
    await openLive(page, "model=slow", 256);
    await drawn(page, 2);
    const first = await liveData(page);
    await page.waitForTimeout(6000);
    const last = await liveData(page);
    await stopLive(page);
    const n = (d: LiveData, k: string) => Number(d[k]);
    // At most one frame was ever with the engine (sent - drawn never exceeded 1).
    expect(n(last, "sent") - n(last, "drawn")).toBeLessThanOrEqual(1);
    // The camera presented far more frames than the engine drew; the rest were dropped.
    expect(n(last, "presented")).toBeGreaterThan(2 * n(last, "drawn"));
    expect(n(last, "dropped")).toBeGreaterThan(n(last, "drawn"));
    // Latency stays bounded by about one frame's work: a queue would add a frame's work for
    // every waiting frame (here over a minute after 6 s). Loose bounds: 2 cores shared with others.
    const frameMs = 1000 / n(last, "fps");
    expect(n(last, "latencyP50")).toBeLessThan(2 * frameMs + 100);
    expect(n(last, "latencyP95")).toBeLessThan(3 * frameMs + 250);
    expect(n(last, "latencyP50")).toBeLessThan(n(first, "latencyP50") * 3 + 250);
  });

  it("releases the camera on Stop, and pauses while the tab is hidden", async () => {
    const { page } = browser;
    await openLive(page, "model=tiny", 128);
    await drawn(page, 2);
    await page.evaluate(() => {
      const video = document.getElementById("live-video") as HTMLVideoElement;
      (window as unknown as { track: MediaStreamTrack }).track = (
        video.srcObject as MediaStream
      ).getVideoTracks()[0] as MediaStreamTrack;
    });

    // Headless Chromium keeps every tab visible (another tab in front changes nothing), so the
    // page is told what a hidden tab is told: visibilityState "hidden" and a visibilitychange.
    const setVisibility = (state: "hidden" | "visible") =>
      page.evaluate((v) => {
        Object.defineProperty(document, "visibilityState", { value: v, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
      }, state);
    await setVisibility("hidden");
    await poll(async () => (await liveData(page)).state).toBe("paused");
    expect(
      await page.evaluate(() => (window as unknown as { track: MediaStreamTrack }).track.enabled),
    ).toBe(false);
    const pausedAt = Number((await liveData(page)).drawn);
    await page.waitForTimeout(1000);
    expect(Number((await liveData(page)).drawn)).toBeLessThanOrEqual(pausedAt + 1);
    await setVisibility("visible");
    await poll(async () => (await liveData(page)).state).toBe("running");
    await drawn(page, pausedAt + 2);

    await page.click("#live-toggle");
    const after = await page.evaluate(() => ({
      track: (window as unknown as { track: MediaStreamTrack }).track.readyState,
      src: (document.getElementById("live-video") as HTMLVideoElement).srcObject,
    }));
    expect(after).toEqual({ track: "ended", src: null });
    expect((await liveData(page)).state).toBe("off");
    expect(await page.locator("#live-view").isHidden()).toBe(true);
  });

  it("says when the camera is unplugged mid-stream, and the page stays usable", async () => {
    const { page } = browser;
    await openLive(page, "model=tiny", 128);
    await drawn(page, 1);
    // Chromium's fake camera cannot be unplugged: the track's own "ended" event is what an unplug fires.
    await page.evaluate(() => {
      const video = document.getElementById("live-video") as HTMLVideoElement;
      (video.srcObject as MediaStream).getVideoTracks()[0]?.dispatchEvent(new Event("ended"));
    });
    await poll(() => page.locator("#live-message").textContent()).toMatch(
      /The camera stopped: it was unplugged/,
    );
    expect(await page.locator("#live-message").getAttribute("role")).toBe("alert");
    expect((await liveData(page)).state).toBe("error");
    // Start camera works again.
    await page.click("#live-toggle");
    await poll(async () => (await liveData(page)).state).toBe("running");
    await stopLive(page);
  });

  it("says when the camera is busy (another app holds it)", async () => {
    const { page } = browser;
    // Chromium cannot make its fake camera busy: getUserMedia fails here as it does then.
    await page.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException("Could not start video source", "NotReadableError"));
    });
    await openLive(page, "model=tiny", 128);
    await poll(() => page.locator("#live-message").textContent()).toMatch(
      /another app or tab may be using it/,
    );
    expect((await liveData(page)).state).toBe("error");
    expect(await page.locator("#live-toggle").textContent()).toBe("Start camera");
  });
});

describe("live camera errors Chromium can simulate", () => {
  for (const [what, opts, words] of [
    [
      "permission is denied",
      { fakeCamera: { clip: "", permission: "deny" } },
      /Camera access was denied/,
    ],
    [
      "there is no camera",
      { extraArgs: ["--use-fake-ui-for-media-stream"] },
      /No camera was found/,
    ],
  ] as const) {
    it(`says so when ${what}`, async () => {
      const b = await launch(
        "fakeCamera" in opts
          ? { fakeCamera: { ...opts.fakeCamera, clip } }
          : { extraArgs: [...opts.extraArgs] },
      );
      try {
        await openLive(b.page, "model=tiny", 128);
        await poll(() => b.page.locator("#live-message").textContent()).toMatch(words);
        expect((await liveData(b.page)).state).toBe("error");
        // The rest of the page still works: the photo input is there and nothing threw.
        expect(await b.page.locator("#photo-file").count()).toBe(1);
        expect(
          b.problems.filter((p) => !/Permission denied|Requested device not found/.test(p)),
        ).toEqual([]);
      } finally {
        await b.close();
      }
    });
  }
});
