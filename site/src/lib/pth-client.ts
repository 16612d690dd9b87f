/**
 * The page's side of the .pth import worker: one conversion per worker (it is
 * stopped afterwards, which frees the checkpoint, its weights and the
 * check's engine at once), progress callbacks, and errors with their code.
 */
import type {
  ConvertedGenerator,
  Detected,
  ImportErrorCode,
  ImportReply,
  ImportStage,
} from "./pth-protocol.ts";

export class ImportError extends Error {
  override name = "ImportError";
  readonly code: ImportErrorCode;
  readonly file: string | undefined;
  constructor(code: ImportErrorCode, message: string, file?: string) {
    super(message);
    this.code = code;
    this.file = file;
  }
}

export interface ImportEvents {
  onStage(stage: ImportStage, text: string): void;
  onDetected(d: Detected): void;
}

export interface Converted {
  generators: ConvertedGenerator[];
  ms: number;
}

/** Convert one or two .pth files (AtoB, then BtoA); aborting stops the worker at once. */
export function convertPth(
  files: File[],
  ev: ImportEvents,
  signal?: AbortSignal,
): Promise<Converted> {
  const worker = new Worker(new URL("./pth-import.worker.ts", import.meta.url), {
    type: "module",
    name: "pth-import",
  });
  return new Promise<Converted>((resolve, reject) => {
    const finish = () => {
      worker.terminate();
      signal?.removeEventListener("abort", abort);
    };
    const abort = () => {
      finish();
      reject(signal?.reason ?? new DOMException("cancelled", "AbortError"));
    };
    signal?.addEventListener("abort", abort);
    worker.onmessage = (e: MessageEvent<ImportReply>) => {
      const r = e.data;
      if (r.type === "stage") ev.onStage(r.stage, r.text);
      else if (r.type === "detected") ev.onDetected(r.detected);
      else if (r.type === "done") {
        finish();
        resolve({ generators: r.generators, ms: r.ms });
      } else {
        finish();
        reject(new ImportError(r.code, r.message, r.file));
      }
    };
    // The worker itself failed: its script did not load, or memory ran out.
    worker.onerror = (e) => {
      e.preventDefault();
      finish();
      const message = e.message || "it stopped";
      const code = /memory|allocation/i.test(message) ? "memory" : "internal";
      reject(new ImportError(code, `the import worker stopped (${message})`));
    };
    worker.postMessage({ type: "convert", files });
  });
}

/** What the visitor reads for a failed import: the importer's own first line, and what to do. */
export function describeImportError(err: ImportError): string {
  const first = err.message.split("\n")[0] ?? err.message;
  switch (err.code) {
    case "not-pth":
      return `${first}. Open a generator saved with torch.save (.pth), or an .onnx file.`;
    case "unreadable":
      return `This file cannot be read: ${first}. It may be incomplete (download it again) or damaged.`;
    case "not-generator":
      return first;
    case "check":
      return `The conversion failed its check: ${first}.`;
    case "runtime":
      return `The engine that checks the conversion could not be loaded (${first}). Check your connection and try again.`;
    case "memory":
      return "Your device ran out of memory while converting this file. Close other tabs and try again.";
    default:
      return `The import failed: ${first}.`;
  }
}
