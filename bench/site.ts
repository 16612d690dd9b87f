/// <reference types="@webgpu/types" />
/**
 * `npm run bench:site [-- --quick | --models shipped,ngf64,ngf32 --sizes 256,512 --runs 5 --warmup 1
 *   --first-runs 3 --limit-s 600 --engines wasm,webgpu --software-webgpu | --gpu]`
 *
 * The site in headless Chromium, served by the real worker on 127.0.0.1:
 * - first view: scripts and bytes of JavaScript (raw, gzip, brotli);
 * - time to first translation with a cold cache (fresh profile) and a warm one
 *   (reload: model from the Cache API);
 * - onnxruntime-web latency per engine, thread count, variant and size, with
 *   onnxruntime-node on the same files as the native reference, at 1 thread
 *   and at as many as the multi-threaded wasm rows use.
 * Models: the shipped generators plus the reference sizes (ngf 64 / 9 blocks,
 * ngf 32 / 6 blocks) with random weights. WebGPU on a software adapter
 * (SwiftShader) is 100-300x slower than wasm and is skipped unless
 * --software-webgpu is given. --gpu is for a machine with a real GPU
 * (scripts/bench-gpu.sh): Chromium runs WebGPU on Vulkan, and a missing or
 * software adapter is an error instead of a skipped row.
 */
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import * as ortNode from "onnxruntime-node";
import type { Page } from "playwright-core";
import { type Browser, launch } from "../scripts/lib/chromium.ts";
import { openSite, pickModel, setOptions, translate, upload } from "../scripts/lib/site-page.ts";
import { testPhoto } from "../scripts/lib/test-photo.ts";
import { startWorker } from "../scripts/lib/worker-server.ts";
import { ortBasePath } from "../site/src/integrations/static-assets.ts";
import { packageVersions, type Row, runStart, writeReport } from "./report.ts";
import { type BenchModel, benchModels, MODEL_SETS, type ModelSet } from "./site-models.ts";
import { measureInPage, median, weighFirstView } from "./site-page.ts";

/** Chromium on Linux: WebGPU on the GPU's Vulkan driver, headless, whatever the blocklist says. */
const GPU_FLAGS = ["--enable-features=Vulkan", "--use-angle=vulkan", "--ignore-gpu-blocklist"];

interface Settings {
  sizes: number[];
  runs: number;
  warmup: number;
  engines: ("wasm" | "webgpu")[];
  softwareWebgpu: boolean;
  /** Require a hardware adapter, with the Chromium flags that give one on Linux. */
  gpu: boolean;
  quick: boolean;
  models: ModelSet[];
  /** Fresh-profile (cold, then warm) rounds of the first-translation measure. */
  firstRuns: number;
  /** Seconds one latency measurement or one first translation may take. */
  limitS: number;
}

function parse(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      sizes: { type: "string" },
      runs: { type: "string" },
      warmup: { type: "string" },
      engines: { type: "string", default: "wasm,webgpu" },
      "software-webgpu": { type: "boolean", default: false },
      gpu: { type: "boolean", default: false },
      models: { type: "string" },
      "first-runs": { type: "string" },
      "limit-s": { type: "string", default: "600" },
    },
  });
  const engines = (values.engines ?? "").split(",").filter(Boolean);
  for (const e of engines) {
    if (e !== "wasm" && e !== "webgpu")
      throw new Error(`Unsupported engine "${e}". Should be one of: wasm, webgpu.`);
  }
  if (values.gpu && !engines.includes("webgpu"))
    throw new Error("--gpu measures WebGPU: keep webgpu in --engines");
  const quick = values.quick ?? false;
  const known = ["shipped", ...Object.keys(MODEL_SETS)];
  const models = (values.models ?? (quick ? "tiny" : "shipped,ngf64,ngf32"))
    .split(",")
    .filter(Boolean);
  for (const m of models) {
    if (!known.includes(m))
      throw new Error(`Unsupported model set "${m}". Should be one of: ${known.join(", ")}.`);
  }
  const sizes = (values.sizes ?? (quick ? "64" : "256,512")).split(",").map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 16 || s % 4))
    throw new Error(`--sizes must be multiples of 4 from 16, got ${values.sizes}`);
  const firstRuns = Number(values["first-runs"] ?? (quick ? 2 : 3));
  const limitS = Number(values["limit-s"]);
  if (!(Number.isInteger(firstRuns) && firstRuns >= 1))
    throw new Error(`--first-runs must be a whole number from 1, got ${values["first-runs"]}`);
  if (!(limitS > 0)) throw new Error(`--limit-s must be a positive number of seconds`);
  return {
    sizes,
    runs: Number(values.runs ?? (quick ? 2 : 5)),
    warmup: Number(values.warmup ?? 1),
    engines: engines as Settings["engines"],
    softwareWebgpu: values["software-webgpu"] ?? false,
    gpu: values.gpu ?? false,
    quick,
    models: models as ModelSet[],
    firstRuns,
    limitS,
  };
}

/** onnxruntime-node on the same file, with exactly `threads` intra-op threads (ORT's default is every physical core). */
async function nativeLatency(
  bytes: Uint8Array,
  size: number,
  threads: number,
  s: Settings,
): Promise<{ loadMs: number; times: number[] }> {
  const t0 = performance.now();
  const session = await ortNode.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const loadMs = performance.now() - t0;
  const data = Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i * 0.37));
  const input = new ortNode.Tensor("float32", data, [1, 3, size, size]);
  for (let i = 0; i < s.warmup; i++) await session.run({ input });
  const times: number[] = [];
  for (let i = 0; i < s.runs; i++) {
    const t = performance.now();
    await session.run({ input });
    times.push(performance.now() - t);
  }
  await session.release();
  return { loadMs, times };
}

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
): Promise<{ rows: Row[]; samples: Record<string, unknown>[]; notes: string[] }> {
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

async function webgpuUsable(
  browser: Browser,
  url: string,
  s: Settings,
): Promise<{ ok: boolean; shaderF16: boolean; note?: string }> {
  await browser.page.goto(`${url}/share`);
  const info = await browser.page.evaluate(async () => {
    const adapter = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter();
    return adapter
      ? {
          fallback: adapter.info.isFallbackAdapter,
          f16: adapter.features.has("shader-f16"),
          name: adapter.info.description || adapter.info.vendor,
        }
      : null;
  });
  if (s.gpu && (!info || info.fallback))
    throw new Error(
      `--gpu: Chromium found ${info ? `only a software adapter (${info.name})` : "no WebGPU adapter"}; ` +
        "check the GPU's Vulkan driver (vulkaninfo --summary) and that Chromium may use the GPU",
    );
  if (!info)
    return { ok: false, shaderF16: false, note: "WebGPU skipped: no adapter in this Chromium" };
  if (info.fallback && !s.softwareWebgpu) {
    return {
      ok: false,
      shaderF16: false,
      note: `WebGPU skipped: software adapter (${info.name}); pass --software-webgpu to time it anyway`,
    };
  }
  return {
    ok: true,
    shaderF16: info.f16,
    note: `WebGPU adapter: ${info.name}${info.fallback ? " (software)" : ""}${info.f16 ? ", shader-f16" : ""}`,
  };
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

const started = performance.now();
function step(msg: string): void {
  console.error(`[bench:site ${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}`);
}

export async function run(args: string[]): Promise<void> {
  const started = runStart();
  const s = parse(args);
  step("building models");
  const { models, seed } = await benchModels(s.models);
  if (models.length === 0)
    throw new Error(`No models to time (--models ${s.models.join(",")}): nothing is shipped yet?`);
  step("starting the worker");
  const worker = await startWorker({ seed });
  const notes: string[] = [];
  const loadSamples: Record<string, unknown>[] = [];
  const samples: Record<string, unknown>[] = [];
  const cores = os.cpus().length;
  try {
    step("first view");
    const fresh = await launch();
    const { fv, browserVersion } = await (async () => {
      const fv = await weighFirstView(fresh.page, `${worker.url}/`);
      return { fv, browserVersion: await chromiumVersion(fresh.page) };
    })().finally(() => fresh.close());
    const versions = {
      ...packageVersions([
        "onnxruntime-web",
        "onnxruntime-node",
        "onnxruntime-common",
        "playwright-core",
      ]),
      chromium: browserVersion,
    };
    const loadRows: Row[] = [
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
    step("time to first translation");
    const smallest = smallestModel(models);
    const loadNotes: string[] = [];
    for (const size of s.sizes) {
      step(`first translation ${smallest.label} ${size}px x${s.firstRuns}`);
      const ft = await firstTranslation(worker.url, smallest, size, s);
      loadRows.push(...ft.rows);
      loadSamples.push(...ft.samples);
      loadNotes.push(...ft.notes);
    }
    const ortBase = ortBasePath();
    const rows: Row[] = [];
    const nativeThreads = [...new Set([1, cores])];
    const native = new Map<string, number>();
    for (const m of models) {
      for (const v of m.variants) {
        for (const size of s.sizes) {
          for (const threads of nativeThreads) {
            step(`node native x${threads} ${m.label} ${v.dtype} ${size}px`);
            const r = await nativeLatency(v.bytes, size, threads, s);
            const ms = median(r.times);
            native.set(`${m.label}|${v.dtype}|${size}|${threads}`, ms);
            samples.push({
              model: m.label,
              variant: v.dtype,
              size,
              engine: "node native",
              threads,
              loadMs: r.loadMs,
              times: r.times,
            });
            rows.push({
              model: m.label,
              variant: v.dtype,
              MB: v.bytes.length / 1e6,
              size,
              engine: "node native",
              threads,
              load_ms: r.loadMs,
              median_ms: ms,
              min_ms: Math.min(...r.times),
              max_ms: Math.max(...r.times),
              GFLOPs: (2 * m.macs(size)) / ms / 1e6,
              x_native_same_threads: 1,
              mem_MB: null,
            });
          }
        }
      }
    }
    const browser = await launch({
      webgpu: s.engines.includes("webgpu"),
      extraArgs: ["--enable-blink-features=ForceEagerMeasureMemory", ...(s.gpu ? GPU_FLAGS : [])],
    });
    try {
      const gpu = s.engines.includes("webgpu")
        ? await webgpuUsable(browser, worker.url, s)
        : { ok: false, shaderF16: false };
      if ("note" in gpu && gpu.note) notes.push(gpu.note);
      const configs = [
        ...(s.engines.includes("wasm")
          ? [
              { engine: "wasm" as const, threads: 1 },
              ...(cores > 1 ? [{ engine: "wasm" as const, threads: cores }] : []),
            ]
          : []),
        ...(gpu.ok ? [{ engine: "webgpu" as const, threads: 1 }] : []),
      ];
      for (const c of configs) {
        const page = await browser.context.newPage();
        await page.goto(`${worker.url}/share`);
        for (const m of models) {
          for (const v of m.variants) {
            if (c.engine === "webgpu" && v.dtype === "fp16" && !gpu.shaderF16) continue;
            for (const size of s.sizes) {
              step(`chromium ${c.engine} x${c.threads} ${m.label} ${v.dtype} ${size}px`);
              const r = await measureInPage(page, {
                ortBase,
                modelUrl: `/models/${m.id}/${v.file}`,
                engine: c.engine,
                threads: c.threads,
                size,
                warmup: s.warmup,
                runs: s.runs,
                limitMs: s.limitS * 1000,
              });
              if (r.error && !r.timedOut)
                notes.push(`${m.label} ${v.dtype} ${size}px ${c.engine}: ${r.error}`);
              const ms = r.times.length ? median(r.times) : null;
              const ref = native.get(`${m.label}|${v.dtype}|${size}|${c.threads}`);
              samples.push({
                model: m.label,
                variant: v.dtype,
                size,
                engine: `chromium ${c.engine}`,
                threads: c.threads,
                loadMs: r.loadMs,
                times: r.times,
                ...(r.error ? { error: r.error } : {}),
              });
              rows.push({
                model: m.label,
                variant: v.dtype,
                MB: v.bytes.length / 1e6,
                size,
                engine: `chromium ${c.engine}`,
                threads: c.threads,
                load_ms: r.timedOut ? null : r.loadMs,
                median_ms: r.timedOut ? (r.error ?? "timeout") : ms,
                min_ms: ms === null ? null : Math.min(...r.times),
                max_ms: ms === null ? null : Math.max(...r.times),
                GFLOPs: ms ? (2 * m.macs(size)) / ms / 1e6 : null,
                x_native_same_threads: ms && ref ? ms / ref : null,
                mem_MB: r.memoryBytes === null ? null : r.memoryBytes / 1e6,
              });
            }
          }
        }
        await page.close();
      }
    } finally {
      await browser.close();
    }
    const settings = { ...s, models: models.map((m) => m.label) };
    writeReport(
      {
        name: "site-load",
        settings,
        rows: loadRows,
        notes: [
          ...loadNotes,
          `first translation: ${smallest.label} (the smallest generator timed), fast mode at the row's size (working_size: the site's option used, the smallest that keeps the photo unscaled; ran_at_px: the side the generator ran at); ms: median of n rounds, each a fresh profile (cold cache) then a reload (warm cache), min_ms / max_ms beside it, every round in the JSON's samples.`,
        ],
        samples: loadSamples,
        started,
      },
      versions,
    );
    writeReport(
      {
        name: "site-latency",
        settings,
        rows,
        notes: [
          ...notes,
          `node native: onnxruntime-node with intraOpNumThreads 1 and ${cores} (threads), operators in sequence.`,
          "x_native_same_threads: Chromium median / onnxruntime-node median for the same file and size at the row's thread count (wasm x1 vs native x1, wasm xN vs native xN; webgpu rows, whose ORT-web CPU side has 1 thread, vs native x1), measured in this run.",
          `median_ms / min_ms / max_ms: of ${s.runs} run(s) after ${s.warmup} warm-up (every run in the JSON's samples); a Chromium measurement still running after ${s.limitS} s has its worker terminated and reads "timeout".`,
          "mem_MB: measureUserAgentSpecificMemory() of the page and its workers after the runs (includes the wasm heap); '-' where it did not answer within 3 s (it waits while wasm threads spin).",
        ],
        samples,
        started,
      },
      versions,
    );
  } finally {
    await worker.stop();
  }
}
