/** Driving the translate page the way a visitor does: click, pick files, read what it shows. */
import type { Page } from "playwright-core";

export interface SiteOptions {
  engine?: "auto" | "webgpu" | "wasm";
  mode?: "fast" | "full";
  workingSize?: number;
  /** The "Largest result" cap, one of its option values. */
  maxPixels?: number;
}

export async function openSite(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(
    () => document.getElementById("models-status")?.textContent !== "Loading styles…",
  );
}

export async function pickModel(page: Page, id: string): Promise<void> {
  await page.locator(".card", { has: page.locator(`input[value="${id}"]`) }).click();
}

export async function setOptions(page: Page, o: SiteOptions): Promise<void> {
  if (!(await page.locator("#options").evaluate((d) => (d as HTMLDetailsElement).open))) {
    await page.click("#options summary");
  }
  if (o.engine) await page.check(`input[name=engine][value=${o.engine}]`);
  if (o.mode) await page.check(`input[name=mode][value=${o.mode}]`);
  if (o.workingSize) await page.selectOption("#working-size", String(o.workingSize));
  if (o.maxPixels) await page.selectOption("#max-pixels", String(o.maxPixels));
}

async function runs(page: Page): Promise<number> {
  return Number((await page.locator("#result").getAttribute("data-runs")) ?? 0);
}

export interface Result {
  png: Uint8Array;
  engine: string;
  dtype: string;
  fellBack: boolean;
  note: string;
  messages: string;
  /** The page's own timing of the run (decode, statistics pass, tiles, encode) and its parts. */
  ms: number;
  statsMs: number;
  tiles: number;
}

export interface TranslateOptions {
  timeoutMs?: number;
  /** Read the result PNG back (skip it for huge results: the copy costs more than the check). */
  readPng?: boolean;
}

/** Perform `action` (an upload or a click) and wait for the translation it starts. */
export async function translate(
  page: Page,
  action: () => Promise<void>,
  { timeoutMs = 90_000, readPng = true }: TranslateOptions = {},
): Promise<Result> {
  const before = await runs(page);
  await action();
  try {
    await page.waitForFunction(
      (n) => Number(document.getElementById("result")?.dataset.runs ?? 0) > n,
      before,
      { timeout: timeoutMs },
    );
  } catch (err) {
    throw new Error(
      `no result; the page says: ${await page.locator("#messages").textContent()}\n${err}`,
    );
  }
  const data = await page.locator("#result").evaluate((el) => ({ ...(el as HTMLElement).dataset }));
  const b64 = await page.evaluate(async (read) => {
    if (!read) return "";
    const href = (document.getElementById("download-png") as HTMLAnchorElement).href;
    const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000)
      s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, readPng);
  return {
    png: new Uint8Array(Buffer.from(b64, "base64")),
    engine: data.engine ?? "",
    dtype: data.dtype ?? "",
    fellBack: data.fellBack === "true",
    note: (await page.locator("#engine-note").textContent()) ?? "",
    messages: (await page.locator("#messages").textContent()) ?? "",
    ms: Number(data.ms),
    statsMs: Number(data.statsMs),
    tiles: Number(data.tiles),
  };
}

export function upload(
  page: Page,
  selector: string,
  name: string,
  mimeType: string,
  buffer: Buffer | Uint8Array,
) {
  return () => page.setInputFiles(selector, { name, mimeType, buffer: Buffer.from(buffer) });
}
