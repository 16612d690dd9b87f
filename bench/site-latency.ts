/// <reference types="@webgpu/types" />
/**
 * bench:site's latency measures: onnxruntime-web in Chromium per engine,
 * thread count, variant and size, and onnxruntime-node on the same files as
 * the native reference, at 1 thread and at as many as the multi-threaded wasm
 * rows use.
 */
import * as ortNode from "onnxruntime-node";
import { statsFeeds, statsLength } from "../models/norm-stats.ts";
import { type Browser, launch } from "../scripts/lib/chromium.ts";
import { ortBasePath } from "../site/src/integrations/static-assets.ts";
import type { BenchModel } from "./site-models.ts";
import { measureInPage, median } from "./site-page.ts";
import { type Section, type Settings, step } from "./site-settings.ts";

/** Chromium on Linux: WebGPU on the GPU's Vulkan driver, headless, whatever the blocklist says. */
const GPU_FLAGS = ["--enable-features=Vulkan", "--use-angle=vulkan", "--ignore-gpu-blocklist"];

/** Native medians by model, variant, size and threads: what the Chromium rows are compared with. */
export type NativeMedians = Map<string, number>;

const nativeKey = (m: BenchModel, dtype: string, size: number, threads: number) =>
  `${m.label}|${dtype}|${size}|${threads}`;

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
  const tensor = (d: Float32Array, dims: number[]) => new ortNode.Tensor("float32", d, dims);
  // Graphs with normalisation statistics run on their own (zeros, freeze 0), as in the page.
  const feeds = {
    input: tensor(data, [1, 3, size, size]),
    ...statsFeeds(statsLength(session.inputMetadata), undefined, tensor),
  };
  for (let i = 0; i < s.warmup; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < s.runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  await session.release();
  return { loadMs, times };
}

/** onnxruntime-node on every model, variant and size, at 1 thread and at `cores`. */
export async function measureNative(
  models: BenchModel[],
  s: Settings,
  cores: number,
): Promise<Section & { medians: NativeMedians }> {
  const out: Section = { rows: [], samples: [], notes: [] };
  const medians: NativeMedians = new Map();
  for (const m of models) {
    for (const v of m.variants) {
      for (const size of s.sizes) {
        for (const threads of new Set([1, cores])) {
          step(`node native x${threads} ${m.label} ${v.dtype} ${size}px`);
          const r = await nativeLatency(v.bytes, size, threads, s);
          const ms = median(r.times);
          medians.set(nativeKey(m, v.dtype, size, threads), ms);
          out.samples.push({
            model: m.label,
            variant: v.dtype,
            size,
            engine: "node native",
            threads,
            loadMs: r.loadMs,
            times: r.times,
          });
          out.rows.push({
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
  return { ...out, medians };
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

interface Config {
  engine: "wasm" | "webgpu";
  threads: number;
}

/** wasm at 1 thread and at `cores`, then WebGPU (its ORT-web CPU side has 1 thread) where usable. */
function configs(s: Settings, cores: number, webgpu: boolean): Config[] {
  return [
    ...(s.engines.includes("wasm")
      ? [
          { engine: "wasm" as const, threads: 1 },
          ...(cores > 1 ? [{ engine: "wasm" as const, threads: cores }] : []),
        ]
      : []),
    ...(webgpu ? [{ engine: "webgpu" as const, threads: 1 }] : []),
  ];
}

/** One model file at one size in a page of the site: its row, its sample and any error note into `out`. */
async function measureOne(
  page: Browser["page"],
  job: {
    ortBase: string;
    c: Config;
    m: BenchModel;
    v: BenchModel["variants"][number];
    size: number;
  },
  s: Settings,
  native: NativeMedians,
  out: Section,
): Promise<void> {
  const { ortBase, c, m, v, size } = job;
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
    out.notes.push(`${m.label} ${v.dtype} ${size}px ${c.engine}: ${r.error}`);
  const ms = r.times.length ? median(r.times) : null;
  const ref = native.get(nativeKey(m, v.dtype, size, c.threads));
  out.samples.push({
    model: m.label,
    variant: v.dtype,
    size,
    engine: `chromium ${c.engine}`,
    threads: c.threads,
    loadMs: r.loadMs,
    times: r.times,
    ...(r.error ? { error: r.error } : {}),
  });
  out.rows.push({
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

/**
 * onnxruntime-web in one Chromium, a fresh page per engine and thread count:
 * every model, variant and size (fp16 on WebGPU only with shader-f16); the
 * WebGPU adapter note first, then any measurement's error.
 */
export async function measureChromium(
  url: string,
  models: BenchModel[],
  s: Settings,
  cores: number,
  native: NativeMedians,
): Promise<Section> {
  const out: Section = { rows: [], samples: [], notes: [] };
  const browser = await launch({
    webgpu: s.engines.includes("webgpu"),
    extraArgs: ["--enable-blink-features=ForceEagerMeasureMemory", ...(s.gpu ? GPU_FLAGS : [])],
  });
  try {
    const gpu = s.engines.includes("webgpu")
      ? await webgpuUsable(browser, url, s)
      : { ok: false, shaderF16: false };
    if ("note" in gpu && gpu.note) out.notes.push(gpu.note);
    const ortBase = ortBasePath();
    for (const c of configs(s, cores, gpu.ok)) {
      const page = await browser.context.newPage();
      await page.goto(`${url}/share`);
      for (const m of models) {
        for (const v of m.variants) {
          if (c.engine === "webgpu" && v.dtype === "fp16" && !gpu.shaderF16) continue;
          for (const size of s.sizes) {
            await measureOne(page, { ortBase, c, m, v, size }, s, native, out);
          }
        }
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}
