/**
 * The built site in real headless Chromium, served by the real worker
 * (wrangler dev on 127.0.0.1) seeded with tiny real generators. Pixels are
 * compared with onnxruntime-node on the same model file and input.
 *
 * Tolerance: at most 1 level of 255 per channel (float rounding differences
 * between onnxruntime-web and onnxruntime-node), and under 2% of values off.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { openSite, pickModel, setOptions, translate, upload } from "../../scripts/lib/site-page.ts";
import { testPhoto } from "../../scripts/lib/test-photo.ts";
import { seedOf, type TinyModel, tinyModel } from "../../scripts/lib/tiny-models.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import {
  decodeRgba,
  diffRgb,
  independentTranslate,
  type Rgba,
  referenceTranslate,
} from "./reference.ts";

const TOLERANCE = { max: 1, changed: 0.02 };
const SHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots");

/**
 * The shown result's size and one w x h window of its pixels, read in the page
 * (the result image drawn onto a small canvas), so a huge result never crosses over whole.
 */
async function resultRegion(
  page: Page,
  region: { x: number; y: number; width: number; height: number },
): Promise<{ naturalWidth: number; naturalHeight: number; crop: Rgba }> {
  const got = await page.evaluate(async ({ x, y, width, height }) => {
    const img = document.querySelector("#compare [data-role=after]") as HTMLImageElement;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
    ctx.drawImage(img, x, y, width, height, 0, 0, width, height);
    const data = ctx.getImageData(0, 0, width, height).data;
    let s = "";
    for (let i = 0; i < data.length; i += 0x8000)
      s += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, b64: btoa(s) };
  }, region);
  return {
    naturalWidth: got.naturalWidth,
    naturalHeight: got.naturalHeight,
    crop: {
      pixels: new Uint8Array(Buffer.from(got.b64, "base64")),
      width: region.width,
      height: region.height,
    },
  };
}

/** Copy a window out of an RGBA image. */
function cropRgba(img: Rgba, x: number, y: number, width: number, height: number): Rgba {
  const pixels = new Uint8Array(4 * width * height);
  for (let r = 0; r < height; r++) {
    const src = 4 * ((y + r) * img.width + x);
    pixels.set(img.pixels.subarray(src, src + 4 * width), 4 * r * width);
  }
  return { pixels, width, height };
}

/** 404s of the static copy are expected: seeded models exist only in the worker's R2. */
const unexpected = (problems: string[]) => problems.filter((p) => !/status of 404/.test(p));

let worker: RunningWorker;
let tiny: TinyModel;
/** The "broken" style's file: same size as the manifest says, one byte off. */
let corrupt: Uint8Array;

beforeAll(async () => {
  tiny = tinyModel({ id: "tiny" });
  const broken = tinyModel({ id: "broken" });
  corrupt = broken.files["broken/AtoB.int8.onnx"] as Uint8Array;
  corrupt[corrupt.length - 1] = (corrupt.at(-1) as number) ^ 0xff;
  worker = await startWorker({ seed: seedOf(tiny, broken) });
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await worker?.stop();
});

describe("translate page on WebAssembly", () => {
  let browser: Browser;
  const requests: string[] = [];

  beforeAll(async () => {
    browser = await launch();
    browser.page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("translates a photo like onnxruntime-node, with download progress and the worker fallback", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await pickModel(page, "tiny");
    // Record what the progress area shows while the model downloads.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const text = document.getElementById("download-text") as HTMLElement;
      new MutationObserver(() => seen.push(text.textContent ?? "")).observe(text, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    // Not a multiple of 4 on either side: the site must pad (and crop back).
    const photo = await testPhoto(58, 43);
    const result = await translate(
      page,
      upload(page, "#photo-file", "photo.png", "image/png", photo),
    );

    expect(result.engine).toBe("wasm");
    expect(result.dtype).toBe("int8"); // models/select.ts: smallest download on WebAssembly
    expect(result.note).toMatch(/^WebAssembly int8 with \d+ threads?: 58×43 in [\d.]+ m?s/);
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.some((t) => /of .* \(100%\) from the API/.test(t))).toBe(true);
    // Primary static copy 404s (seeded models are not in site/dist), the worker route serves it.
    expect(requests).toContain("GET /static/models/tiny/AtoB.int8.onnx");
    expect(requests).toContain("GET /models/tiny/AtoB.int8.onnx");

    const shown = await decodeRgba(result.png);
    expect([shown.width, shown.height]).toEqual([58, 43]);
    const expected = await referenceTranslate(tiny.onnx.get("int8") as Uint8Array, photo, 64);
    const diff = diffRgb(shown, expected);
    expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(diff.changed).toBeLessThan(TOLERANCE.changed);
    // And against a reference that shares no code with the site (no models/tiling.ts or
    // models/contract.ts): a padding or pixel-conversion bug cannot cancel out here.
    const independent = diffRgb(
      shown,
      await independentTranslate(tiny.onnx.get("int8") as Uint8Array, photo),
    );
    expect(independent.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(independent.changed).toBeLessThan(TOLERANCE.changed);
    expect(unexpected(browser.problems)).toEqual([]);
  });

  it("a second load uses the cached model (no model request)", async () => {
    const { page } = browser;
    requests.length = 0;
    await openSite(page, `${worker.url}/?model=tiny&dir=AtoB`);
    expect(await page.locator('input[name=model][value="tiny"]').isChecked()).toBe(true);
    const result = await translate(
      page,
      upload(page, "#photo-file", "photo.png", "image/png", await testPhoto(32, 32)),
    );
    expect(result.engine).toBe("wasm");
    expect(await page.locator("#download-text").textContent()).toMatch(/^From this device/);
    expect(requests.filter((r) => /\.onnx$/.test(r))).toEqual([]);
  });

  it("translates at full resolution in tiles like the Node tiling, with per-tile progress", async () => {
    const { page } = browser;
    await setOptions(page, { mode: "full", workingSize: 64 });
    const photo = await testPhoto(150, 100);
    const result = await translate(
      page,
      upload(page, "#photo-file", "big.png", "image/png", photo),
    );
    expect(result.note).toMatch(/150×100 in 6 tiles/);
    expect(await page.locator("#tile-text").textContent()).toBe("6 of 6");
    const expected = await referenceTranslate(tiny.onnx.get("int8") as Uint8Array, photo, 64);
    const diff = diffRgb(await decodeRgba(result.png), expected);
    expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(diff.changed).toBeLessThan(TOLERANCE.changed);
  });

  it("downscales in fast mode and honours EXIF orientation", async () => {
    const { page } = browser;
    await setOptions(page, { mode: "fast", workingSize: 64 });
    const sharp = (await import("sharp")).default;
    /** A phone-style JPEG: pixels stored as shot, EXIF saying how to turn them. */
    const phoneJpeg = async (width: number, height: number, orientation: number) =>
      sharp(await testPhoto(width, height))
        .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
        .withMetadata({ orientation })
        .toBuffer();
    // Stored 120x80, orientation 6 (rotate 90° clockwise): shown 80x120, downscaled to 43x64.
    const big = await translate(
      page,
      upload(page, "#photo-file", "phone.jpg", "image/jpeg", await phoneJpeg(120, 80, 6)),
    );
    const out = await decodeRgba(big.png);
    expect([out.width, out.height]).toEqual([43, 64]);

    // The size cannot tell orientation 6 from 5, 7 or 8 (all swap the sides): the pixels can.
    // Small enough not to be downscaled, so the reference is the same file turned by sharp.
    const model = tiny.onnx.get("int8") as Uint8Array;
    const turned = async (jpeg: Buffer) => sharp(jpeg).rotate().png().toBuffer();
    const jpeg = await phoneJpeg(56, 40, 6);
    const result = await translate(
      page,
      upload(page, "#photo-file", "phone.jpg", "image/jpeg", jpeg),
    );
    const shown = await decodeRgba(result.png);
    const expected = await referenceTranslate(model, await turned(jpeg), 64);
    const diff = diffRgb(shown, expected);
    expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(diff.changed).toBeLessThan(TOLERANCE.changed);
    for (const other of [5, 7, 8]) {
      const wrong = await referenceTranslate(
        model,
        await turned(await phoneJpeg(56, 40, other)),
        64,
      );
      expect(diffRgb(shown, wrong).mean, `orientation ${other}`).toBeGreaterThan(10);
    }
  });

  it("translates a 12-megapixel photo at full resolution without running out of memory", async () => {
    const { page } = browser;
    await setOptions(page, { mode: "full", workingSize: 512 });
    const sharp = (await import("sharp")).default;
    const photo = await sharp(await testPhoto(4032, 3024))
      .jpeg({ quality: 85 })
      .toBuffer();
    const result = await translate(
      page,
      upload(page, "#photo-file", "12mp.jpg", "image/jpeg", photo),
      {
        timeoutMs: 240_000,
        readPng: false,
      },
    );
    expect(result.note).toMatch(/4032×3024 in 63 tiles/);
    expect(result.messages).toBe("");
    expect(result.dtype).toBe("int8");
    // One window of the result, read in the page, against the same photo through
    // onnxruntime-node (statistics pass at 512, tiles of 512 on frozen statistics).
    const window = { x: 416, y: 352, width: 256, height: 256 }; // across a tile corner
    const { naturalWidth, naturalHeight, crop } = await resultRegion(page, window);
    expect([naturalWidth, naturalHeight]).toEqual([4032, 3024]);
    const expected = await referenceTranslate(tiny.onnx.get("int8") as Uint8Array, photo, 512);
    const diff = diffRgb(crop, cropRgba(expected, window.x, window.y, window.width, window.height));
    expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(diff.changed).toBeLessThan(TOLERANCE.changed);
    expect(unexpected(browser.problems)).toEqual([]);
  }, 300_000);

  it("cancels a running translation and keeps the photo for another try", async () => {
    const { page } = browser;
    await setOptions(page, { mode: "full", workingSize: 64 });
    const runs = await page.locator("#result").getAttribute("data-runs");
    // About 900 tiles: long enough to press Cancel in the middle.
    await upload(page, "#photo-file", "long.png", "image/png", await testPhoto(1800, 1400))();
    await page.waitForFunction(() => !(document.getElementById("tiles") as HTMLElement).hidden);
    await page.click("#cancel");
    await expect.poll(() => page.locator("#messages").textContent()).toMatch(/^Cancelled\./);
    expect(await page.locator("#progress").isHidden()).toBe(true);
    expect(await page.locator("#result").getAttribute("data-runs")).toBe(runs);
    // The photo is still there: Translate runs it again (fast this time).
    await setOptions(page, { mode: "fast" });
    const result = await translate(page, () => page.click("#translate"));
    expect(result.note).toMatch(/: 64×50 in /);
    expect(result.messages).toBe("");
  });

  it("says clearly when a file is not an image or does not decode", async () => {
    const { page } = browser;
    await page.setInputFiles("#photo-file", {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("hello"),
    });
    await expect
      .poll(() => page.locator("#messages").textContent())
      .toMatch(/“notes\.txt” is not a supported image \(text\/plain\)/);
    await page.setInputFiles("#photo-file", {
      name: "broken.png",
      mimeType: "image/png",
      buffer: Buffer.from("not a png at all"),
    });
    // Said once: Chromium's own reason ("The source image could not be decoded.") is not repeated.
    await expect
      .poll(() => page.locator("#messages").textContent())
      .toMatch(/This image could not be decoded\. Try saving it as JPEG or PNG\./);
    expect((await page.locator("#messages").textContent())?.match(/decod/gi)).toHaveLength(1);
  });

  it("runs a model file opened from disk without uploading anything", async () => {
    const { page } = browser;
    requests.length = 0;
    await page.click("#own-model summary");
    await page.setInputFiles("#own-model-file", {
      name: "mine.onnx",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(tiny.onnx.get("fp32") as Uint8Array),
    });
    await expect
      .poll(() => page.locator("#own-model-name").textContent())
      .toMatch(/Using mine\.onnx/);
    await setOptions(page, { mode: "fast", workingSize: 64 });
    const photo = await testPhoto(48, 40);
    const result = await translate(page, upload(page, "#photo-file", "p.png", "image/png", photo));
    expect(result.note).toMatch(/^WebAssembly \(your model\)/);
    const expected = await referenceTranslate(tiny.onnx.get("fp32") as Uint8Array, photo, 64);
    expect(diffRgb(await decodeRgba(result.png), expected).max).toBeLessThanOrEqual(TOLERANCE.max);
    expect(requests.filter((r) => r.startsWith("POST") || /\.onnx$/.test(r))).toEqual([]);

    // Another file of the same name and size (other weights) is another model, not the first again.
    const other = tinyModel({ id: "other", dtypes: ["fp32"], seed: 5 }).onnx.get(
      "fp32",
    ) as Uint8Array;
    expect(other.length).toBe((tiny.onnx.get("fp32") as Uint8Array).length);
    // The input was emptied after reading, so picking the same path again fires change.
    expect(await page.locator("#own-model-file").inputValue()).toBe("");
    // Opening a model runs the photo already there.
    const again = await translate(page, () =>
      page.setInputFiles("#own-model-file", {
        name: "mine.onnx",
        mimeType: "application/octet-stream",
        buffer: Buffer.from(other),
      }),
    );
    const expectedOther = await referenceTranslate(other, photo, 64);
    expect(diffRgb(await decodeRgba(again.png), expectedOther).max).toBeLessThanOrEqual(
      TOLERANCE.max,
    );
  });
});

describe("share", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("posts the result and the ticked original, and the share view shows both and links back", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await pickModel(page, "tiny");
    const photo = await testPhoto(40, 32);
    const result = await translate(page, upload(page, "#photo-file", "p.png", "image/png", photo));
    expect(await page.locator("#download-png").getAttribute("download")).toBe("tiny-AtoB.png");
    // Picking another style afterwards changes nothing about the result, nor what is shared.
    await pickModel(page, "broken");
    expect(await page.locator("#download-png").getAttribute("download")).toBe("tiny-AtoB.png");
    await page.check("#share-input");
    await page.click("#share");
    await expect
      .poll(() => page.locator("#share-url").inputValue(), { timeout: 30_000 })
      .toMatch(/\/s\/[\w-]+$/);
    const link = await page.locator("#share-url").inputValue();
    const id = link.split("/").pop() as string;
    const view = (await (await fetch(`${worker.url}/api/v1/shares/${id}`)).json()) as {
      modelId: string;
      direction: string;
    };
    expect([view.modelId, view.direction]).toEqual(["tiny", "AtoB"]);

    // The stored output is the result, pixel for pixel (PNG both ways, under the size limits).
    const stored = new Uint8Array(
      await (await fetch(`${worker.url}/api/v1/shares/${id}/output`)).arrayBuffer(),
    );
    expect(diffRgb(await decodeRgba(stored), await decodeRgba(result.png)).max).toBe(0);
    const storedInput = new Uint8Array(
      await (await fetch(`${worker.url}/api/v1/shares/${id}/input`)).arrayBuffer(),
    );
    expect(diffRgb(await decodeRgba(storedInput), await decodeRgba(photo)).max).toBe(0);

    await page.goto(`${worker.url}/share?id=${encodeURIComponent(id)}`);
    await page.waitForSelector("#share-view:not([hidden])");
    const sizes = await page.$$eval("#share-compare img", (imgs) =>
      Promise.all(
        (imgs as HTMLImageElement[]).map((i) =>
          i.decode().then(() => [i.naturalWidth, i.naturalHeight]),
        ),
      ),
    );
    expect(sizes).toEqual([
      [40, 32],
      [40, 32],
    ]);
    await page.screenshot({ path: path.join(SHOTS, "share-desktop-light.png"), fullPage: true });
    await page.click("#share-try");
    await page.waitForURL(/\/\?model=tiny&dir=AtoB$/);
    await page.waitForFunction(
      () =>
        (document.querySelector('input[name=model][value="tiny"]') as HTMLInputElement | null)
          ?.checked === true,
    );
    expect(unexpected(browser.problems)).toEqual([]);
  });

  it("the share view says so when a share does not exist", async () => {
    const { page } = browser;
    await page.goto(`${worker.url}/share?id=doesnotexist`);
    await expect
      .poll(() => page.locator("#share-state").textContent())
      .toMatch(/cannot be shown: No such share/);
  });
});

/** Press Share and wait for the link; the share's id. */
async function shareNow(page: Page): Promise<string> {
  await page.click("#share");
  await expect
    .poll(() => page.locator("#share-url").inputValue(), { timeout: 30_000 })
    .toMatch(/\/s\/[\w-]+$/);
  return (await page.locator("#share-url").inputValue()).split("/").pop() as string;
}

/**
 * How far each image of a comparison strays from its own shape: the shape it
 * paints (its box when object-fit stretches it, its own shape otherwise) over
 * its natural one. 1 is undistorted.
 */
function distortion(page: Page, figure: string): Promise<number[]> {
  return page.$$eval(`${figure} img`, (imgs) =>
    Promise.all(
      (imgs as HTMLImageElement[]).map(async (i) => {
        await i.decode();
        const box = i.getBoundingClientRect();
        const natural = i.naturalWidth / i.naturalHeight;
        const painted = getComputedStyle(i).objectFit === "fill" ? box.width / box.height : natural;
        return painted / natural;
      }),
    ),
  );
}

/** "WxH" of the before and after images of the translate page (they must be a pair). */
function pair(page: Page): Promise<string[]> {
  return page.$$eval("#compare img", (imgs) =>
    Promise.all(
      (imgs as HTMLImageElement[]).map((i) =>
        i.decode().then(() => `${i.naturalWidth}x${i.naturalHeight}`),
      ),
    ),
  );
}

const storedToken = (page: Page, id: string) =>
  page.evaluate(
    (id) =>
      (
        JSON.parse(localStorage.getItem("unpaired-share-tokens") ?? "{}") as Record<string, unknown>
      )[id] !== undefined,
    id,
  );

describe("share: deleting it, and a result that stays itself", () => {
  let browser: Browser;
  beforeAll(async () => {
    // No service worker: these tests hold and fail requests with page.route.
    browser = await launch({ serviceWorkers: "block" });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("keeps a tall photo's shape, and deletes a share from the result and, after a reload, from its link", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await pickModel(page, "tiny");
    await translate(
      page,
      upload(page, "#photo-file", "tall.png", "image/png", await testPhoto(24, 96)),
    );
    for (const d of await distortion(page, "#compare")) expect(d).toBeCloseTo(1, 2);

    await page.check("#share-input");
    const first = await shareNow(page);
    expect(await page.locator("#share-kept").textContent()).toMatch(
      /stays in this browser, on this device only/,
    );
    expect(await storedToken(page, first)).toBe(true);
    await page.click("#share-delete");
    await expect
      .poll(() => page.locator("#share-status").textContent())
      .toMatch(/^Deleted: the link no longer works/);
    expect((await fetch(`${worker.url}/api/v1/shares/${first}`)).status).toBe(404);
    expect(await page.locator("#share-url").inputValue()).toBe("");
    expect(await page.locator("#share-manage").isHidden()).toBe(true);
    expect(await storedToken(page, first)).toBe(false);

    // Another share, deleted after a reload: its link, opened in this browser, offers it.
    const second = await shareNow(page);
    await page.goto(`${worker.url}/s/${second}`);
    await page.waitForURL(/\/share\?id=/);
    await page.waitForSelector("#share-view:not([hidden])");
    expect(await page.locator("#share-meta").textContent()).toMatch(
      /^Style “Tiny test style tiny” \(Photo → Noise, int8\)\. Shared /,
    );
    for (const d of await distortion(page, "#share-compare")) expect(d).toBeCloseTo(1, 2);
    await page.click("#share-delete");
    await expect
      .poll(() => page.locator("#share-state").textContent())
      .toMatch(/^Deleted: the link no longer works/);
    expect(await page.locator("#share-view").isHidden()).toBe(true);
    expect((await fetch(`${worker.url}/api/v1/shares/${second}`)).status).toBe(404);

    // A browser without the token (here: the token forgotten) has no delete control.
    await openSite(page, `${worker.url}/?model=tiny`);
    await translate(
      page,
      upload(page, "#photo-file", "p.png", "image/png", await testPhoto(32, 32)),
    );
    const third = await shareNow(page);
    await page.evaluate(() => localStorage.clear());
    await page.goto(`${worker.url}/share?id=${third}`);
    await page.waitForSelector("#share-view:not([hidden])");
    expect(await page.locator("#share-manage").isHidden()).toBe(true);
    expect(unexpected(browser.problems)).toEqual([]);
  });

  it("the share view says in words when the site cannot be reached", async () => {
    const { page } = browser;
    await page.route("**/api/v1/shares/*", (route) => route.abort("internetdisconnected"));
    try {
      await page.goto(`${worker.url}/share?id=abc123`);
      await expect
        .poll(() => page.locator("#share-state").textContent())
        .toBe(
          "This share cannot be shown: could not reach the site. Check your connection and try again.",
        );
    } finally {
      await page.unroute("**/api/v1/shares/*");
      browser.problems.length = 0; // the console's note of the failed request, made on purpose
    }
  });

  it("cancels a file dropped beside the drop zone (the browser would leave the page for it)", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/?model=tiny`);
    // Headless Chromium never opens a dropped file, so check what prevents it:
    // dragover and drop outside the zone are cancelled; inside, the photo is taken.
    const dropOn = (selector: string) =>
      page.evaluate(async (selector) => {
        const target = document.querySelector(selector) as Element;
        const canvas = new OffscreenCanvas(16, 16);
        canvas.getContext("2d")?.fillRect(0, 0, 8, 8);
        const png = await canvas.convertToBlob({ type: "image/png" });
        const file = new File([png], "dropped.png", { type: "image/png" });
        const dataTransfer = new DataTransfer();
        dataTransfer.items.add(file);
        return ["dragover", "drop"].map(
          (type) =>
            !target.dispatchEvent(
              new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer }),
            ),
        );
      }, selector);
    expect(await dropOn("h1")).toEqual([true, true]);
    expect(await page.locator("#result").getAttribute("data-runs")).toBeNull();
    await translate(page, async () => {
      expect(await dropOn("#drop p")).toEqual([true, true]);
    });
  });

  it("a new result clears the share panel, and before and after stay a pair", async () => {
    const { page } = browser;
    await page.emulateMedia({ reducedMotion: "reduce" });
    // Record how the page scrolls the result into view.
    await page.addInitScript(() => {
      const scrolls: string[] = [];
      (window as unknown as { scrolls: string[] }).scrolls = scrolls;
      const scroll = Element.prototype.scrollIntoView;
      Element.prototype.scrollIntoView = function (
        this: Element,
        arg?: boolean | ScrollIntoViewOptions,
      ) {
        scrolls.push(typeof arg === "object" ? String(arg.behavior) : String(arg));
        scroll.call(this, arg);
      };
    });
    await openSite(page, `${worker.url}/`);
    await pickModel(page, "tiny");
    await translate(
      page,
      upload(page, "#photo-file", "p.png", "image/png", await testPhoto(60, 44)),
    );
    // prefers-reduced-motion: no smooth scrolling.
    expect(await page.evaluate(() => (window as unknown as { scrolls: string[] }).scrolls)).toEqual(
      ["auto"],
    );

    // Hold the upload, and get a new result meanwhile (a model from disk runs the same photo).
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/api/v1/shares", async (route) => {
      await held;
      await route.continue();
    });
    await page.check("#share-input");
    await page.click("#share");
    await expect.poll(() => page.locator("#share-status").textContent()).toBe("Uploading…");
    await page.click("#own-model summary");
    await translate(page, () =>
      page.setInputFiles("#own-model-file", {
        name: "mine.onnx",
        mimeType: "application/octet-stream",
        buffer: Buffer.from(tiny.onnx.get("fp32") as Uint8Array),
      }),
    );
    expect(await page.locator("#share-input").isChecked()).toBe(false);
    expect(await page.locator("#share-url").inputValue()).toBe("");
    expect(await page.locator("#share-status").textContent()).toBe("");
    expect(await page.locator("#share-result").isHidden()).toBe(true);
    expect(await page.locator("#share").isDisabled()).toBe(true); // a model from disk: no share
    release();
    await expect
      .poll(() => page.locator("#share-status").textContent(), { timeout: 30_000 })
      .toMatch(/^This link is for the previous result\. Link ready/);
    expect(await page.locator("#share").isDisabled()).toBe(true);
    await page.unroute("**/api/v1/shares");

    // While the next photo is translated, "before" still shows the photo of the result shown.
    expect(await pair(page)).toEqual(["60x44", "60x44"]);
    await setOptions(page, { mode: "full", workingSize: 64 });
    await upload(page, "#photo-file", "long.png", "image/png", await testPhoto(1800, 1400))();
    await page.waitForFunction(() => !(document.getElementById("tiles") as HTMLElement).hidden);
    expect(await pair(page)).toEqual(["60x44", "60x44"]);
    await page.click("#cancel");
    await expect.poll(() => page.locator("#messages").textContent()).toMatch(/^Cancelled\./);
    expect(await pair(page)).toEqual(["60x44", "60x44"]);
    await setOptions(page, { mode: "fast" });
    await translate(
      page,
      upload(page, "#photo-file", "q.png", "image/png", await testPhoto(40, 56)),
    );
    expect(await pair(page)).toEqual(["40x56", "40x56"]);
    expect(unexpected(browser.problems)).toEqual([]);
  });
});

describe("offline and failures", () => {
  it("a second visit works offline: page, engine and model come from this device", async () => {
    const browser = await launch();
    try {
      const { page, context } = browser;
      await openSite(page, `${worker.url}/?model=tiny`);
      // The offline shell caches what is fetched once it controls the page.
      await page.evaluate(
        () =>
          navigator.serviceWorker.controller ??
          new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r)),
      );
      await translate(
        page,
        upload(page, "#photo-file", "p.png", "image/png", await testPhoto(32, 32)),
      );
      await context.setOffline(true);
      await openSite(page, `${worker.url}/?model=tiny`);
      // The manifest comes from the HTTP cache or the page's own offline copy.
      expect(await page.locator('input[name=model][value="tiny"]').isChecked()).toBe(true);
      const photo = await testPhoto(44, 36);
      const result = await translate(
        page,
        upload(page, "#photo-file", "q.png", "image/png", photo),
      );
      const expected = await referenceTranslate(tiny.onnx.get("int8") as Uint8Array, photo, 64);
      expect(diffRgb(await decodeRgba(result.png), expected).max).toBeLessThanOrEqual(
        TOLERANCE.max,
      );
      await context.setOffline(false);
    } finally {
      await browser.close();
    }
  });

  it("reports a model that fails its checksum from both sources, naming each", async () => {
    const browser = await launch({ serviceWorkers: "block" });
    try {
      const { page } = browser;
      // The worker refuses to serve a stored file whose checksum differs from the manifest
      // (503); serve it as a route without that check would, so only the page's check can tell.
      await page.route(
        (url) => url.pathname === "/models/broken/AtoB.int8.onnx",
        (route) =>
          route.fulfill({ contentType: "application/octet-stream", body: Buffer.from(corrupt) }),
      );
      await openSite(page, `${worker.url}/?model=broken`);
      await upload(page, "#photo-file", "p.png", "image/png", await testPhoto(32, 32))();
      await expect
        .poll(() => page.locator("#messages").textContent(), { timeout: 60_000 })
        .toMatch(
          /Could not download the model AtoB\.int8\.onnx\. Tried \/static\/models\/broken\/AtoB\.int8\.onnx: HTTP 404; \/models\/broken\/AtoB\.int8\.onnx: checksum mismatch/,
        );
      expect(await page.locator("#result").isHidden()).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it("retries a corrupt primary copy from the worker, and runs uncached when storage is full", async () => {
    const browser = await launch({ serviceWorkers: "block" });
    try {
      const { page, context } = browser;
      const good = tiny.files["tiny/AtoB.int8.onnx"] as Uint8Array;
      const corrupt = Buffer.from(good);
      corrupt[100] = (corrupt[100] as number) ^ 0x01;
      await page.route("**/static/models/tiny/AtoB.int8.onnx", (route) =>
        route.fulfill({ status: 200, contentType: "application/octet-stream", body: corrupt }),
      );
      const cdp = await context.newCDPSession(page);
      await cdp.send("Storage.overrideQuotaForOrigin", { origin: worker.url, quotaSize: 1000 });
      const requests: string[] = [];
      page.on("request", (r) => requests.push(new URL(r.url()).pathname));
      await openSite(page, `${worker.url}/?model=tiny`);
      const photo = await testPhoto(32, 32);
      const result = await translate(
        page,
        upload(page, "#photo-file", "p.png", "image/png", photo),
      );
      expect(requests).toContain("/models/tiny/AtoB.int8.onnx"); // the fallback after the bad copy
      // It ran the good int8 file from the worker, not the corrupt copy.
      expect(result.dtype).toBe("int8");
      const diff = diffRgb(await decodeRgba(result.png), await referenceTranslate(good, photo, 64));
      expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
      expect(diff.changed).toBeLessThan(TOLERANCE.changed);
      expect(result.messages).toMatch(
        /Storage is full: it runs without caching\. The model will be downloaded again on your next visit\./,
      );
      // Nothing was cached, so the next run downloads again.
      requests.length = 0;
      await openSite(page, `${worker.url}/?model=tiny`);
      await translate(
        page,
        upload(page, "#photo-file", "p.png", "image/png", await testPhoto(32, 32)),
      );
      expect(requests.filter((p) => p.endsWith(".onnx")).length).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  });
});
