/**
 * A stand-in for the inference worker in Node: the page-side code (translator,
 * inference client) runs for real and `respond` plays the worker, answering
 * each request (or never, to leave it pending).
 */
import { vi } from "vitest";
import type { WorkerReply, WorkerRequest } from "../../site/src/lib/protocol.ts";

export type Respond = (req: WorkerRequest, worker: FakeWorker) => WorkerReply | undefined;

export class FakeWorker {
  /** "wasm" or "webgpu", from the worker's name. */
  readonly engine: string;
  readonly requests: WorkerRequest[] = [];
  terminated = false;
  onmessage: ((e: { data: WorkerReply }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  private readonly respond: Respond;

  constructor(name: string, respond: Respond) {
    this.engine = name.replace(/^inference-/, "");
    this.respond = respond;
  }

  postMessage(req: WorkerRequest): void {
    this.requests.push(req);
    const reply = this.respond(req, this);
    if (reply) queueMicrotask(() => this.onmessage?.({ data: reply }));
  }

  terminate(): void {
    this.terminated = true;
  }
}

/** Replace the global Worker; returns every worker made, in order. Undo with vi.unstubAllGlobals(). */
export function fakeWorkers(respond: Respond): FakeWorker[] {
  const made: FakeWorker[] = [];
  vi.stubGlobal(
    "Worker",
    class extends FakeWorker {
      constructor(_url: URL, options: { name: string }) {
        super(options.name, respond);
        made.push(this);
      }
    },
  );
  return made;
}

/** The replies of a worker where everything works. */
export function success(req: WorkerRequest, worker: FakeWorker): WorkerReply {
  if (req.type === "load") {
    return { type: "loaded", id: req.id, engine: req.engine, threads: 1, ms: 1 };
  }
  return {
    type: "result",
    id: req.id,
    mode: req.mode,
    png: new Blob([worker.engine]),
    width: 1,
    height: 1,
    sourceWidth: 1,
    sourceHeight: 1,
    tiles: 1,
    statsMs: 0,
    ms: 1,
  };
}
