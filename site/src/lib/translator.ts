/**
 * One translation from the page's point of view: pick the variant for the
 * engine (models/select.ts), fetch it, start the engine's worker, run, and
 * fall back to WebAssembly when WebGPU fails at session creation or run time
 * (and keep to WebAssembly under Automatic afterwards). Loaded lazily: the
 * first view does not need it.
 */
import type { Generator, ModelEntry } from "../../../models/schema.ts";
import { pickVariant } from "../../../models/select.ts";
import { type Caps, type EngineChoice, engineLabel, resolveEngine } from "./caps.ts";
import { InferenceError, InferenceWorker } from "./inference-client.ts";
import { fetchModelFile, type Progress } from "./model-store.ts";
import type { EngineName, Fault, Loaded, Mode, Translated } from "./protocol.ts";

export type ModelSource =
  | { kind: "manifest"; entry: ModelEntry; generator: Generator }
  | { kind: "local"; name: string; bytes: ArrayBuffer }
  /** Converted on this device (Your models): variants picked like a shipped model's, read by `read`. */
  | {
      kind: "device";
      entry: ModelEntry;
      generator: Generator;
      read(file: string): Promise<ArrayBuffer>;
    };

export interface RunOptions {
  engine: EngineChoice;
  mode: Mode;
  workingSize: number;
  /** Full mode: the largest result, in pixels (bigger photos are shrunk to it first). */
  maxPixels: number;
  fault?: Fault;
  /** Aborting stops the worker, and the translation rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface Events {
  onDownload(p: Progress): void;
  onStage(text: string): void;
  onTile(done: number, total: number): void;
  /** Something the visitor should know (fallback, no cache) that is not an error. */
  onNote(text: string): void;
}

export interface Outcome extends Translated {
  engine: EngineName;
  /** Variant dtype, or "custom" for a local file. */
  dtype: string;
  /** "WebGPU fp32", "WebAssembly int8 with 2 threads". */
  label: string;
  loadMs: number;
  fellBack: boolean;
}

interface ModelFile {
  key: string;
  bytes: ArrayBuffer;
  dtype: string;
}

/**
 * Failures of WebGPU itself, where WebAssembly may still work: WebAssembly
 * loads other runtime files (ort.wasm, not the WebGPU build), which may be
 * cached when these were not.
 */
function isWebGpuFailure(err: unknown): err is InferenceError {
  return (
    err instanceof InferenceError &&
    err.engine === "webgpu" &&
    (err.code === "engine" || err.code === "no-webgpu" || err.code === "runtime")
  );
}

export class Translator {
  private readonly caps: Caps;
  private worker: InferenceWorker | undefined;
  private loadedKey: string | undefined;
  private loaded: Loaded | undefined;
  private file: ModelFile | undefined;
  /** Models opened from disk, one id per file read: name and size may repeat. */
  private readonly localIds = new WeakMap<ArrayBuffer, number>();
  private localCount = 0;
  /** WebGPU failed once on this page: Automatic runs WebAssembly from then on. */
  private webgpuFailed = false;

  constructor(caps: Caps) {
    this.caps = caps;
  }

  async translate(model: ModelSource, image: Blob, opts: RunOptions, ev: Events): Promise<Outcome> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const stop = () => this.reset(); // rejects whatever the worker was asked
    signal?.addEventListener("abort", stop);
    try {
      return await this.withFallback(model, image, opts, ev);
    } catch (err) {
      signal?.throwIfAborted(); // whatever stopping the worker caused, it was a cancel
      throw err;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
  }

  private async withFallback(
    model: ModelSource,
    image: Blob,
    opts: RunOptions,
    ev: Events,
  ): Promise<Outcome> {
    const resolved = resolveEngine(opts.engine, this.caps);
    const engine = opts.engine === "auto" && this.webgpuFailed ? "wasm" : resolved.engine;
    if (resolved.note) ev.onNote(resolved.note);
    try {
      return await this.attempt(engine, model, image, opts, ev);
    } catch (err) {
      if (!isWebGpuFailure(err) || opts.signal?.aborted) throw err;
      this.webgpuFailed = true;
      ev.onNote(`WebGPU failed (${err.message}). Switched to WebAssembly.`);
      const outcome = await this.attempt("wasm", model, image, opts, ev);
      return { ...outcome, fellBack: true };
    }
  }

  dispose(): void {
    this.reset();
  }

  private reset(): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.loadedKey = undefined;
    this.loaded = undefined;
  }

  private localKey(bytes: ArrayBuffer): string {
    let id = this.localIds.get(bytes);
    if (id === undefined) {
      id = ++this.localCount;
      this.localIds.set(bytes, id);
    }
    return `local:${id}`;
  }

  private async modelFile(
    model: ModelSource,
    engine: EngineName,
    ev: Events,
    signal: AbortSignal | undefined,
  ): Promise<ModelFile> {
    if (model.kind === "local") {
      return { key: this.localKey(model.bytes), bytes: model.bytes, dtype: "custom" };
    }
    const { entry, generator } = model;
    const variant = pickVariant(generator, { provider: engine, shaderF16: this.caps.shaderF16 });
    if (variant && model.kind === "device") {
      const key = `device:${entry.id}/${variant.file}@${variant.sha256}`;
      if (this.file?.key === key) return this.file;
      this.file = undefined;
      ev.onStage(`Reading the ${variant.dtype} model from this device`);
      this.file = { key, bytes: await model.read(variant.file), dtype: variant.dtype };
      return this.file;
    }
    if (!variant) {
      throw new InferenceError(
        "contract",
        engine,
        `${entry.title} has no ${generator.direction} variant for ${engine}.`,
      );
    }
    const key = `${entry.id}/${variant.file}@${variant.sha256}`;
    if (this.file?.key === key) return this.file;
    this.file = undefined; // let the old bytes go before the new ones arrive
    ev.onStage(`Getting the ${variant.dtype} model`);
    const fetched = await fetchModelFile({ id: entry.id, ...variant }, ev.onDownload, signal);
    if (fetched.warning) ev.onNote(fetched.warning);
    this.file = { key, bytes: fetched.bytes, dtype: variant.dtype };
    return this.file;
  }

  private async attempt(
    engine: EngineName,
    model: ModelSource,
    image: Blob,
    opts: RunOptions,
    ev: Events,
  ): Promise<Outcome> {
    const file = await this.modelFile(model, engine, ev, opts.signal);
    opts.signal?.throwIfAborted(); // a download that finished as the visitor cancelled
    const key = `${engine}|${file.key}|${opts.fault ?? ""}`;
    try {
      if (this.loadedKey !== key || !this.worker || !this.loaded) {
        this.reset();
        ev.onStage(
          engine === "webgpu" ? "Starting the WebGPU engine" : "Starting the WebAssembly engine",
        );
        this.worker = new InferenceWorker(engine);
        this.loaded = await this.worker.load(file.bytes, file.dtype === "fp16", opts.fault);
        this.loadedKey = key;
      }
      ev.onStage("Translating");
      const { mode, workingSize, maxPixels } = opts;
      const result = await this.worker.translate(
        image,
        { mode, workingSize, maxPixels },
        ev.onTile,
      );
      return {
        ...result,
        engine,
        dtype: file.dtype,
        label: engineLabel(
          engine,
          file.dtype === "custom" ? "(your model)" : file.dtype,
          this.loaded.threads,
        ),
        loadMs: this.loaded.ms,
        fellBack: false,
      };
    } catch (err) {
      // A photo that does not decode or draw leaves the engine fine; anything else may not have.
      if (!(err instanceof InferenceError && (err.code === "decode" || err.code === "canvas"))) {
        this.reset();
      }
      throw err;
    }
  }
}
