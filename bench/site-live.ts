/**
 * bench:site's live-camera rows: the translate page's live mode in headless
 * Chromium with a fake camera (a 640x480, 30 frames/s Y4M clip made here),
 * per model and live size, on WebAssembly with every core's thread: frames
 * drawn per second, capture-to-drawn latency (p50, p95) and where a frame's
 * time goes (capture, convert, run, draw; medians). Each size runs until 60
 * frames are drawn after a warm-up of 5, or `limitS`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { launch } from "../scripts/lib/chromium.ts";
import { writeY4m } from "../scripts/lib/live-clip.ts";
import { openSite, setOptions } from "../scripts/lib/site-page.ts";
import type { BenchModel } from "./site-models.ts";
import { type Section, type Settings, step } from "./site-settings.ts";

export const LIVE_BENCH_SIZES = [128, 192, 256, 384];
const WARMUP = 5;
const WINDOW = 60;

type LiveData = Record<string, string | undefined>;

const data = (page: Page): Promise<LiveData> =>
  page.locator("#live").evaluate((el) => ({ ...(el as HTMLElement).dataset }));

/**
 * Waits for `frames` more drawn frames (or the time limit) and returns the
 * page's numbers. A count that goes down is a reset (a new size restarts the
 * statistics), counted from zero.
 */
async function drawMore(page: Page, frames: number, limitS: number): Promise<LiveData> {
  let base = Number((await data(page)).drawn ?? 0);
  let last = base;
  const deadline = Date.now() + limitS * 1000;
  while (Date.now() < deadline) {
    const d = await data(page);
    if (d.state === "error")
      throw new Error(`live mode stopped: ${await page.locator("#live-message").textContent()}`);
    const drawn = Number(d.drawn ?? 0);
    if (drawn < last) base = 0;
    last = drawn;
    if (drawn >= base + frames) return d;
    await page.waitForTimeout(250);
  }
  return data(page);
}

export async function measureLive(
  url: string,
  models: BenchModel[],
  s: Settings,
  cores: number,
): Promise<Section> {
  const out: Section = { rows: [], samples: [], notes: [] };
  // Shipped generators (one direction each: all share one architecture per model) and, in --quick, the tiny one.
  const timed = models.filter((m, i, all) =>
    m.label.startsWith("random") ? s.quick : all.findIndex((x) => x.id === m.id) === i,
  );
  if (timed.length === 0 || !s.engines.includes("wasm")) return out;
  const dir = await mkdtemp(path.join(os.tmpdir(), "unpaired-bench-live-"));
  const clip = await writeY4m(path.join(dir, "clip.y4m"), {
    width: 640,
    height: 480,
    frames: 60,
    fps: 30,
  });
  const browser = await launch({ fakeCamera: { clip } });
  const sizes = s.quick ? [128, 192] : LIVE_BENCH_SIZES;
  try {
    for (const m of timed) {
      const { page } = browser;
      await openSite(page, `${url}/?model=${m.id}&dir=${m.direction}`);
      await setOptions(page, { engine: "wasm" });
      for (const size of sizes) {
        step(`live ${m.label} ${size}px wasm x${cores}`);
        await page.selectOption("#live-size", String(size));
        if ((await page.locator("#live-toggle").getAttribute("aria-pressed")) !== "true") {
          await page.click("#live-toggle");
        }
        await drawMore(page, WARMUP, s.limitS);
        const t0 = Date.now();
        const d = await drawMore(page, WINDOW, s.quick ? 20 : 60);
        const seconds = (Date.now() - t0) / 1000;
        const n = (k: string) => Number(d[k] ?? Number.NaN);
        out.samples.push({ model: m.label, size, engine: "wasm", threads: cores, seconds, ...d });
        out.rows.push({
          model: m.label,
          size,
          frame: `${d.width}x${d.height}`,
          engine: "wasm",
          threads: cores,
          fps: n("fps"),
          latency_p50_ms: n("latencyP50"),
          latency_p95_ms: n("latencyP95"),
          capture_ms: n("captureMs"),
          convert_ms: n("convertMs"),
          run_ms: n("runMs"),
          draw_ms: n("drawMs"),
          dropped_pct: (100 * n("dropped")) / Math.max(1, n("presented")),
        });
      }
      await page.click("#live-toggle");
    }
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
  out.notes.push(
    `live: the page's live mode on a fake 640x480 camera at 30 frames/s; fps, latency (capture to drawn) and stage medians over the last ${WINDOW} frames after ${WARMUP} warm-up frames per size (a size that draws fewer within the time limit reports what it drew); frame: the size the generator ran at (the camera's 4:3 shape, longest side = size); dropped_pct: camera frames skipped while the engine was busy (since the start of the model's run). WebGPU rows come from scripts/bench-gpu.sh on a machine with a GPU.`,
  );
  return out;
}

/** `node bench/site-live.ts [--quick]`: only these rows (the shipped models), without the rest of bench:site. */
if (import.meta.main) {
  const { startWorker } = await import("../scripts/lib/worker-server.ts");
  const { benchModels } = await import("./site-models.ts");
  const { parse } = await import("./site-settings.ts");
  const { packageVersions, runStart, writeReport } = await import("./report.ts");
  const started = runStart();
  const s = parse(process.argv.slice(2));
  const { models, seed } = await benchModels(s.quick ? ["tiny"] : ["shipped"]);
  const worker = await startWorker({ seed });
  try {
    const live = await measureLive(worker.url, models, s, os.cpus().length);
    writeReport(
      {
        name: "site-live",
        ...live,
        settings: { ...s, models: models.map((m) => m.label) },
        started,
      },
      packageVersions(["onnxruntime-web", "playwright-core"]),
    );
  } finally {
    await worker.stop();
  }
}
