/**
 * Messages between the page and the inference worker. The page owns
 * downloads and the UI; the worker owns decoding, ORT, tiling and encoding,
 * so the page never blocks on pixels or inference.
 */

export type EngineName = "webgpu" | "wasm";

/**
 * Fast: a preview, downscaled to the working size, one pass.
 * Full: the photo's own size (up to a pixel cap): a statistics pass at the
 * working size, then tiles with those statistics (models/full-resolution.ts).
 */
export type Mode = "fast" | "full";

/** Deliberate faults for tests and demos of the fallback path (see docs/site.md). */
export type Fault = "gpu-lost";

export interface LoadRequest {
  type: "load";
  id: number;
  engine: EngineName;
  /** The generator file (copied, not transferred: the page keeps it for a fallback). */
  model: ArrayBuffer;
  /** Ask the WebGPU device for shader-f16 (the fp16 variant needs it). */
  shaderF16: boolean;
  fault?: Fault;
}

export interface TranslateRequest {
  type: "translate";
  id: number;
  image: Blob;
  mode: Mode;
  /** Fast mode: longest side after downscaling. Full mode: statistics pass side and tile side. */
  workingSize: number;
  /** Full mode: photos larger than this many pixels are shrunk to it first. */
  maxPixels: number;
}

export type WorkerRequest = LoadRequest | TranslateRequest;

export interface Loaded {
  engine: EngineName;
  /** WebAssembly threads in use (1 on WebGPU, where kernels run on the GPU). */
  threads: number;
  /** Adapter description on WebGPU, e.g. "SwiftShader (fallback adapter)". */
  adapter?: string;
  ms: number;
}

export interface Translated {
  /** The mode that produced it. */
  mode: Mode;
  png: Blob;
  width: number;
  height: number;
  /** Size of the decoded photo (EXIF orientation applied) before any downscaling. */
  sourceWidth: number;
  sourceHeight: number;
  tiles: number;
  /** Full mode: the statistics pass (0 when the file has no statistics I/O, or in fast mode). */
  statsMs: number;
  /** Decode + inference + encode. */
  ms: number;
}

/**
 * engine: the session could not be created or a run failed (the page may fall back);
 * not-onnx: the file is not an ONNX model at all (no fall back: no engine reads it);
 * contract: the file is not a generator with our I/O; decode: not a readable image;
 * canvas: drawing or encoding in the worker failed; runtime: onnxruntime-web's
 * files did not load; memory: an allocation failed; no-webgpu: no adapter or device.
 */
export type ErrorCode =
  | "engine"
  | "not-onnx"
  | "contract"
  | "decode"
  | "canvas"
  | "runtime"
  | "memory"
  | "no-webgpu"
  | "internal";

export interface WorkerError {
  code: ErrorCode;
  message: string;
}

export type WorkerReply =
  | ({ type: "loaded"; id: number } & Loaded)
  | { type: "progress"; id: number; done: number; total: number }
  | ({ type: "result"; id: number } & Translated)
  | { type: "error"; id: number; error: WorkerError };
