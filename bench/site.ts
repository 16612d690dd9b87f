/**
 * `npm run bench:site [-- --quick | --models shipped,ngf64,ngf32 --sizes 256,512 --runs 5 --warmup 1
 *   --first-runs 3 --limit-s 600 --engines wasm,webgpu --software-webgpu | --gpu --full-mp 2,12,24]`
 *
 * The site in headless Chromium, served by the real worker on 127.0.0.1:
 * - first view: scripts and bytes of JavaScript (raw, gzip, brotli);
 * - time to first translation with a cold cache (fresh profile) and a warm one
 *   (reload: model from the Cache API);
 * - onnxruntime-web latency per engine, thread count, variant and size, with
 *   onnxruntime-node on the same files as the native reference, at 1 thread
 *   and at as many as the multi-threaded wasm rows use;
 * - full resolution of a real photo at 2, 12 and 24 MP: time, statistics pass,
 *   peak memory (site-full-resolution.ts);
 * - converting a 45 MB ngf 64 / 9-block .pth in the page: time per stage,
 *   peak memory, longest main-thread stall (site-pth.ts; not with --quick).
 * Models: the shipped generators plus the reference sizes (ngf 64 / 9 blocks,
 * ngf 32 / 6 blocks) with random weights. WebGPU on a software adapter
 * (SwiftShader) is 100-300x slower than wasm and is skipped unless
 * --software-webgpu is given. --gpu is for a machine with a real GPU
 * (scripts/bench-gpu.sh): Chromium runs WebGPU on Vulkan, and a missing or
 * software adapter is an error instead of a skipped row.
 *
 * Parts: site-settings.ts (options), site-load.ts (first view, first
 * translation), site-latency.ts (native and Chromium latency); this file runs
 * them in order and writes the two reports (site-load, site-latency).
 */
import os from "node:os";
import { startWorker } from "../scripts/lib/worker-server.ts";
import { packageVersions, type RunStart, runStart, writeReport } from "./report.ts";
import { measureFullResolution } from "./site-full-resolution.ts";
import { measureChromium, measureNative } from "./site-latency.ts";
import { measureLive } from "./site-live.ts";
import { measureFirstTranslations, measureFirstView } from "./site-load.ts";
import { benchModels } from "./site-models.ts";
import { measurePthImport } from "./site-pth.ts";
import { parse, type Section, type Settings, step } from "./site-settings.ts";

export async function run(args: string[]): Promise<void> {
  const started = runStart();
  const s = parse(args);
  step("building models");
  const { models, seed } = await benchModels(s.models);
  if (models.length === 0)
    throw new Error(`No models to time (--models ${s.models.join(",")}): nothing is shipped yet?`);
  step("starting the worker");
  const worker = await startWorker({ seed });
  const cores = os.cpus().length;
  try {
    step("first view");
    const firstView = await measureFirstView(worker.url);
    step("time to first translation");
    const first = await measureFirstTranslations(worker.url, models, s);
    const native = await measureNative(models, s, cores);
    const chromium = await measureChromium(worker.url, models, s, cores, native.medians);
    const full = await measureFullResolution(worker.url, models, s, s.fullMp);
    const live = await measureLive(worker.url, models, s, cores);
    step(s.quick ? "(--quick: no .pth conversion)" : "a 45 MB .pth converted in the page");
    const pth = s.quick ? undefined : await measurePthImport(`${worker.url}/`);
    const report = {
      settings: { ...s, models: models.map((m) => m.label) },
      started,
      versions: versions(firstView.chromium),
    };
    writeLoadReport(
      report,
      { ...first, rows: [...firstView.rows, ...first.rows] },
      first.model.label,
    );
    writeLatencyReport(report, [native, chromium], s, cores);
    if (live.rows.length > 0) {
      writeReport(
        { name: "site-live", ...live, settings: report.settings, started },
        report.versions,
      );
    }
    if (full.rows.length > 0) {
      writeReport(
        {
          name: "site-full-resolution",
          settings: report.settings,
          started,
          rows: full.rows,
          notes: full.notes,
          samples: full.samples,
        },
        report.versions,
      );
    }
    if (pth)
      writeReport(
        { name: "site-pth", settings: report.settings, started, ...pth },
        report.versions,
      );
  } finally {
    await worker.stop();
  }
}

interface ReportBase {
  settings: Record<string, unknown>;
  started: RunStart;
  versions: Record<string, string>;
}

function versions(chromium: string): Record<string, string> {
  return {
    ...packageVersions([
      "onnxruntime-web",
      "onnxruntime-node",
      "onnxruntime-common",
      "playwright-core",
    ]),
    chromium,
  };
}

/** site-load: the first view's bytes, then the first translation at each size with `model`. */
function writeLoadReport(base: ReportBase, load: Section, model: string): void {
  writeReport(
    {
      name: "site-load",
      settings: base.settings,
      rows: load.rows,
      notes: [
        ...load.notes,
        `first translation: ${model} (the smallest generator timed), fast mode at the row's size (working_size: the site's option used, the smallest that keeps the photo unscaled; ran_at_px: the side the generator ran at); ms: median of n rounds, each a fresh profile (cold cache) then a reload (warm cache), min_ms / max_ms beside it, every round in the JSON's samples.`,
      ],
      samples: load.samples,
      started: base.started,
    },
    base.versions,
  );
}

/** site-latency: the sections' rows, samples and notes in order, then what the columns mean. */
function writeLatencyReport(
  base: ReportBase,
  sections: Section[],
  s: Settings,
  cores: number,
): void {
  writeReport(
    {
      name: "site-latency",
      settings: base.settings,
      rows: sections.flatMap((x) => x.rows),
      notes: [
        ...sections.flatMap((x) => x.notes),
        `node native: onnxruntime-node with intraOpNumThreads 1 and ${cores} (threads), operators in sequence.`,
        "x_native_same_threads: Chromium median / onnxruntime-node median for the same file and size at the row's thread count (wasm x1 vs native x1, wasm xN vs native xN; webgpu rows, whose ORT-web CPU side has 1 thread, vs native x1), measured in this run.",
        `median_ms / min_ms / max_ms: of ${s.runs} run(s) after ${s.warmup} warm-up (every run in the JSON's samples); a Chromium measurement still running after ${s.limitS} s has its worker terminated and reads "timeout".`,
        "mem_MB: measureUserAgentSpecificMemory() of the page and its workers after the runs (includes the wasm heap); '-' where it did not answer within 3 s (it waits while wasm threads spin).",
      ],
      samples: sections.flatMap((x) => x.samples),
      started: base.started,
    },
    base.versions,
  );
}
