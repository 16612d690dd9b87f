/// <reference types="@webgpu/types" />
/**
 * `npm run bench:site [-- --quick | --models shipped,ngf64,ngf32 --sizes 256,512 --runs 5 --warmup 1
 *   --engines wasm,webgpu --software-webgpu | --gpu]`
 *
 * The site in headless Chromium, served by the real worker on 127.0.0.1:
 * - first view: scripts and bytes of JavaScript (raw, gzip, brotli);
 * - time to first translation with a cold cache (fresh profile) and a warm one
 *   (reload: model from the Cache API);
 * - onnxruntime-web latency per engine, thread count, variant and size, with
 *   onnxruntime-node on the same files as the native reference.
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
import { ortBasePath } from "../site/src/integrations/static-assets.ts";
import { type Browser, launch } from "../tests/browser/chromium.ts";
import { openSite, pickModel, setOptions, translate, upload } from "../tests/browser/page.ts";
import { testPhoto } from "../tests/browser/reference.ts";
import { startWorker } from "../tests/helpers/server.ts";
import { type Row, writeReport } from "./report.ts";
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
  return {
    sizes,
    runs: Number(values.runs ?? (quick ? 2 : 5)),
    warmup: Number(values.warmup ?? 1),
    engines: engines as Settings["engines"],
    softwareWebgpu: values["software-webgpu"] ?? false,
    gpu: values.gpu ?? false,
    quick,
    models: models as ModelSet[],
  };
}

async function nativeLatency(
  bytes: Uint8Array,
  size: number,
  s: Settings,
): Promise<{ loadMs: number; ms: number }> {
  const t0 = performance.now();
  const session = await ortNode.InferenceSession.create(bytes);
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
  return { loadMs, ms: median(times) };
}

async function firstTranslation(url: string, model: BenchModel, size: number): Promise<Row[]> {
  const browser = await launch();
  try {
    const { page } = browser;
    const photo = await testPhoto(size, size);
    const rows: Row[] = [];
    for (const cache of ["cold", "warm"] as const) {
      const t0 = performance.now();
      await openSite(page, `${url}/?model=${model.id}&dir=AtoB`);
      await pickModel(page, model.id);
      await setOptions(page, { mode: "fast", workingSize: 256 });
      const r = await translate(page, upload(page, "#photo-file", "p.png", "image/png", photo), {
        timeoutMs: 600_000,
        readPng: false,
      });
      rows.push({
        measure: `first translation, ${cache} cache`,
        model: model.label,
        size,
        engine: r.note.split(":")[0] ?? "",
        ms: performance.now() - t0,
      });
    }
    return rows;
  } finally {
    await browser.close();
  }
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
  const s = parse(args);
  step("building models");
  const { models, seed } = await benchModels(s.models);
  if (models.length === 0)
    throw new Error(`No models to time (--models ${s.models.join(",")}): nothing is shipped yet?`);
  step("starting the worker");
  const worker = await startWorker({ seed });
  const notes: string[] = [];
  let browserVersion = "";
  try {
    step("first view");
    const fresh = await launch();
    const fv = await weighFirstView(fresh.page, `${worker.url}/`).finally(() => fresh.close());
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
    const smallest = models.at(-1) as BenchModel;
    loadRows.push(...(await firstTranslation(worker.url, smallest, s.sizes[0] as number)));
    const ortBase = ortBasePath();
    const rows: Row[] = [];
    const native = new Map<string, number>();
    for (const m of models) {
      for (const v of m.variants) {
        for (const size of s.sizes) {
          step(`node native ${m.label} ${v.dtype} ${size}px`);
          const r = await nativeLatency(v.bytes, size, s);
          native.set(`${m.label}|${v.dtype}|${size}`, r.ms);
          rows.push({
            model: m.label,
            variant: v.dtype,
            MB: v.bytes.length / 1e6,
            size,
            engine: "node native",
            threads: os.cpus().length,
            load_ms: r.loadMs,
            median_ms: r.ms,
            GFLOPs: (2 * m.macs(size)) / r.ms / 1e6,
            x_native: 1,
            mem_MB: null,
          });
        }
      }
    }
    const browser = await launch({
      webgpu: s.engines.includes("webgpu"),
      extraArgs: ["--enable-blink-features=ForceEagerMeasureMemory", ...(s.gpu ? GPU_FLAGS : [])],
    });
    browserVersion = browser.context.browser()?.version() ?? "";
    try {
      const gpu = s.engines.includes("webgpu")
        ? await webgpuUsable(browser, worker.url, s)
        : { ok: false, shaderF16: false };
      if ("note" in gpu && gpu.note) notes.push(gpu.note);
      const configs = [
        ...(s.engines.includes("wasm")
          ? [
              { engine: "wasm" as const, threads: 1 },
              { engine: "wasm" as const, threads: os.cpus().length },
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
              });
              if (r.error) notes.push(`${m.label} ${v.dtype} ${size}px ${c.engine}: ${r.error}`);
              const ms = r.times.length ? median(r.times) : null;
              const ref = native.get(`${m.label}|${v.dtype}|${size}`);
              rows.push({
                model: m.label,
                variant: v.dtype,
                MB: v.bytes.length / 1e6,
                size,
                engine: `chromium ${c.engine}`,
                threads: c.threads,
                load_ms: r.loadMs,
                median_ms: ms,
                GFLOPs: ms ? (2 * m.macs(size)) / ms / 1e6 : null,
                x_native: ms && ref ? ms / ref : null,
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
    writeReport({ name: "site-load", settings, rows: loadRows });
    writeReport(
      {
        name: "site-latency",
        settings,
        rows,
        notes: [
          ...notes,
          "x_native: Chromium median / onnxruntime-node median for the same file and size, measured in this run.",
          "mem_MB: measureUserAgentSpecificMemory() of the page and its workers after the runs (includes the wasm heap); '-' where it did not answer within 3 s (it waits while wasm threads spin).",
        ],
      },
      {
        "onnxruntime-web": ortBasePath().split("/")[2] ?? "",
        "onnxruntime-node": ortNode.env.versions.node ?? "",
        chromium: browserVersion,
      },
    );
  } finally {
    await worker.stop();
  }
}
