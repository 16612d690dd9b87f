/**
 * One inference measurement for bench/infer.ts, run in a child process of its
 * own (`node bench/infer-job.ts JOB_JSON`, result sent over IPC) so that peak
 * RSS and the onnxruntime-web thread count belong to that measurement alone.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { statsFeeds, statsLength } from "../models/norm-stats.ts";
import { buildOnnx, type Weights } from "../training/export/onnx.ts";
import { DataType, decodeModel } from "../training/export/proto.ts";
import { randomWeights } from "../training/export/random-weights.ts";
import { syntheticImage } from "../training/export/samples.ts";
import { buildGenerator } from "../training/networks/index.ts";
import { type NetworkSpec, paramShapes } from "../training/networks/spec.ts";

export const DTYPES = ["fp32", "fp16", "int8"] as const;
export const ENGINES = ["node", "web1", "webN", "tfjs"] as const;
export type Engine = (typeof ENGINES)[number];

/** Where a model comes from: random weights of a reference size, or a shipped file. */
export interface ModelSource {
  label: string;
  netG: string;
  ngf: number;
  /** Shipped ONNX files by dtype; absent for random-weight models. */
  files?: Partial<Record<(typeof DTYPES)[number], string>>;
  seed?: number;
}

export interface Job {
  engine: Engine;
  model: ModelSource;
  dtype: (typeof DTYPES)[number];
  size: number;
  warmup: number;
  reps: number;
  threads: number;
  /** Raw float32 output goes here, for the error columns. */
  outFile: string;
}

export interface JobResult {
  bytes: number | null;
  /** Runtime start-up before the first session (wasm compile, backend init); model bytes are built before it. */
  initMs: number;
  loadMs: number;
  medianMs: number;
  /** Every timed run, ms. */
  times: number[];
  /** Threads the engine computed on: onnxruntime-node's intraOpNumThreads, ORT-web's numThreads, 1 for tfjs. */
  threads: number;
  peakRssMB: number;
}

const TINY: NetworkSpec = {
  kind: "tiny",
  inChannels: 3,
  outChannels: 3,
  layers: [{ op: "relu" }],
  sizeMultiple: 1,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Weights by state-dict name from an fp32 ONNX file (the exporter names initializers that way). */
function weightsFromOnnx(file: string, netG: string, ngf: number): Weights {
  const init = new Map(decodeModel(readFileSync(file)).graph.initializer.map((t) => [t.name, t]));
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const p of paramShapes(buildGenerator(netG, { ngf }))) {
    const t = init.get(p.name);
    if (!t || t.data_type !== DataType.FLOAT)
      throw new Error(`${file}: no float32 initializer ${p.name}`);
    out.set(p.name, { shape: p.shape, data: new Float32Array(new Uint8Array(t.raw_data).buffer) });
  }
  return out;
}

function modelWeights(m: ModelSource): Weights {
  if (m.files?.fp32) return weightsFromOnnx(m.files.fp32, m.netG, m.ngf);
  return randomWeights(buildGenerator(m.netG, { ngf: m.ngf }), { seed: m.seed ?? 1 });
}

function modelBytes(m: ModelSource, dtype: Job["dtype"]): Uint8Array {
  const file = m.files?.[dtype];
  if (file) return readFileSync(file);
  return buildOnnx(buildGenerator(m.netG, { ngf: m.ngf }), modelWeights(m), dtype);
}

type Infer = (x: Float32Array) => Promise<Float32Array>;

/**
 * What the engine loads, built before any clock starts (random weights and
 * ONNX serialisation are the benchmark's cost, not the engine's): the ONNX
 * bytes for onnxruntime, the float32 weights for tfjs.
 */
type Prepared =
  | { kind: "onnx"; onnx: Uint8Array; tiny: Uint8Array }
  | { kind: "weights"; weights: Weights };

function prepare(job: Job): Prepared {
  return job.engine === "tfjs"
    ? { kind: "weights", weights: modelWeights(job.model) }
    : {
        kind: "onnx",
        onnx: modelBytes(job.model, job.dtype),
        tiny: buildOnnx(TINY, new Map(), "fp32"),
      };
}

/** Starts the job's runtime (timed apart from the model) and returns a model loader. */
async function startEngine(
  job: Job,
  prepared: Prepared,
): Promise<{ bytes: number | null; threads: number; load: () => Promise<Infer> }> {
  const { model, size } = job;
  if (prepared.kind === "weights") {
    const { tfjsRunner, useTfjsBackend } = await import("../training/export/infer.ts");
    const { referenceOps } = await import("../training/networks/tfjs.ts");
    await useTfjsBackend("wasm");
    const { getThreadsCount } = await import("@tensorflow/tfjs-backend-wasm");
    const spec = buildGenerator(model.netG, { ngf: model.ngf });
    return {
      bytes: null,
      threads: getThreadsCount(),
      load: async () => {
        // Plain tfjs ops, as in-browser GAN demos run them.
        const r = tfjsRunner(spec, prepared.weights, referenceOps);
        return async (data) => (await r.run({ data, width: size, height: size })).data;
      },
    };
  }
  const web = job.engine !== "node";
  const ort = web ? await import("onnxruntime-web") : await import("onnxruntime-node");
  if (web) (ort as typeof import("onnxruntime-web")).env.wasm.numThreads = job.threads;
  // Native: exactly job.threads intra-op threads (ORT's default is one per physical core),
  // operators one after another, so it compares with ORT-web at the same thread count.
  const options = web
    ? { executionProviders: ["wasm"] }
    : {
        executionProviders: ["cpu"],
        intraOpNumThreads: job.threads,
        interOpNumThreads: 1,
        executionMode: "sequential" as const,
      };
  const { onnx, tiny } = prepared;
  // A one-node model first, so the wasm compile is not counted as the model's load time.
  await (await ort.InferenceSession.create(tiny, options)).release();
  return {
    bytes: onnx.length,
    threads: job.threads,
    load: async () => {
      const session = await ort.InferenceSession.create(onnx, options);
      const tensor = (data: Float32Array, dims: number[]) => new ort.Tensor("float32", data, dims);
      const extra = statsFeeds(statsLength(session.inputMetadata), undefined, tensor);
      return async (data) => {
        const input = tensor(data, [1, 3, size, size]);
        const { output } = await session.run({ input, ...extra });
        if (!output) throw new Error("the model has no output named output");
        return (output.data as Float32Array).slice();
      };
    },
  };
}

/** One measurement, inside the child process. */
export async function runJob(job: Job): Promise<JobResult> {
  const image = syntheticImage(job.size, 7).data;
  const prepared = prepare(job);
  const t0 = performance.now();
  const engine = await startEngine(job, prepared);
  const t1 = performance.now();
  const infer = await engine.load();
  const t2 = performance.now();
  let out: Float32Array = new Float32Array(0);
  for (let i = 0; i < job.warmup; i++) out = await infer(image);
  const times: number[] = [];
  for (let i = 0; i < job.reps; i++) {
    const t = performance.now();
    out = await infer(image);
    times.push(performance.now() - t);
  }
  writeFileSync(job.outFile, out);
  return {
    bytes: engine.bytes,
    initMs: t1 - t0,
    loadMs: t2 - t1,
    medianMs: median(times),
    times,
    threads: engine.threads,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

// Child mode only when run as the entry point (bench/infer.ts imports this module for its types).
const job = process.argv[1] === fileURLToPath(import.meta.url) ? process.argv[2] : undefined;
if (job) {
  const result = await runJob(JSON.parse(job) as Job);
  // ORT-web's wasm threads would keep the child alive: exit once the result is sent.
  process.send?.(result, () => process.exit(0));
}
