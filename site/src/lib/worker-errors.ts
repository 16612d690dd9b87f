/**
 * The error code a failure inside the inference worker reaches the page with.
 * A failed session creation or run is "engine", unless the file is no ONNX
 * model at all ("not-onnx", told apart where the session is created); a photo or canvas problem
 * would fail on WebAssembly too, so each has its own code and message.
 * "runtime" (ORT's files did not load) has its own message; on WebGPU the page
 * still tries WebAssembly, whose runtime files are other files.
 */
import { NoWebGpuError } from "./gpu.ts";
import { ContractError, EngineError, NotOnnxError, RuntimeLoadError } from "./ort-engine.ts";
import type { ErrorCode } from "./protocol.ts";
import { CanvasError, DecodeError } from "./raster.ts";

const MEMORY = /out of memory|bad_alloc|allocation failed|memory access out of bounds|Aborted\(\)/i;

export function classify(err: unknown): ErrorCode {
  if (err instanceof DecodeError) return "decode";
  if (err instanceof NotOnnxError) return "not-onnx";
  if (err instanceof ContractError) return "contract";
  if (err instanceof NoWebGpuError) return "no-webgpu";
  if (err instanceof RuntimeLoadError) return "runtime";
  const message = err instanceof Error ? err.message : String(err);
  // Before canvas and engine: a full memory says what to try instead.
  if (MEMORY.test(message)) return "memory";
  if (err instanceof CanvasError) return "canvas";
  if (err instanceof EngineError) return "engine";
  if (/the generator returned/.test(message)) return "contract";
  return "internal";
}
