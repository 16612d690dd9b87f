/// <reference lib="webworker" />
/**
 * The inference worker: one engine per worker (the page starts a new worker
 * to change engine, which also frees the old engine's memory). It decodes the
 * photo, runs the generator tile by tile and encodes the PNG.
 */
import { type StatsEngine, translateFullResolution } from "../../../models/full-resolution.ts";
import { defaultOverlap, tileSideFor, translateTiled } from "../../../models/tiling.ts";
import { type GpuHandle, openGpu } from "./gpu.ts";
import { createSession, EngineError, type GeneratorSession } from "./ort-engine.ts";
import type { LoadRequest, TranslateRequest, WorkerReply, WorkerRequest } from "./protocol.ts";
import { decodeImage, encodePng } from "./raster.ts";
import { classify } from "./worker-errors.ts";

declare const self: DedicatedWorkerGlobalScope;

const ORT_BASE = new URL(__ORT_BASE__, self.location.origin).href;

interface Loaded {
  session: GeneratorSession;
  gpu?: GpuHandle;
}

let loaded: Loaded | undefined;

function post(reply: WorkerReply): void {
  self.postMessage(reply);
}

async function load(req: LoadRequest): Promise<void> {
  const t0 = performance.now();
  if (loaded) {
    await loaded.session.release();
    loaded = undefined;
  }
  const gpu = req.engine === "webgpu" ? await openGpu(req.shaderF16) : undefined;
  const threads = self.crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  const session = await createSession(new Uint8Array(req.model), {
    engine: req.engine,
    ortBase: ORT_BASE,
    numThreads: threads,
    ...(gpu ? { device: gpu.device } : {}),
  });
  // A lost device (driver reset) is simulated by destroying it after the session exists.
  if (req.fault === "gpu-lost") gpu?.device.destroy();
  loaded = { session, ...(gpu ? { gpu } : {}) };
  post({
    type: "loaded",
    id: req.id,
    engine: req.engine,
    threads: gpu ? 1 : threads,
    ...(gpu ? { adapter: gpu.description } : {}),
    ms: performance.now() - t0,
  });
}

async function translate(req: TranslateRequest): Promise<void> {
  if (!loaded) throw new Error("no model is loaded");
  const { session, gpu } = loaded;
  const t0 = performance.now();
  // Rounded before decoding, so fast mode's downscaled photo is exactly one tile.
  const tileSize = tileSideFor(req.workingSize);
  const raster = await decodeImage(
    req.image,
    req.mode === "fast" ? { maxSide: tileSize } : { maxPixels: req.maxPixels },
  );
  const engine: StatsEngine = {
    statsLength: session.statsLength,
    async run(chw, w, h, frozen) {
      try {
        return await session.run(chw, w, h, frozen);
      } catch (err) {
        const lost = gpu?.lost();
        throw lost ? new EngineError(`the WebGPU device was lost (${lost})`) : err;
      }
    },
  };
  const src = {
    pixels: raster.pixels,
    width: raster.width,
    height: raster.height,
    channels: 4,
  } as const;
  const tiles = { tileSize, overlap: defaultOverlap(tileSize) };
  const progress = (done: number, total: number) =>
    post({ type: "progress", id: req.id, done, total });
  let pixels: Uint8ClampedArray;
  let count = 1;
  let statsMs = 0;
  if (req.mode === "fast") {
    pixels = await translateTiled(
      src,
      tiles,
      async (c, w, h) => (await engine.run(c, w, h)).output,
      progress,
    );
  } else {
    const full = await translateFullResolution(
      src,
      { workingSize: req.workingSize, ...tiles },
      engine,
      progress,
    );
    ({ pixels, statsMs } = full);
    count = Math.max(1, full.tiles);
  }
  const png = await encodePng(pixels, raster.width, raster.height);
  post({
    type: "result",
    id: req.id,
    mode: req.mode,
    png,
    width: raster.width,
    height: raster.height,
    sourceWidth: raster.sourceWidth,
    sourceHeight: raster.sourceHeight,
    tiles: count,
    statsMs,
    ms: performance.now() - t0,
  });
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const req = event.data;
  try {
    if (req.type === "load") await load(req);
    else await translate(req);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    post({ type: "error", id: req.id, error: { code: classify(err), message } });
  }
};
