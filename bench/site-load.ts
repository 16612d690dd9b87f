/**
 * bench:site's load measures: what the first view downloads, what the offline
 * shell precaches after it, and the time to the first translation with a cold
 * cache (fresh profile) and a warm one (reload: model from the Cache API).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import { launch } from "../scripts/lib/chromium.ts";
import { openSite, pickModel, setOptions, translate, upload } from "../scripts/lib/site-page.ts";
import { testPhoto } from "../scripts/lib/test-photo.ts";
import type { Row } from "./report.ts";
import type { BenchModel } from "./site-models.ts";
import { median, weighFirstView } from "./site-page.ts";
import { type Section, type Settings, step } from "./site-settings.ts";

/**
 * The full Chromium version (a persistent context has no Browser object to ask,
 * and the user agent string says only the major version).
 */
function chromiumVersion(page: Page): Promise<string> {
  return page.evaluate(async () => {
    type Brand = { brand: string; version: string };
    const uad = (
      navigator as Navigator & {
        userAgentData?: {
          getHighEntropyValues(hints: string[]): Promise<{ fullVersionList?: Brand[] }>;
        };
      }
    ).userAgentData;
    const list = uad ? (await uad.getHighEntropyValues(["fullVersionList"])).fullVersionList : [];
    return list?.find((b) => b.brand === "Chromium")?.version ?? navigator.userAgent;
  });
}

/** What the service worker fetches in the background once the first view is up: site/dist/_astro. */
function precacheBytes(): { scripts: number; bytes: number; gzip: number } {
  const dir = path.resolve(import.meta.dirname, "../site/dist/_astro");
  const files = readdirSync(dir).map((f) => readFileSync(path.join(dir, f)));
  return {
    scripts: files.length,
    bytes: files.reduce((n, b) => n + b.length, 0),
    gzip: files.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
  };
}

/**
 * The first view in a fresh profile (scripts and bytes of JavaScript: raw,
 * gzip, brotli; all bytes), then the offline shell's precache; with the full
 * Chromium version for the report.
 */
export async function measureFirstView(url: string): Promise<{ rows: Row[]; chromium: string }> {
  const fresh = await launch();
  const { fv, chromium } = await (async () => {
    const fv = await weighFirstView(fresh.page, `${url}/`);
    return { fv, chromium: await chromiumVersion(fresh.page) };
  })().finally(() => fresh.close());
  const rows: Row[] = [
    {
      measure: "first view JavaScript",
      scripts: fv.scripts,
      bytes: fv.jsBytes,
      gzip: fv.jsGzip,
      brotli: fv.jsBrotli,
    },
    { measure: "first view, all bytes", bytes: fv.totalBytes },
    { measure: "offline shell precache, after first view (JS + CSS)", ...precacheBytes() },
  ];
  return { rows, chromium };
}

/** The generator the first-translation measure uses: the one with the smallest float32 file (its parameter count). */
function smallestModel(models: BenchModel[]): BenchModel {
  const weight = (m: BenchModel) => Math.max(...m.variants.map((v) => v.bytes.length));
  return models.reduce((a, b) => (weight(b) < weight(a) ? b : a));
}

/** The site's working size for a photo of `size` px: the smallest offered that keeps it unscaled, else the largest. */
async function workingSizeFor(page: Page, size: number): Promise<number> {
  const offered = (
    await page.$$eval("#working-size option", (opts) =>
      opts.map((o) => Number((o as HTMLOptionElement).value)),
    )
  ).sort((a, b) => a - b);
  return offered.find((w) => w >= size) ?? (offered.at(-1) as number);
}

/**
 * Navigation to the first result, `s.firstRuns` times: each round a fresh
 * profile (cold cache: model downloaded, ORT started) then a reload (warm:
 * model from the Cache API). Fast mode at the row's size.
 */
async function firstTranslation(
  url: string,
  model: BenchModel,
  size: number,
  s: Settings,
): Promise<Section> {
  const photo = await testPhoto(size, size);
  const ms = { cold: [] as number[], warm: [] as number[] };
  const engines = { cold: new Set<string>(), warm: new Set<string>() };
  let workingSize: number | null = null;
  let failure: { cache: "cold" | "warm"; round: number; why: string } | null = null;
  for (let round = 0; round < s.firstRuns && !failure; round++) {
    const browser = await launch();
    try {
      const { page } = browser;
      for (const cache of ["cold", "warm"] as const) {
        const t0 = performance.now();
        await openSite(page, `${url}/?model=${model.id}&dir=${model.direction}`);
        await pickModel(page, model.id);
        workingSize ??= await workingSizeFor(page, size);
        await setOptions(page, { mode: "fast", workingSize });
        try {
          const r = await translate(
            page,
            upload(page, "#photo-file", "p.png", "image/png", photo),
            {
              timeoutMs: s.limitS * 1000,
              readPng: false,
            },
          );
          ms[cache].push(performance.now() - t0);
          engines[cache].add(r.note.split(":")[0] ?? "");
        } catch (err) {
          const message = String((err as Error).message ?? err);
          failure = {
            cache,
            round: round + 1,
            why: /Timeout/.test(message)
              ? `timeout (> ${s.limitS} s)`
              : `failed: ${message.split("\n")[0]}`,
          };
          break;
        }
      }
    } finally {
      await browser.close();
    }
  }
  const rows = (["cold", "warm"] as const).map((cache): Row => {
    const xs = ms[cache];
    return {
      measure: `first translation, ${cache} cache`,
      model: model.label,
      size,
      working_size: workingSize,
      // fast mode scales a photo larger than the working size down to it
      ran_at_px: workingSize === null ? null : Math.min(size, workingSize),
      engine: [...engines[cache]].join(" / "),
      n: xs.length,
      ms: xs.length ? median(xs) : failure?.cache === cache ? failure.why : "not run",
      min_ms: xs.length ? Math.min(...xs) : null,
      max_ms: xs.length ? Math.max(...xs) : null,
    };
  });
  return {
    rows,
    samples: [
      {
        measure: "first translation",
        model: model.label,
        size,
        workingSize,
        coldMs: ms.cold,
        warmMs: ms.warm,
        ...(failure ? { error: failure } : {}),
      },
    ],
    notes: failure
      ? [
          `first translation ${size}px: ${failure.cache} cache of round ${failure.round} ${failure.why}; the rounds after it were not run`,
        ]
      : [],
  };
}

/** Time to first translation at every size, with the smallest generator (returned as `model`). */
export async function measureFirstTranslations(
  url: string,
  models: BenchModel[],
  s: Settings,
): Promise<Section & { model: BenchModel }> {
  const model = smallestModel(models);
  const out: Section = { rows: [], samples: [], notes: [] };
  for (const size of s.sizes) {
    step(`first translation ${model.label} ${size}px x${s.firstRuns}`);
    const ft = await firstTranslation(url, model, size, s);
    out.rows.push(...ft.rows);
    out.samples.push(...ft.samples);
    out.notes.push(...ft.notes);
  }
  return { ...out, model };
}
