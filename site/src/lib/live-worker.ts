/// <reference lib="webworker" />
/**
 * The live worker: one engine and one canvas for the life of the worker (the
 * page starts a new one to change engine or model). It takes one frame at a
 * time; the page sends the next only when this one is drawn, so a busy engine
 * makes the page drop frames and nothing queues here.
 */

import { openGpu } from "./gpu.ts";
import { CpuFrames, type LiveFrames } from "./live-cpu.ts";
import { GpuFrames } from "./live-gpu.ts";
import type {
  LiveFrameRequest,
  LiveReply,
  LiveRequest,
  LiveStartRequest,
} from "./live-protocol.ts";
import { createSession, EngineError } from "./ort-engine.ts";
import { encodePng } from "./raster.ts";
import { classify } from "./worker-errors.ts";

declare const self: DedicatedWorkerGlobalScope;

const ORT_BASE = new URL(__ORT_BASE__, self.location.origin).href;

let frames: LiveFrames | undefined;
let busy = false;
let faultAfterFrame: (() => void) | undefined;

function post(reply: LiveReply): void {
  self.postMessage(reply);
}

async function start(req: LiveStartRequest): Promise<void> {
  const t0 = performance.now();
  const gpu = req.engine === "webgpu" ? await openGpu(req.shaderF16) : undefined;
  const threads = self.crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  const session = await createSession(new Uint8Array(req.model), {
    engine: req.engine,
    ortBase: ORT_BASE,
    numThreads: threads,
    ...(gpu
      ? {
          device: gpu.device,
          // Outputs stay on the GPU (runFrame binds its own output buffer).
          sessionOptions: { preferredOutputLocation: "gpu-buffer" as const },
        }
      : {}),
  });
  frames = gpu
    ? new GpuFrames(session, gpu, req.canvas, req.profile)
    : new CpuFrames(session, req.canvas);
  // A lost device (driver reset) is simulated by destroying it once a frame has been drawn.
  if (gpu && req.fault === "gpu-lost") faultAfterFrame = () => gpu.device.destroy();
  post({
    type: "started",
    engine: req.engine,
    threads: gpu ? 1 : threads,
    ...(gpu ? { adapter: gpu.description } : {}),
    ms: performance.now() - t0,
  });
}

async function frame(req: LiveFrameRequest): Promise<void> {
  const { frame: video } = req;
  if (!frames || busy) {
    video.close(); // the page sends one at a time; anything else is dropped, never queued
    return;
  }
  busy = true;
  try {
    const t = await frames.frame(video, req.width, req.height);
    const reply: LiveReply = {
      type: "drawn",
      takenAt: req.takenAt,
      captureMs: req.captureMs,
      width: req.width,
      height: req.height,
      convertMs: t.convert,
      runMs: t.run,
      drawMs: t.draw,
    };
    post(reply);
    faultAfterFrame?.();
    faultAfterFrame = undefined;
  } finally {
    video.close(); // the camera reuses a small pool of frames: never hold one
    busy = false;
  }
}

async function snapshot(): Promise<void> {
  const last = await frames?.lastFrame();
  if (!last) {
    post({ type: "snapshot", width: 0, height: 0 });
    return;
  }
  const { width, height } = last;
  const [input, output] = await Promise.all([
    encodePng(last.input, width, height),
    encodePng(last.output, width, height),
  ]);
  post({ type: "snapshot", input, output, width, height });
}

self.onmessage = async (event: MessageEvent<LiveRequest>) => {
  const req = event.data;
  try {
    if (req.type === "start") await start(req);
    else if (req.type === "frame") await frame(req);
    else await snapshot();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const lost = err instanceof EngineError && /device was lost/.test(message);
    post({ type: "error", code: classify(err), message, lost });
  }
};
