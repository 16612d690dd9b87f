/**
 * The page's side of the inference worker: typed requests, one promise per
 * request, progress callbacks. A worker that dies rejects everything pending.
 */
import type {
  EngineName,
  ErrorCode,
  Fault,
  Loaded,
  Mode,
  Translated,
  WorkerReply,
  WorkerRequest,
} from "./protocol.ts";

export class InferenceError extends Error {
  override name = "InferenceError";
  readonly code: ErrorCode;
  readonly engine: EngineName;
  constructor(code: ErrorCode, engine: EngineName, message: string) {
    super(message);
    this.code = code;
    this.engine = engine;
  }
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (err: Error) => void;
  onProgress?: (done: number, total: number) => void;
}

/** Distributes `Omit` over a union, so each request keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

export class InferenceWorker {
  readonly engine: EngineName;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(engine: EngineName) {
    this.engine = engine;
    this.worker = new Worker(new URL("./inference.worker.ts", import.meta.url), {
      type: "module",
      name: `inference-${engine}`,
    });
    this.worker.onmessage = (e: MessageEvent<WorkerReply>) => this.receive(e.data);
    // Errors inside a request come back as replies; this is the worker itself
    // failing (its script did not load, or it died, as when memory runs out).
    this.worker.onerror = (e) => {
      e.preventDefault();
      const message = e.message || "it crashed";
      const code = /memory|allocation/i.test(message) ? "memory" : "internal";
      this.failAll(new InferenceError(code, engine, `the inference worker stopped (${message})`));
    };
  }

  load(model: ArrayBuffer, shaderF16: boolean, fault?: Fault): Promise<Loaded> {
    return this.request({
      type: "load",
      engine: this.engine,
      model,
      shaderF16,
      ...(fault ? { fault } : {}),
    }) as Promise<Loaded>;
  }

  translate(
    image: Blob,
    size: { mode: Mode; workingSize: number; maxPixels: number },
    onProgress?: (done: number, total: number) => void,
  ): Promise<Translated> {
    return this.request({ type: "translate", image, ...size }, onProgress) as Promise<Translated>;
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new InferenceError("internal", this.engine, "the engine was stopped"));
  }

  private request(
    body: WithoutId<WorkerRequest>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      this.worker.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  private receive(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.type === "progress") {
      p.onProgress?.(reply.done, reply.total);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.type === "error")
      p.reject(new InferenceError(reply.error.code, this.engine, reply.error.message));
    else p.resolve(reply);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
