/**
 * Messages between the page and the inference worker. The page owns
 * downloads and the UI; the worker owns decoding, ORT, tiling and encoding,
 * so the page never blocks on pixels or inference.
 */

export type EngineName = "webgpu" | "wasm";

/** Fast: downscale to the working size. Full: keep every pixel, translate in tiles. */
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
  /** Fast mode: longest side after downscaling. Full mode: tile side. */
  workingSize: number;
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
  png: Blob;
  width: number;
  height: number;
  /** Size of the decoded photo (EXIF orientation applied) before any downscaling. */
  sourceWidth: number;
  sourceHeight: number;
  tiles: number;
  /** Decode + inference + encode. */
  ms: number;
}

/**
 * engine: the session could not be created or a run failed (the page may fall back);
 * contract: the file is not a generator with our I/O; decode: not a readable image;
 * canvas: drawing or encoding in the worker failed; runtime: onnxruntime-web's
 * files did not load; memory: an allocation failed; no-webgpu: no adapter or device.
 */
export type ErrorCode =
  | "engine"
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
