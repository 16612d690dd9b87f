/**
 * `npm run bench:infer [-- --quick | --sizes 256,512 --reps 3 ...]`: inference
 * speed, size and memory of the generators, per variant and engine:
 * onnxruntime-node (native CPU), onnxruntime-web WebAssembly in Node (1 thread
 * and all threads), and a TensorFlow.js peer (wasm backend, the same weights
 * through training/networks forward()). Each measurement runs in its own child
 * process (bench/infer-job.ts) so peak RSS and the wasm thread count are its own.
 */
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseManifest } from "../models/schema.ts";
import { compareOutputs } from "../training/export/metrics.ts";
import { buildGenerator } from "../training/networks/index.ts";
import { countMacs } from "../training/networks/spec.ts";
import {
  DTYPES,
  ENGINES,
  type Engine,
  type Job,
  type JobResult,
  type ModelSource,
} from "./infer-job.ts";
import { packageVersions, type Row, runStart, writeReport } from "./report.ts";

/** The reference sizes, with random weights. */
const REFERENCE_SIZES: ModelSource[] = [
  { label: "random ngf64/9", netG: "resnet_9blocks", ngf: 64 },
  { label: "random ngf32/6", netG: "resnet_6blocks", ngf: 32 },
];

/** One measurement in its own process; a string says why there is no result (timeout or failure). */
function inChild(job: Job, limitS: number): Promise<JobResult | string> {
  return new Promise((resolve) => {
    const child = fork(
      fileURLToPath(new URL("./infer-job.ts", import.meta.url)),
      [JSON.stringify(job)],
      {
        stdio: "inherit",
      },
    );
    let result: JobResult | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, limitS * 1000);
    child.on("message", (m) => {
      result = m as JobResult;
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else if (timedOut) resolve(`timeout (> ${limitS} s)`);
      else resolve(`failed (exit ${code})`);
    });
  });
}

function shippedModels(manifestFile: string): ModelSource[] {
  let manifest: ReturnType<typeof parseManifest>;
  try {
    manifest = parseManifest(JSON.parse(readFileSync(manifestFile, "utf8")));
  } catch {
    return [];
  }
  return manifest.models.flatMap((m) =>
    m.generators.map((g) => ({
      label: `${m.id} ${g.direction}`,
      netG: g.architecture.netG,
      ngf: g.architecture.ngf,
      files: Object.fromEntries(
        g.variants.map((v) => [v.dtype, path.join(path.dirname(manifestFile), m.id, v.file)]),
      ),
    })),
  );
}

interface Settings {
  engines: Engine[];
  dtypes: Job["dtype"][];
  warmup: number;
  reps: number;
  threads: number;
  /** Seconds one measurement (child process) may take before it is killed. */
  limitS: number;
  tmp: string;
}

/**
 * Every engine and variant of one model at one size; errors against the float32
 * reference. onnxruntime-node runs at 1 thread and at `threads`, so every
 * other row's ratio is to native at its own thread count.
 */
async function measure(
  model: ModelSource,
  size: number,
  o: Settings,
  samples: Record<string, unknown>[],
): Promise<Row[]> {
  const macs = countMacs(buildGenerator(model.netG, { ngf: model.ngf }), size, size);
  const threadsOf = (engine: Engine): number[] =>
    engine === "web1" || engine === "tfjs"
      ? [1]
      : engine === "node" && o.threads > 1
        ? [1, o.threads]
        : [o.threads];
  // TensorFlow.js runs the float32 weights only.
  const runs = o.engines.flatMap((engine) =>
    (engine === "tfjs" ? (["fp32"] as const) : o.dtypes).flatMap((dtype) =>
      threadsOf(engine).map((threads) => ({ engine, dtype, threads })),
    ),
  );
  const done: {
    engine: Engine;
    dtype: Job["dtype"];
    threads: number;
    row: Row;
    ms: number | null;
    out: Float32Array | null;
  }[] = [];
  for (const { engine, dtype, threads } of runs) {
    const outFile = path.join(o.tmp, `${engine}-${dtype}-${threads}.f32`);
    const label =
      engine === "node" ? `node${threads}` : engine === "webN" ? `web${threads}` : engine;
    const r = await inChild(
      {
        engine,
        model,
        dtype,
        size,
        warmup: o.warmup,
        reps: o.reps,
        outFile,
        threads,
      },
      o.limitS,
    );
    const base: Row = {
      model: model.label,
      size,
      engine: label,
      variant: engine === "tfjs" ? "fp32 (tfjs)" : dtype,
    };
    if (typeof r === "string") {
      samples.push({ model: model.label, size, engine: label, dtype, threads, error: r });
      done.push({
        engine,
        dtype,
        threads,
        row: { ...base, threads, "median ms": r },
        ms: null,
        out: null,
      });
      continue;
    }
    samples.push({
      model: model.label,
      size,
      engine: label,
      dtype,
      threads: r.threads,
      initMs: r.initMs,
      loadMs: r.loadMs,
      times: r.times,
    });
    const row: Row = {
      ...base,
      threads: r.threads,
      MB: r.bytes === null ? null : r.bytes / 1e6,
      "init ms": r.initMs,
      "load ms": r.loadMs,
      "median ms": r.medianMs,
      "min ms": Math.min(...r.times),
      "max ms": Math.max(...r.times),
      "GFLOP/s": (2 * macs) / (r.medianMs / 1000) / 1e9,
      "peak RSS MB": r.peakRssMB,
    };
    const out = new Float32Array(new Uint8Array(readFileSync(outFile)).buffer);
    done.push({ engine, dtype, threads: r.threads, row, ms: r.medianMs, out });
  }
  // onnxruntime-node fp32 is the reference: within ~1e-5 of a float64 forward pass.
  const ref = (
    done.find((d) => d.engine === "node" && d.dtype === "fp32" && d.out) ??
    done.find((d) => d.engine === "tfjs" && d.out)
  )?.out;
  return done.map(({ dtype, threads, row, ms, out }) => {
    // the same variant (tfjs: fp32) on onnxruntime-node with the same number of threads
    const native = done.find(
      (d) => d.engine === "node" && d.dtype === dtype && d.threads === threads,
    )?.ms;
    const err = ref && out ? compareOutputs(out, ref) : null;
    return {
      ...row,
      "x native (same threads)": ms && native ? ms / native : null,
      "max abs": err?.maxAbsDiff ?? null,
      "PSNR dB": err?.psnrDb ?? null,
    };
  });
}

const list = <T extends string>(value: string, allowed: readonly T[], flag: string): T[] => {
  const items = value.split(",");
  const bad = items.filter((x) => !allowed.includes(x as T));
  if (bad.length > 0)
    throw new Error(`${flag}: unknown ${bad.join(", ")}; choose from ${allowed.join(", ")}`);
  return items as T[];
};

export async function run(args: string[]): Promise<void> {
  const started = runStart();
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      sizes: { type: "string", default: "256,512" },
      reps: { type: "string", default: "3" },
      warmup: { type: "string", default: "1" },
      engines: { type: "string", default: ENGINES.join(",") },
      dtypes: { type: "string", default: DTYPES.join(",") },
      models: { type: "string", default: "ngf64-9,ngf32-6,shipped" },
      manifest: { type: "string", default: "models/manifest.json" },
      "limit-s": { type: "string", default: "900" },
    },
  });
  const quick = values.quick;
  const threads = os.availableParallelism();
  const engines = list(values.engines, ENGINES, "--engines").filter(
    (e) => e !== "webN" || threads > 1,
  );
  const chosen = values.models.split(",");
  const models: ModelSource[] = quick
    ? [{ label: "random ngf8/6", netG: "resnet_6blocks", ngf: 8 }]
    : [
        ...REFERENCE_SIZES.filter((m) =>
          chosen.includes(m.label.replace("random ", "").replace("/", "-")),
        ),
        ...(chosen.includes("shipped") ? shippedModels(values.manifest) : []),
      ];
  const sizes = (quick ? "64" : values.sizes).split(",").map(Number);
  const settings: Settings = {
    engines,
    dtypes: list(values.dtypes, DTYPES, "--dtypes"),
    warmup: quick ? 1 : Number(values.warmup),
    reps: quick ? 1 : Number(values.reps),
    threads,
    limitS: Number(values["limit-s"]),
    tmp: mkdtempSync(path.join(os.tmpdir(), "bench-infer-")),
  };
  if (!(settings.limitS > 0)) throw new Error(`--limit-s must be a positive number of seconds`);
  const rows: Row[] = [];
  const samples: Record<string, unknown>[] = [];
  try {
    for (const model of models)
      for (const size of sizes) rows.push(...(await measure(model, size, settings, samples)));
  } finally {
    rmSync(settings.tmp, { recursive: true, force: true });
  }
  const { tmp: _, ...shown } = settings;
  writeReport(
    {
      name: "infer",
      settings: { ...shown, sizes, quick, models: models.map((m) => m.label) },
      rows,
      notes: [
        "init ms: runtime start-up (wasm compile, tfjs backend), with the model bytes / weights built before the clock starts for every engine; load ms: session creation (tfjs: weight upload); median / min / max ms: of the reps after warm-up (every rep is in the JSON's samples).",
        `x native (same threads): latency / onnxruntime-node latency of the same variant at the row's thread count (node1: intraOpNumThreads 1, node${threads}: ${threads}; tfjs row: vs node1 fp32).`,
        "max abs / PSNR dB: vs the onnxruntime-node 1-thread fp32 output when it ran, else vs tfjs.",
        `GFLOP/s: 2 x multiply-adds / latency; peak RSS: of the measuring child process; web1 / web${threads}: ORT-web wasm with 1 / ${threads} threads; threads: what the engine ran with.`,
        `each measurement is a child process killed after ${settings.limitS} s ("timeout" in median ms).`,
      ],
      samples,
      started,
    },
    packageVersions([
      "onnxruntime-node",
      "onnxruntime-web",
      "onnxruntime-common",
      "@tensorflow/tfjs-core",
      "@tensorflow/tfjs-backend-wasm",
    ]),
  );
}
