/**
 * Messages between the page and the live worker. The page owns the camera and
 * hands the worker one frame at a time (a transferred VideoFrame, never a
 * copy); the worker owns ORT and the canvas (transferred to it), so a frame
 * is converted, translated and drawn without coming back to the page.
 */
import type { EngineName, ErrorCode, Fault } from "./protocol.ts";

export interface LiveStartRequest {
  type: "start";
  engine: EngineName;
  /** The generator file (copied: the page keeps it for a restart on another engine). */
  model: ArrayBuffer;
  shaderF16: boolean;
  /** The visible canvas, transferred: the worker draws every frame on it. */
  canvas: OffscreenCanvas;
  /** Wait for the GPU after each stage so the stage times are complete (benchmark). */
  profile: boolean;
  /** gpu-lost: the WebGPU device is destroyed after the first frame (tests, demos). */
  fault?: Fault;
}

export interface LiveFrameRequest {
  type: "frame";
  /** Transferred; the worker closes it. */
  frame: VideoFrame;
  width: number;
  height: number;
  /** Page time the frame was taken, and how long taking and sending it took: echoed back. */
  takenAt: number;
  captureMs: number;
}

export interface LiveSnapshotRequest {
  type: "snapshot";
}

export type LiveRequest = LiveStartRequest | LiveFrameRequest | LiveSnapshotRequest;

export interface LiveStarted {
  type: "started";
  engine: EngineName;
  threads: number;
  adapter?: string;
  ms: number;
}

export interface LiveFrameDone {
  type: "drawn";
  takenAt: number;
  captureMs: number;
  width: number;
  height: number;
  convertMs: number;
  runMs: number;
  drawMs: number;
}

export interface LiveSnapshot {
  type: "snapshot";
  /** PNGs of what the model saw and what it made; absent before the first frame is drawn. */
  input?: Blob;
  output?: Blob;
  width: number;
  height: number;
}

/** A failure; `lost` when it was the WebGPU device (the page goes on with WebAssembly). */
export interface LiveFailed {
  type: "error";
  code: ErrorCode;
  message: string;
  lost: boolean;
}

export type LiveReply = LiveStarted | LiveFrameDone | LiveSnapshot | LiveFailed;
