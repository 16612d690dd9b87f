/**
 * The one place that touches onnxruntime-web. Runs inside the inference
 * worker. ORT is loaded at run time from the site's own /ort/<version>/ copy
 * (never a CDN, never bundled), and only the build the engine needs:
 *
 * - wasm: ort.wasm (CPU, SIMD + threads; 14 MB wasm).
 * - webgpu: ort.jspi (the native WebGPU execution provider built with
 *   WebAssembly JSPI, 17 MB wasm). The asyncify build of the same provider is
 *   27 MB, over the 25 MiB limit of a static asset on Workers, so browsers
 *   without JSPI run WebAssembly.
 */
import type * as Ort from "onnxruntime-web";
import type { StatsEngine } from "../../../models/full-resolution.ts";
import {
  NORM_STATS_OUTPUT,
  statsLength as normStatsLength,
  statsFeeds,
} from "../../../models/norm-stats.ts";
import type { EngineName } from "./protocol.ts";

interface EngineSpec {
  /** ORT build to import, relative to the ORT folder. */
  module: string;
  executionProvider: "webgpu" | "wasm";
}

/** Engine -> ORT build and execution provider. Frozen: one table, no runtime edits. */
export const ENGINES: Readonly<Record<EngineName, Readonly<EngineSpec>>> = Object.freeze({
  webgpu: Object.freeze({ module: "ort.jspi.min.mjs", executionProvider: "webgpu" }),
  wasm: Object.freeze({ module: "ort.wasm.min.mjs", executionProvider: "wasm" }),
});

export function engineSpec(name: string): Readonly<EngineSpec> {
  const spec = (ENGINES as Record<string, Readonly<EngineSpec> | undefined>)[name];
  if (!spec) {
    throw new Error(
      `Unsupported engine "${name}". Should be one of: ${Object.keys(ENGINES).join(", ")}.`,
    );
  }
  return spec;
}

export interface EngineConfig {
  engine: EngineName;
  /** Absolute URL of the folder holding the ORT .mjs/.wasm files, ending in "/". */
  ortBase: string;
  /** WebAssembly threads (1 when the page is not cross-origin isolated). */
  numThreads: number;
  /** WebGPU only: the device the session runs on (the caller owns and may watch it). */
  device?: GPUDevice;
  /** Session options after the defaults (caller wins). */
  sessionOptions?: Ort.InferenceSession.SessionOptions;
}

/** Input and output names of the generator I/O contract (models/schema.ts STANDARD_IO). */
const INPUT = "input";
const OUTPUT = "output";

/**
 * A generator session: planar [3, h, w] in [-1, 1] in, the same shape out.
 * Graphs with normalisation statistics (models/norm-stats.ts) report them and
 * run with frozen ones on request; older files run as they always did.
 */
export class GeneratorSession implements StatsEngine {
  private readonly ort: typeof Ort;
  private readonly session: Ort.InferenceSession;
  readonly statsLength: number;
  /**
   * Runs are chained one at a time: an ORT session rejects overlapping run()
   * calls, and on WebGPU two in flight would double the GPU memory held.
   */
  private tail: Promise<unknown> = Promise.resolve();
  /** runFrame's statistics feeds, made on first use. */
  private ownStats: Record<string, Ort.Tensor> | undefined;

  constructor(ort: typeof Ort, session: Ort.InferenceSession, statsLength: number) {
    this.ort = ort;
    this.session = session;
    this.statsLength = statsLength;
  }

  run(
    chw: Float32Array,
    width: number,
    height: number,
    frozen?: Float32Array,
  ): Promise<{ output: Float32Array; stats?: Float32Array }> {
    const next = this.tail.then(() => this.runNow(chw, width, height, frozen));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runNow(
    chw: Float32Array,
    width: number,
    height: number,
    frozen: Float32Array | undefined,
  ): Promise<{ output: Float32Array; stats?: Float32Array }> {
    const tensor = (data: Float32Array, dims: number[]) =>
      new this.ort.Tensor("float32", data, dims);
    const feeds = {
      [INPUT]: tensor(chw, [1, 3, height, width]),
      ...statsFeeds(this.statsLength, frozen, tensor),
    };
    let outputs: Ort.InferenceSession.OnnxValueMapType;
    try {
      outputs = await this.session.run(feeds);
    } catch (err) {
      throw new EngineError(messageOf(err));
    } finally {
      for (const t of Object.values(feeds)) t.dispose();
    }
    try {
      const out = outputs[OUTPUT];
      if (!out) throw new ContractError(`the model has no output named "${OUTPUT}"`);
      // getData() copies GPU-resident results back and frees them; CPU results come as they are.
      const output = (await out.getData(true)) as Float32Array;
      const stats = outputs[NORM_STATS_OUTPUT];
      return stats ? { output, stats: (await stats.getData(true)) as Float32Array } : { output };
    } catch (err) {
      throw err instanceof ContractError ? err : new EngineError(messageOf(err));
    } finally {
      for (const t of Object.values(outputs)) t.dispose();
    }
  }

  /**
   * Live video (lib/live-*.ts): one frame on its own statistics, fetching only
   * `output`. On WebGPU `input` and `output` are caller-owned GPUBuffers of
   * [1, 3, h, w] float32 on the session's device, bound as GPU-resident
   * tensors, so the frame never visits the CPU; on WebAssembly `input` is the
   * caller's reused array and ORT's output array is returned.
   */
  runFrame(
    input: Float32Array | GPUBuffer,
    width: number,
    height: number,
    output?: GPUBuffer,
  ): Promise<Float32Array | undefined> {
    const next = this.tail.then(async () => {
      const { Tensor } = this.ort;
      const dims = [1, 3, height, width];
      const onGpu = (buffer: GPUBuffer) =>
        Tensor.fromGpuBuffer(buffer, { dataType: "float32", dims });
      // The statistics inputs (zeros, freeze 0) are the same every frame: made once.
      this.ownStats ??= statsFeeds(this.statsLength, undefined, (d, s) => new Tensor(d, s));
      const feeds = {
        [INPUT]: input instanceof Float32Array ? new Tensor(input, dims) : onGpu(input),
        ...this.ownStats,
      };
      try {
        const out = (
          await this.session.run(feeds, output ? { [OUTPUT]: onGpu(output) } : [OUTPUT])
        )[OUTPUT];
        return out?.location === "cpu" ? (out.data as Float32Array) : undefined;
      } catch (err) {
        throw new EngineError(messageOf(err));
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Load the ORT build of `engine` (once per worker: each worker serves one engine). */
async function loadOrt(config: EngineConfig): Promise<typeof Ort> {
  const spec = engineSpec(config.engine);
  const url = new URL(spec.module, config.ortBase).href;
  let ort: typeof Ort;
  try {
    ort = (await import(/* @vite-ignore */ url)) as typeof Ort;
  } catch (err) {
    throw new RuntimeLoadError(`${url} did not load (${messageOf(err)})`);
  }
  // ORT reads these from its own env object; this worker holds one engine, so
  // they are set from the caller's config and never changed afterwards.
  ort.env.wasm.wasmPaths = config.ortBase;
  ort.env.wasm.numThreads = config.numThreads;
  ort.env.logLevel = "error";
  return ort;
}

/**
 * ORT starts its backend inside the first InferenceSession.create: it imports
 * the wasm glue (.mjs), fetches the .wasm, then sets up the execution provider,
 * and reports any failure as "no available backend found". A file that did not
 * load is not the engine's fault (WebAssembly would need its files too).
 */
const BACKEND_FAILED = /^no available backend found/;
const NOT_LOADED = /fetch|import|load|ENOENT|Cannot find module/i;
/** ORT's words for bytes it cannot parse as a ModelProto (its status INVALID_PROTOBUF is 7). */
const PROTOBUF_FAILED = /protobuf parsing failed|ERROR_CODE: 7\b/i;

/**
 * ONNX ModelProto fields by number and protobuf wire type (0 varint, 2
 * length-delimited): ir_version, producer name and version, domain,
 * model_version, doc_string, graph, opset_import, metadata_props,
 * training_info, functions. A model file starts with one of them (writers put
 * ir_version first).
 */
const MODEL_PROTO_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 0],
  [2, 2],
  [3, 2],
  [4, 2],
  [5, 0],
  [6, 2],
  [7, 2],
  [8, 2],
  [14, 2],
  [20, 2],
  [25, 2],
]);

/** Whether the first bytes are the tag of a ModelProto field: a cheap "could this be ONNX". */
export function startsLikeModelProto(bytes: Uint8Array): boolean {
  let tag = 0;
  for (let i = 0; i < Math.min(bytes.length, 5); i++) {
    const b = bytes[i] as number;
    tag += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return MODEL_PROTO_FIELDS.get(Math.floor(tag / 8)) === tag % 8;
  }
  return false;
}

/**
 * Create a session for a generator file. Throws RuntimeLoadError when ORT's
 * files do not load, NotOnnxError when the file is no ONNX model at all (it
 * does not start like a ModelProto, or ORT could not parse it as one),
 * ContractError for a file without our I/O, and EngineError (ORT's own
 * message) when the model or provider fails.
 */
export async function createSession(
  model: Uint8Array,
  config: EngineConfig,
): Promise<GeneratorSession> {
  const ort = await loadOrt(config);
  const spec = engineSpec(config.engine);
  const provider: Ort.InferenceSession.ExecutionProviderConfig =
    spec.executionProvider === "webgpu"
      ? { name: "webgpu", ...(config.device ? { device: config.device } : {}) }
      : "wasm";
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, {
      executionProviders: [provider],
      ...config.sessionOptions,
    });
  } catch (err) {
    const message = messageOf(err);
    if (BACKEND_FAILED.test(message) && NOT_LOADED.test(message))
      throw new RuntimeLoadError(`the files in ${config.ortBase} did not load (${message})`);
    if (!startsLikeModelProto(model) || PROTOBUF_FAILED.test(message))
      throw new NotOnnxError(message);
    throw new EngineError(message);
  }
  let statsLength = 0;
  try {
    if (!session.inputNames.includes(INPUT) || !session.outputNames.includes(OUTPUT)) {
      throw new ContractError(
        `this model does not follow the generator contract: inputs [${session.inputNames}], outputs [${session.outputNames}]; expected "${INPUT}" and "${OUTPUT}"`,
      );
    }
    statsLength = normStatsLength(session.inputMetadata);
  } catch (err) {
    await session.release();
    throw err instanceof ContractError ? err : new ContractError(messageOf(err));
  }
  return new GeneratorSession(ort, session, statsLength);
}

/** The file loaded but is not a generator with our I/O contract (not an engine failure). */
export class ContractError extends Error {
  override name = "ContractError";
}

/** The file is not an ONNX model at all: no engine can read it, so there is nothing to fall back to. */
export class NotOnnxError extends Error {
  override name = "NotOnnxError";
}

/** onnxruntime-web's own files did not load (offline before they were cached, a broken deploy). */
export class RuntimeLoadError extends Error {
  override name = "RuntimeLoadError";
}

/** Creating or running the session failed: WebGPU may fail where WebAssembly works. */
export class EngineError extends Error {
  override name = "EngineError";
}
