/**
 * What a walkthrough of the site as a new visitor found (issue 19, "Site"), in
 * real headless Chromium against the real worker: a style is always
 * preselected and a waiting photo runs once it has one, a deleted share's link
 * is the site's own page, the own-model help reads as words, a junk .onnx and
 * an empty photo get one plain sentence each, Enter opens the photo picker, a
 * touch screen is not told to drop or paste, and offline the cards keep their
 * thumbnails, say which models are already here, and a failed share looks
 * like an error.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { openSite, pickModel, translate, upload } from "../../scripts/lib/site-page.ts";
import { testPhoto } from "../../scripts/lib/test-photo.ts";
import { seedOf, tinyModel } from "../../scripts/lib/tiny-models.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";

/** A shipped model's id and sample names: the site's static copy (built from models/) has these thumbnails. */
const WITH_SAMPLES = "glyphs-ming2kai";

let worker: RunningWorker;
let browser: Browser;

beforeAll(async () => {
  const pictured = tinyModel({ id: WITH_SAMPLES, seed: 3 });
  pictured.entry.samples = [
    {
      direction: "AtoB",
      input: "sample-AtoB-1.in.jpg",
      output: "sample-AtoB-1.out.jpg",
      width: 64,
      height: 64,
    },
  ];
  const seed = seedOf(tinyModel({ id: "alpha" }), tinyModel({ id: "beta", seed: 2 }), pictured);
  worker = await startWorker({ seed });
  browser = await launch({ serviceWorkers: "block" });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

const messages = (page: Page) => page.locator("#messages").textContent();
const checkedStyle = (page: Page) =>
  page.evaluate(
    () => document.querySelector<HTMLInputElement>("input[name=model]:checked")?.value ?? null,
  );

describe("a style is always there for a photo", () => {
  it("preselects the first style, then the one used last, and a photo runs without a click", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await page.evaluate(() => localStorage.clear());
    await openSite(page, `${worker.url}/`);
    expect(await checkedStyle(page)).toBe("alpha");
    await translate(
      page,
      upload(page, "#photo-file", "p.png", "image/png", await testPhoto(24, 24)),
    );

    await pickModel(page, "beta");
    await openSite(page, `${worker.url}/`);
    expect(await checkedStyle(page)).toBe("beta");
  });

  it("a photo added before any style is chosen runs once one is picked", async () => {
    const { page } = browser;
    // A link naming a style that is not published leaves none chosen.
    await openSite(page, `${worker.url}/?model=gone`);
    expect(await checkedStyle(page)).toBeNull();
    await upload(page, "#photo-file", "p.png", "image/png", await testPhoto(24, 24))();
    await expect.poll(() => messages(page)).toMatch(/Choose a style/);
    await translate(page, () => pickModel(page, "alpha"));
  });
});

describe("messages", () => {
  it("the own-model help names the input and output tensors in words", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    const help = (await page.locator("#own-model p.muted").first().textContent()) ?? "";
    const words = help.replace(/\s+/g, " ");
    expect(words).toContain("one input tensor named input, one output tensor named output,");
    expect(words).not.toMatch(/outputoutput|input input/);
  });

  it("the closed Options summary follows the working size a model sets", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    const summary = () => page.locator("#options-summary").textContent();
    // The tiny styles recommend 64 px; opening your own model selects 512 px.
    await expect.poll(summary).toMatch(/^Full resolution up to 12 MP, 64 px, /);
    await page.click("#own-model summary");
    await page.setInputFiles("#own-model-file", {
      name: "junk.onnx",
      mimeType: "application/octet-stream",
      buffer: Buffer.from("not read until a photo is translated"),
    });
    // The file is read before the size changes, so wait for it rather than read once.
    await expect.poll(() => page.locator("#working-size").inputValue()).toBe("512");
    await expect.poll(summary).toMatch(/, 512 px, /);
  });

  it("a junk .onnx is said to be no ONNX model, without the engine's own words", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await page.click("#own-model summary");
    await page.setInputFiles("#own-model-file", {
      name: "junk.onnx",
      mimeType: "application/octet-stream",
      buffer: Buffer.from("this is not a model, just some text"),
    });
    await upload(page, "#photo-file", "p.png", "image/png", await testPhoto(24, 24))();
    await expect
      .poll(() => messages(page), { timeout: 60_000 })
      .toMatch(/This file is not a valid ONNX model/);
    expect(await messages(page)).not.toMatch(/ERROR_CODE|protobuf/i);
  });

  it("an empty photo file is said to be empty, once", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await page.setInputFiles("#photo-file", {
      name: "empty.png",
      mimeType: "image/png",
      buffer: Buffer.alloc(0),
    });
    await expect
      .poll(() => messages(page))
      .toBe("“empty.png” is empty (0 bytes). Choose another photo.");
  });
});

describe("input", () => {
  it("Enter on “Choose a photo” opens the file picker, as Space does", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    // Lazily loaded parts of the page must not take the focus after it is placed.
    await page.waitForLoadState("networkidle");
    await page.focus("#photo-file");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("photo-file");
    const [chooser] = await Promise.all([
      // Generous: on a loaded 2-core machine the picker event has come after more than 5 s.
      page.waitForEvent("filechooser", { timeout: 20_000 }),
      page.keyboard.press("Enter"),
    ]);
    expect(chooser.isMultiple()).toBe(false);
  });

  it("a touch screen is offered to pick or take a photo, not to drop or paste one", async () => {
    const { page, context } = browser;
    const cdp = await context.newCDPSession(page);
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point (display: none must not count)
    const drop = () => page.locator("#drop").innerText();
    try {
      await openSite(page, `${worker.url}/`);
      expect(await drop()).toMatch(/Drop a photo here.*Ctrl\+V/s);
      // Chromium's touch emulation (as DevTools' phone mode) makes the pointer coarse.
      await cdp.send("Emulation.setTouchEmulationEnabled", { enabled: true, maxTouchPoints: 5 });
      await openSite(page, `${worker.url}/`);
      expect(await page.evaluate(() => matchMedia("(pointer: coarse)").matches)).toBe(true);
      expect(await drop()).not.toMatch(/Drop|Ctrl\+V|paste/);
      expect(await drop()).toMatch(/Pick a photo/);
      expect(await page.locator("#camera-label").isVisible()).toBe(true);
    } finally {
      await cdp.send("Emulation.setTouchEmulationEnabled", { enabled: false });
      await cdp.detach();
    }
  });
});

describe("a deleted share", () => {
  it("its link is the site's own share view, styled, as a 404", async () => {
    const { page } = browser;
    const form = new FormData();
    for (const [k, v] of Object.entries({ modelId: "alpha", direction: "AtoB", variant: "int8" }))
      form.set(k, v);
    const png = new Uint8Array(await testPhoto(16, 16));
    form.set("output", new Blob([png], { type: "image/png" }), "o.png");
    const created = (await (
      await fetch(`${worker.url}/api/v1/shares`, { method: "POST", body: form })
    ).json()) as { id: string; deleteToken: string };
    const deleted = await fetch(`${worker.url}/api/v1/shares/${created.id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${created.deleteToken}` },
    });
    expect(deleted.status).toBe(204);

    const res = await page.goto(`${worker.url}/s/${created.id}`);
    expect(res?.status()).toBe(404);
    await expect
      .poll(() => page.locator("#share-state").textContent())
      .toMatch(/cannot be shown: No such share/);
    const styled = await page.evaluate(() => ({
      sheets: document.styleSheets.length,
      font: getComputedStyle(document.body).fontFamily,
      nav: document.querySelectorAll("a[href='/']").length,
    }));
    expect(styled.sheets).toBeGreaterThan(0);
    expect(styled.font).not.toMatch(/^"?Times/);
    expect(styled.nav).toBeGreaterThan(0);
  });
});

describe("offline", () => {
  it("cards keep their thumbnails and say what is on this device; a failed share is an error", async () => {
    const offline = await launch();
    try {
      const { page, context } = offline;
      await openSite(page, `${worker.url}/`);
      await page.evaluate(
        () =>
          navigator.serviceWorker.controller ??
          new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r)),
      );
      // Controlled now: this visit's thumbnails and the model go through the offline shell.
      await openSite(page, `${worker.url}/`);
      const card = (id: string) =>
        page.locator(".card", { has: page.locator(`input[value="${id}"]`) });
      await expect
        .poll(() => card("alpha").locator(".card-meta").textContent())
        .toMatch(/download/);
      await translate(
        page,
        upload(page, "#photo-file", "p.png", "image/png", await testPhoto(24, 24)),
      );

      await context.setOffline(true);
      await openSite(page, `${worker.url}/`);
      const thumbs = await card(WITH_SAMPLES)
        .locator("img.thumb")
        .evaluateAll((imgs) =>
          Promise.all(
            (imgs as HTMLImageElement[]).map((i) => i.decode().then(() => i.naturalWidth)),
          ),
        );
      expect(thumbs).toHaveLength(2);
      for (const w of thumbs) expect(w).toBeGreaterThan(0);
      await expect
        .poll(() => card("alpha").locator(".card-meta").textContent())
        .toMatch(/^On this device \(int8, /);
      expect(await card("beta").locator(".card-meta").textContent()).toMatch(/download/);

      await translate(
        page,
        upload(page, "#photo-file", "q.png", "image/png", await testPhoto(24, 24)),
      );
      await page.click("#share");
      const status = page.locator("#share-status");
      // The share first re-encodes the images: on a loaded machine that alone can pass 5 s.
      await expect
        .poll(() => status.textContent(), { timeout: 30_000 })
        .toMatch(/^Sharing failed: could not reach/);
      expect(await status.getAttribute("role")).toBe("alert");
      const [color, error] = await status.evaluate((el) => [
        getComputedStyle(el).color,
        getComputedStyle(el).getPropertyValue("--error").trim(),
      ]);
      const probe = await page.evaluate((c) => {
        const span = document.createElement("span");
        span.style.color = c;
        document.body.append(span);
        const rgb = getComputedStyle(span).color;
        span.remove();
        return rgb;
      }, error);
      expect(color).toBe(probe);
      await context.setOffline(false);
    } finally {
      await offline.close();
    }
  });
});
