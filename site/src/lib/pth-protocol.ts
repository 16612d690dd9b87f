/**
 * Messages between the page and the .pth import worker (pth-import.worker.ts).
 * The page sends the File objects as they are (the worker reads them, so the
 * page never holds a checkpoint's bytes); the worker answers with progress per
 * stage, the architecture it found, and the checked ONNX variants.
 */
import type { Direction, Dtype, Generator } from "../../../models/schema.ts";

export type ImportStage = "reading" | "converting" | "checking";

/** What the importer found in one file (shown to the visitor as soon as it is known). */
export interface Detected {
  file: string;
  direction: Direction;
  /** Size of the .pth file, bytes. */
  bytes: number;
  sha256: string;
  netG: string;
  ngf: number;
  blocks: number;
  norm: string;
  params: number;
  /** Norm running statistics left out on purpose (as `npm run import` says too). */
  dropped: number;
}

/** One variant's check on the probe, against the float32 reference. */
export interface VariantFigures {
  dtype: Dtype;
  maxAbsDiff: number;
  psnrDb: number;
  passed: boolean;
}

export interface ConvertedGenerator {
  detected: Detected;
  /** Manifest-shaped, so the translator picks a variant as for a shipped model. */
  generator: Generator;
  /** Every variant's check, the dropped ones (over budget, or fp16 out of range) included. */
  checks: VariantFigures[];
  /** Why a variant was left out, in words. */
  notes: string[];
  /** Variant file name -> ONNX bytes (transferred). */
  files: Record<string, ArrayBuffer>;
  /** Time of the plain-JavaScript float32 reference on the probe, ms. */
  referenceMs: number;
}

export interface ConvertRequest {
  type: "convert";
  /** One per direction: the first is AtoB, the second BtoA (as `npm run import`). */
  files: File[];
}

/**
 * not-pth: not a PyTorch checkpoint; unreadable: a truncated, corrupt or
 * hostile file (the importer's limits); not-generator: a discriminator, a
 * U-Net, another network; check: a converted file failed its check; runtime:
 * onnxruntime-web's files did not load; memory; internal.
 */
export type ImportErrorCode =
  | "not-pth"
  | "unreadable"
  | "not-generator"
  | "check"
  | "runtime"
  | "memory"
  | "internal";

export type ImportReply =
  | { type: "stage"; stage: ImportStage; file: string; text: string }
  | { type: "detected"; detected: Detected }
  | { type: "done"; generators: ConvertedGenerator[]; ms: number }
  | { type: "error"; code: ImportErrorCode; file?: string; message: string };
