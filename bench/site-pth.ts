/**
 * Converting a reference-size .pth in the page (issue 17): a 45.5 MB
 * ngf 64 / 9-block generator (random weights at the reference's init, zip
 * format) opened with "Use your own model", through reading, converting and
 * checking, in headless Chromium served by the real worker. Measures:
 * - the time of each stage (from the page's own progress text) and in all;
 * - the renderer's peak resident memory during the conversion (VmHWM of the
 *   Chromium renderer processes, reset just before; the page's workers and
 *   onnxruntime-web's threads live in that process);
 * - the longest gap between the page's 16 ms timer ticks while it ran (a
 *   frozen page would show the whole conversion here).
 * Runs inside `npm run bench:site` (bench/site.ts) and on its own:
 * `node bench/site-pth.ts [--runs 1]` (writes bench/results/site-pth-*.json).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Browser, launch } from "../scripts/lib/chromium.ts";
import { openSite } from "../scripts/lib/site-page.ts";
import { seedOf, tinyModel } from "../scripts/lib/tiny-models.ts";
import { torchZip } from "../scripts/lib/torch-checkpoint.ts";
import { startWorker } from "../scripts/lib/worker-server.ts";
import { randomWeights } from "../training/export/random-weights.ts";
import { buildGenerator } from "../training/networks/index.ts";
import { runStart, writeReport } from "./report.ts";
import type { Section } from "./site-settings.ts";

/** Chromium renderer processes (by command line) and their /proc entries. */
function renderers(): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return /chromium/.test(cmd) && cmd.includes("--type=renderer");
      } catch {
        return false;
      }
    })
    .map(Number);
}

function resetPeak(pids: number[]): void {
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
    } catch {
      // a process that ended meanwhile
    }
  }
}

/** The largest of `field` (VmHWM: peak since the reset, VmRSS: now) over `pids`, MiB. */
function largestMiB(pids: number[], field: "VmHWM" | "VmRSS" = "VmHWM"): number {
  let peak = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
      peak = Math.max(peak, Number(kb ?? 0) / 1024);
    } catch {
      // gone
    }
  }
  return peak;
}

interface Run {
  total_ms: number;
  worker_ms: number;
  reading_ms: number;
  converting_ms: number;
  checking_ms: number;
  peak_renderer_MiB: number;
  /** The renderer's resident memory just before the file was chosen. */
  before_MiB: number;
  longest_stall_ms: number;
  /** Main-thread tasks over 50 ms during the conversion, and the longest (0 when none). */
  long_tasks: number;
  longest_task_ms: number;
  status: string;
}

async function convertOnce(browser: Browser, url: string, pth: string): Promise<Run> {
  const { page } = browser;
  await openSite(page, url);
  await page.evaluate(() => {
    const w = window as unknown as { stages: [string, number][]; stall: number; tasks: number[] };
    w.stages = [];
    w.stall = 0;
    w.tasks = [];
    // Tasks over 50 ms on the page's main thread (what makes a page feel frozen).
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.tasks.push(e.duration);
    }).observe({ type: "longtask" });
    const stage = document.getElementById("pth-stage") as HTMLElement;
    new MutationObserver(() => w.stages.push([stage.textContent ?? "", performance.now()])).observe(
      stage,
      { childList: true, characterData: true, subtree: true },
    );
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      w.stall = Math.max(w.stall, now - last);
      last = now;
    }, 16);
  });
  const pids = renderers();
  resetPeak(pids);
  const before = largestMiB(pids, "VmRSS");
  const t0 = await page.evaluate(() => performance.now());
  // A path, as a visitor's file: Chromium opens it itself (a buffer would be
  // decoded from base64 by script on the page's main thread, timing the harness).
  await page.setInputFiles("#own-model-file", pth);
  await page.waitForFunction(
    () => ["done", "error"].includes(document.getElementById("your-models")?.dataset.state ?? ""),
    null,
    { timeout: 900_000 },
  );
  const peak = largestMiB(renderers());
  const got = await page.evaluate(() => {
    const w = window as unknown as { stages: [string, number][]; stall: number; tasks: number[] };
    const s = document.getElementById("your-models") as HTMLElement;
    return {
      stages: w.stages,
      stall: w.stall,
      tasks: w.tasks,
      end: performance.now(),
      state: s.dataset.state ?? "",
      workerMs: Number(s.dataset.lastMs ?? 0),
      status: document.getElementById("your-models-status")?.textContent ?? "",
      messages: document.getElementById("messages")?.textContent ?? "",
    };
  });
  if (got.state !== "done") throw new Error(`the conversion failed: ${got.messages}`);
  const first = (re: RegExp) => got.stages.find(([t]) => re.test(t))?.[1] ?? Number.NaN;
  const [reading, converting, checking] = [/^Reading/, /^Converting/, /^Checking/].map(first) as [
    number,
    number,
    number,
  ];
  // Delete it again, so the next round (and the visitor's quota) starts empty.
  await page.locator("#your-models-list li [data-action=delete]").first().click();
  return {
    total_ms: Math.round(got.end - t0),
    worker_ms: got.workerMs,
    reading_ms: Math.round(converting - reading),
    converting_ms: Math.round(checking - converting),
    checking_ms: Math.round(got.end - checking),
    peak_renderer_MiB: Math.round(peak),
    before_MiB: Math.round(before),
    longest_stall_ms: Math.round(got.stall),
    long_tasks: got.tasks.length,
    longest_task_ms: Math.round(Math.max(0, ...got.tasks)),
    status: got.status,
  };
}

/** The conversion rows for bench:site (site-pth report). */
export async function measurePthImport(url: string, runs = 1): Promise<Section> {
  const spec = buildGenerator("resnet_9blocks", { ngf: 64 });
  const bytes = torchZip(randomWeights(spec, { seed: 7 }));
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-pth-"));
  const pth = path.join(dir, "ngf64-9blocks.pth");
  writeFileSync(pth, bytes);
  const browser = await launch();
  const samples: Record<string, unknown>[] = [];
  try {
    for (let i = 0; i < runs; i++) samples.push({ ...(await convertOnce(browser, url, pth)) });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (k: keyof Run) => {
    const xs = samples.map((s) => s[k] as number).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)] ?? 0;
  };
  const mb = (bytes.length / 1e6).toFixed(1);
  return {
    rows: [
      {
        model: `ngf64/9 .pth (${mb} MB zip)`,
        runs,
        total_ms: median("total_ms"),
        reading_ms: median("reading_ms"),
        converting_ms: median("converting_ms"),
        checking_ms: median("checking_ms"),
        peak_renderer_MiB: median("peak_renderer_MiB"),
        before_MiB: median("before_MiB"),
        longest_stall_ms: median("longest_stall_ms"),
        long_tasks: median("long_tasks"),
        longest_task_ms: median("longest_task_ms"),
      },
    ],
    samples,
    notes: [
      "total_ms: file chosen -> converted, checked and kept (Cache API), as the page shows it; reading/converting/checking from the page's progress text (checking includes the plain-JS float32 reference on the 32 px probe and each variant in onnxruntime-web, then storing).",
      "peak_renderer_MiB: largest VmHWM of Chromium's renderer processes, reset just before the file is chosen (the import worker and onnxruntime-web threads run in the page's renderer); before_MiB: its resident memory just before.",
      "longest_stall_ms: longest gap between the page's 16 ms timer ticks during the conversion: on a loaded machine this includes waiting for a core. long_tasks / longest_task_ms: tasks over 50 ms on the page's main thread (PerformanceObserver 'longtask'), the page's own work; 0 means it never blocked.",
    ],
  };
}

if (import.meta.main) {
  const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 1) || 1;
  const started = runStart();
  const worker = await startWorker({ seed: seedOf(tinyModel()) });
  try {
    const section = await measurePthImport(`${worker.url}/`, runs);
    writeReport({ name: "site-pth", settings: { runs }, started, ...section }, {});
  } finally {
    await worker.stop();
  }
}
