/**
 * The page's side of the live worker: start it on an engine with the canvas,
 * hand it frames (transferred), ask for a snapshot. Drawn frames and failures
 * come back through the handlers; a worker that dies is a failure too.
 */
import { InferenceError } from "./inference-client.ts";
import type {
  LiveFrameDone,
  LiveReply,
  LiveRequest,
  LiveSnapshot,
  LiveStarted,
  LiveStartRequest,
} from "./live-protocol.ts";
import type { EngineName } from "./protocol.ts";

export interface LiveHandlers {
  drawn(frame: LiveFrameDone): void;
  /** `lost`: the WebGPU device was lost (WebAssembly may go on). */
  failed(err: InferenceError, lost: boolean): void;
}

export class LiveWorker {
  readonly engine: EngineName;
  private readonly worker: Worker;
  private readonly handlers: LiveHandlers;
  private waiting: { resolve(r: LiveStarted): void; reject(e: Error): void } | undefined;
  private snapshots: ((s: LiveSnapshot) => void)[] = [];

  constructor(engine: EngineName, handlers: LiveHandlers) {
    this.engine = engine;
    this.handlers = handlers;
    this.worker = new Worker(new URL("./live-worker.ts", import.meta.url), {
      type: "module",
      name: `live-${engine}`,
    });
    this.worker.onmessage = (e: MessageEvent<LiveReply>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      e.preventDefault();
      const code = /memory|allocation/i.test(e.message) ? "memory" : "internal";
      this.fail(
        new InferenceError(code, engine, `the live worker stopped (${e.message || "it crashed"})`),
        false,
      );
    };
  }

  start(opts: Omit<LiveStartRequest, "type" | "engine">): Promise<LiveStarted> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.post({ type: "start", engine: this.engine, ...opts }, [opts.canvas]);
    });
  }

  /** Hands a frame over (it is transferred, so the page no longer holds it). */
  send(frame: VideoFrame, width: number, height: number, takenAt: number, captureMs: number): void {
    this.post({ type: "frame", frame, width, height, takenAt, captureMs }, [frame]);
  }

  /** The last drawn frame's input and output (taken after the frame in progress, if any). */
  snapshot(): Promise<LiveSnapshot> {
    return new Promise((resolve) => {
      this.snapshots.push(resolve);
      this.post({ type: "snapshot" }, []);
    });
  }

  terminate(): void {
    this.worker.terminate();
    this.waiting?.reject(
      new InferenceError("internal", this.engine, "the live engine was stopped"),
    );
    this.waiting = undefined;
    for (const s of this.snapshots) s({ type: "snapshot", width: 0, height: 0 });
    this.snapshots = [];
  }

  private post(req: LiveRequest, transfer: Transferable[]): void {
    this.worker.postMessage(req, transfer);
  }

  private receive(reply: LiveReply): void {
    if (reply.type === "started") {
      this.waiting?.resolve(reply);
      this.waiting = undefined;
    } else if (reply.type === "drawn") {
      this.handlers.drawn(reply);
    } else if (reply.type === "snapshot") {
      this.snapshots.shift()?.(reply);
    } else {
      this.fail(new InferenceError(reply.code, this.engine, reply.message), reply.lost);
    }
  }

  private fail(err: InferenceError, lost: boolean): void {
    if (this.waiting) {
      this.waiting.reject(err);
      this.waiting = undefined;
      return;
    }
    this.handlers.failed(err, lost);
  }
}
