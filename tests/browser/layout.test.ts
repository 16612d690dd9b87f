/**
 * Layout, accessibility and weight of the first view, at desktop and 360 px
 * phone width, light and dark. Screenshots go to test-results/screenshots/
 * (git-ignored) for people to look at.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launch } from "../../scripts/lib/chromium.ts";
import { openSite, pickModel, translate, upload } from "../../scripts/lib/site-page.ts";
import { testPhoto } from "../../scripts/lib/test-photo.ts";
import { seedOf, type TinyModel, tinyModel } from "../../scripts/lib/tiny-models.ts";
import { type RunningWorker, startWorker } from "../../scripts/lib/worker-server.ts";
import { referenceTranslate } from "./reference.ts";

const SHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots");

let worker: RunningWorker;
let browser: Browser;
let model: TinyModel;
const requests: { path: string; type: string; bytes: number }[] = [];

beforeAll(async () => {
  model = tinyModel({ id: "sketch", recommendedMaxSide: 256 });
  // A before/after sample for the card, made by the model itself.
  const sharp = (await import("sharp")).default;
  const input = await testPhoto(160, 160);
  const out = await referenceTranslate(model.onnx.get("int8") as Uint8Array, input, 256);
  const output = await sharp(Buffer.from(out.pixels), {
    raw: { width: 160, height: 160, channels: 4 },
  })
    .png()
    .toBuffer();
  model.entry.title = "Sketch";
  model.entry.domains = {
    A: { name: "Photo", description: "" },
    B: { name: "Sketch", description: "" },
  };
  model.entry.samples = [
    {
      direction: "AtoB",
      input: "sample-in.png",
      output: "sample-out.png",
      width: 160,
      height: 160,
    },
  ];
  worker = await startWorker({ seed: seedOf(model) });
  browser = await launch({ serviceWorkers: "block" });
  // Samples live only in the site's static copy, which seeded models lack: serve them here.
  const samples: Record<string, Buffer> = { "sample-in.png": input, "sample-out.png": output };
  await browser.page.route("**/static/models/sketch/sample-*.png", (route) =>
    route.fulfill({
      contentType: "image/png",
      body: samples[route.request().url().split("/").pop() as string],
    }),
  );
  browser.page.on("response", async (r) => {
    const type = r.request().resourceType();
    const bytes = Number(
      (await r.allHeaders())["content-length"] ??
        (await r.body().catch(() => Buffer.alloc(0))).length,
    );
    requests.push({ path: new URL(r.url()).pathname, type, bytes });
  });
  await mkdir(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

/** WCAG contrast ratio of an element's text colour against the first opaque background behind it. */
function contrastOf(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const f = (byte: number) => {
          const v = byte / 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r as number) + 0.7152 * f(g as number) + 0.0722 * f(b as number);
      };
      let bgEl: Element | null = el;
      let bg = "rgb(255, 255, 255)";
      while (bgEl) {
        const c = getComputedStyle(bgEl).backgroundColor;
        const parts = rgb(c);
        if (parts.length === 3 || (parts.length === 4 && parts[3] === 1)) {
          bg = c;
          break;
        }
        bgEl = bgEl.parentElement;
      }
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(bg))];
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
}

describe("layout and accessibility", () => {
  it("ships little JavaScript on first view and loads onnxruntime-web only when translating", async () => {
    const { page } = browser;
    requests.length = 0;
    await openSite(page, `${worker.url}/`);
    await page.waitForLoadState("networkidle");
    const scripts = requests.filter((r) => r.type === "script");
    const jsBytes = scripts.reduce((n, r) => n + r.bytes, 0);
    expect(jsBytes).toBeGreaterThan(0);
    expect(jsBytes).toBeLessThan(40_000);
    expect(requests.some((r) => r.path.startsWith("/ort/"))).toBe(false);
  });

  for (const scheme of ["light", "dark"] as const) {
    it(`has readable contrast and labelled controls (${scheme})`, async () => {
      const { page } = browser;
      await page.emulateMedia({ colorScheme: scheme });
      await openSite(page, `${worker.url}/`);
      for (const sel of [
        ".lead",
        ".card-title",
        ".card-meta",
        "button.primary",
        "label.button.primary",
        ".tagline",
        ".site-footer p",
      ]) {
        expect(await contrastOf(page, sel), `${sel} in ${scheme}`).toBeGreaterThanOrEqual(4.5);
      }
      const unnamed = await page.$$eval("input:not([type=hidden]), select, button", (els) =>
        els
          .filter((el) => {
            const e = el as HTMLInputElement;
            const named =
              (e.labels?.length ?? 0) > 0 ||
              e.getAttribute("aria-label") ||
              e.getAttribute("aria-labelledby") ||
              (el.tagName === "BUTTON" && el.textContent?.trim());
            return !named;
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unnamed).toEqual([]);
      const noAlt = await page.$$eval("img", (imgs) =>
        imgs.filter((i) => !i.hasAttribute("alt")).map((i) => i.outerHTML.slice(0, 80)),
      );
      expect(noAlt).toEqual([]);
    });
  }

  it("names each style radio by its card, the sample thumbnails being decorative", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>(".card img")].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    expect(
      await page.$$eval(".card img", (imgs) => imgs.map((i) => i.getAttribute("alt"))),
    ).toEqual(["", ""]);
    // A screen reader announces the title first, then the domains.
    expect(await page.getByRole("radio", { name: /^Sketch\s*Photo ↔ Sketch/ }).count()).toBe(1);
  });

  it("announces progress and notes, and has no invisible tab stops", async () => {
    const { page } = browser;
    await openSite(page, `${worker.url}/`);
    // aria-busy would keep screen readers from announcing the panel at all.
    expect(await page.locator("#progress").getAttribute("aria-busy")).toBeNull();
    expect(await page.locator("#progress").getAttribute("aria-live")).toBe("polite");
    expect(await page.locator("#messages").getAttribute("aria-live")).toBe("polite");
    // Desktop (no coarse pointer): the camera button is hidden, and so is its input.
    const focused: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      focused.push(await page.evaluate(() => document.activeElement?.id ?? ""));
    }
    expect(focused).toContain("photo-file");
    expect(focused).not.toContain("photo-camera");
  });

  it("fits a 360 px phone, the slider works from the keyboard, and screenshots are taken", async () => {
    const { page } = browser;
    const photo = await testPhoto(320, 240);
    for (const scheme of ["light", "dark"] as const) {
      for (const [name, width, height] of [
        ["desktop", 1280, 900],
        ["phone", 360, 740],
      ] as const) {
        await page.setViewportSize({ width, height });
        await page.emulateMedia({ colorScheme: scheme });
        await openSite(page, `${worker.url}/`);
        await pickModel(page, "sketch");
        await page.waitForFunction(() =>
          [...document.querySelectorAll<HTMLImageElement>(".card img")].every(
            (i) => i.complete && i.naturalWidth > 0,
          ),
        );
        await page.screenshot({
          path: path.join(SHOTS, `home-${name}-${scheme}.png`),
          fullPage: true,
        });
        await translate(page, upload(page, "#photo-file", "photo.png", "image/png", photo));
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - window.innerWidth,
        );
        expect(overflow, `${name} ${scheme} horizontal overflow`).toBeLessThanOrEqual(0);
        await page.screenshot({
          path: path.join(SHOTS, `result-${name}-${scheme}.png`),
          fullPage: true,
        });
      }
    }
    await page.focus("#compare .range");
    for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowRight");
    expect(
      await page
        .locator("#compare .frame")
        .evaluate((f) => (f as HTMLElement).style.getPropertyValue("--pos")),
    ).toBe("60%");
  });
});
