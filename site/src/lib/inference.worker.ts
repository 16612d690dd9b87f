/// <reference lib="webworker" />
/**
 * The inference worker: one engine per worker (the page starts a new worker
 * to change engine, which also frees the old engine's memory). It decodes the
 * photo, runs the generator tile by tile and encodes the PNG.
 */
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
  const raster = await decodeImage(req.image, req.mode === "fast" ? tileSize : undefined);
  let tiles = 0;
  const out = await translateTiled(
    { pixels: raster.pixels, width: raster.width, height: raster.height, channels: 4 },
    { tileSize, overlap: defaultOverlap(tileSize) },
    async (chw, w, h) => {
      try {
        return await session.run(chw, w, h);
      } catch (err) {
        const lost = gpu?.lost();
        throw lost ? new EngineError(`the WebGPU device was lost (${lost})`) : err;
      }
    },
    (done, total) => {
      tiles = total;
      post({ type: "progress", id: req.id, done, total });
    },
  );
  const png = await encodePng(out, raster.width, raster.height);
  post({
    type: "result",
    id: req.id,
    png,
    width: raster.width,
    height: raster.height,
    sourceWidth: raster.sourceWidth,
    sourceHeight: raster.sourceHeight,
    tiles,
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
