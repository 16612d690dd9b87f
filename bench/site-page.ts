/**
 * Measurements taken inside headless Chromium for `bench:site`: onnxruntime-web
 * latency in a page of the site (same origin, so cross-origin isolated and
 * multithreaded), and what the first view downloads.
 */
import { brotliCompressSync, gzipSync } from "node:zlib";
import type { Page } from "playwright-core";

export interface PageLatency {
  loadMs: number;
  times: number[];
  /** performance.measureUserAgentSpecificMemory() of the page and its workers after the runs. */
  memoryBytes: number | null;
  error?: string;
  /** The measurement ran past LatencyJob.limitMs and its worker was terminated. */
  timedOut?: boolean;
}

export interface LatencyJob {
  ortBase: string;
  modelUrl: string;
  engine: "wasm" | "webgpu";
  threads: number;
  size: number;
  warmup: number;
  runs: number;
  /** Wall time the whole measurement (fetch, session, warm-up, runs) may take before its worker is terminated. */
  limitMs: number;
}

/**
 * The timing loop, run in a fresh module worker per measurement (as the site
 * runs ORT in its own worker; a fresh one also lets the thread count change).
 * Plain JavaScript: it is shipped to the page as a blob.
 */
const WORKER_SOURCE = `
self.onmessage = async ({ data: j }) => {
  try {
    const ort = await import(j.ortBase + (j.engine === "webgpu" ? "ort.jspi.min.mjs" : "ort.wasm.min.mjs"));
    ort.env.wasm.wasmPaths = j.ortBase;
    ort.env.wasm.numThreads = j.threads;
    const bytes = new Uint8Array(await (await fetch(j.modelUrl)).arrayBuffer());
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [j.engine] });
    const loadMs = performance.now() - t0;
    const data = Float32Array.from({ length: 3 * j.size * j.size }, (_, i) => Math.sin(i * 0.37));
    const feeds = { input: new ort.Tensor("float32", data, [1, 3, j.size, j.size]) };
    // Graphs with normalisation statistics (models/norm-stats.ts) run on their own: zeros, freeze 0.
    const stats = session.inputMetadata.find((i) => i.name === "norm_stats");
    if (stats) {
      const length = stats.shape[1];
      feeds.norm_stats = new ort.Tensor("float32", new Float32Array(length), [1, length]);
      feeds.norm_freeze = new ort.Tensor("float32", new Float32Array(1), [1]);
    }
    for (let i = 0; i < j.warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < j.runs; i++) {
      const t = performance.now();
      const out = await session.run(feeds);
      await out.output.getData();
      times.push(performance.now() - t);
    }
    await session.release();
    self.postMessage({ loadMs, times });
  } catch (err) {
    self.postMessage({ error: String((err && err.message) || err).slice(0, 200) });
  }
};`;

export function measureInPage(page: Page, job: LatencyJob): Promise<PageLatency> {
  return page.evaluate(
    async ({ j, source }) => {
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      const worker = new Worker(url, { type: "module" });
      try {
        const abs = {
          ...j,
          ortBase: new URL(j.ortBase, location.href).href,
          modelUrl: new URL(j.modelUrl, location.href).href,
        };
        let timer: ReturnType<typeof setTimeout> | undefined;
        const reply = await new Promise<{
          loadMs?: number;
          times?: number[];
          error?: string;
          timedOut?: boolean;
        }>((resolve) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => resolve({ error: e.message || "worker failed" });
          // the finally below terminates the worker (and its wasm threads) that is still running
          timer = setTimeout(
            () => resolve({ error: `timeout (> ${j.limitMs / 1000} s)`, timedOut: true }),
            j.limitMs,
          );
          worker.postMessage(abs);
        });
        clearTimeout(timer);
        if (reply.timedOut)
          return { loadMs: 0, times: [], memoryBytes: null, error: reply.error, timedOut: true };
        // Measured while the worker (and its wasm heap) is alive: wasm memory never shrinks, so ~peak.
        // With wasm threads spinning it may not answer for a minute: give up after 3 s.
        const perf = performance as Performance & {
          measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>;
        };
        const memoryBytes = perf.measureUserAgentSpecificMemory
          ? await Promise.race([
              perf.measureUserAgentSpecificMemory().then((m) => m.bytes),
              new Promise<null>((r) => setTimeout(() => r(null), 3000)),
            ])
          : null;
        return {
          loadMs: reply.loadMs ?? 0,
          times: reply.times ?? [],
          memoryBytes,
          ...(reply.error ? { error: reply.error } : {}),
        };
      } finally {
        worker.terminate();
        URL.revokeObjectURL(url);
      }
    },
    { j: job, source: WORKER_SOURCE },
  );
}

export interface FirstView {
  scripts: number;
  jsBytes: number;
  jsGzip: number;
  jsBrotli: number;
  /** Everything the first view fetched (HTML, CSS, JS, manifest, images). */
  totalBytes: number;
}

/** Load the page in a fresh profile and weigh what it fetched before any photo is given. */
export async function weighFirstView(page: Page, url: string): Promise<FirstView> {
  const bodies: { type: string; body: Buffer }[] = [];
  const pending: Promise<void>[] = [];
  const onResponse = (r: import("playwright-core").Response) => {
    pending.push(
      r
        .body()
        .then((body) => {
          bodies.push({ type: r.request().resourceType(), body });
        })
        .catch(() => undefined),
    );
  };
  page.on("response", onResponse);
  await page.goto(url);
  await page.waitForLoadState("networkidle");
  await Promise.all(pending);
  page.off("response", onResponse);
  const js = bodies.filter((b) => b.type === "script").map((b) => b.body);
  return {
    scripts: js.length,
    jsBytes: js.reduce((n, b) => n + b.length, 0),
    jsGzip: js.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
    jsBrotli: js.reduce((n, b) => n + brotliCompressSync(b).length, 0),
    totalBytes: bodies.reduce((n, b) => n + b.body.length, 0),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
