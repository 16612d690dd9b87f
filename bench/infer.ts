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
import { type Row, writeReport } from "./report.ts";

/** The reference sizes, with random weights. */
const REFERENCE_SIZES: ModelSource[] = [
  { label: "random ngf64/9", netG: "resnet_9blocks", ngf: 64 },
  { label: "random ngf32/6", netG: "resnet_6blocks", ngf: 32 },
];

function inChild(job: Job): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(new URL("./infer-job.ts", import.meta.url)),
      [JSON.stringify(job)],
      {
        stdio: "inherit",
      },
    );
    let result: JobResult | undefined;
    child.on("message", (m) => {
      result = m as JobResult;
    });
    child.on("exit", (code) =>
      result
        ? resolve(result)
        : reject(
            new Error(
              `${job.engine} ${job.model.label} ${job.dtype} ${job.size}px failed (exit ${code})`,
            ),
          ),
    );
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
  tmp: string;
}

/** Every engine and variant of one model at one size; errors against the float32 reference. */
async function measure(model: ModelSource, size: number, o: Settings): Promise<Row[]> {
  const macs = countMacs(buildGenerator(model.netG, { ngf: model.ngf }), size, size);
  // TensorFlow.js runs the float32 weights only.
  const runs = o.engines.flatMap((engine): { engine: Engine; dtype: Job["dtype"] }[] =>
    engine === "tfjs" ? [{ engine, dtype: "fp32" }] : o.dtypes.map((dtype) => ({ engine, dtype })),
  );
  const done: { key: string; row: Row; ms: number; out: Float32Array }[] = [];
  for (const { engine, dtype } of runs) {
    const outFile = path.join(o.tmp, `${engine}-${dtype}.f32`);
    const threads = engine === "web1" ? 1 : o.threads;
    const r = await inChild({
      engine,
      model,
      dtype,
      size,
      warmup: o.warmup,
      reps: o.reps,
      outFile,
      threads,
    });
    const row: Row = {
      model: model.label,
      size,
      engine: engine === "webN" ? `web${threads}` : engine,
      variant: engine === "tfjs" ? "fp32 (tfjs)" : dtype,
      MB: r.bytes === null ? null : r.bytes / 1e6,
      "init ms": r.initMs,
      "load ms": r.loadMs,
      "median ms": r.medianMs,
      "GFLOP/s": (2 * macs) / (r.medianMs / 1000) / 1e9,
      "peak RSS MB": r.peakRssMB,
    };
    const out = new Float32Array(new Uint8Array(readFileSync(outFile)).buffer);
    done.push({ key: `${engine}/${dtype}`, row, ms: r.medianMs, out });
  }
  // onnxruntime-node fp32 is the reference: within ~1e-5 of a float64 forward pass.
  const ref = (done.find((d) => d.key === "node/fp32") ?? done.find((d) => d.key === "tfjs/fp32"))
    ?.out;
  return done.map(({ key, row, ms, out }) => {
    const native = done.find((d) => d.key === `node/${key.split("/")[1]}`)?.ms;
    const err = ref ? compareOutputs(out, ref) : null;
    return {
      ...row,
      "x native": native ? ms / native : null,
      "max abs": err?.maxAbsDiff ?? null,
      "PSNR dB": err?.psnrDb ?? null,
    };
  });
}

function versions(): Record<string, string> {
  const version = (p: string) =>
    (
      JSON.parse(
        readFileSync(
          path.resolve(import.meta.dirname, "../node_modules", p, "package.json"),
          "utf8",
        ),
      ) as {
        version: string;
      }
    ).version;
  return Object.fromEntries(
    ["onnxruntime-node", "onnxruntime-web", "@tensorflow/tfjs-core"].map((p) => [p, version(p)]),
  );
}

const list = <T extends string>(value: string, allowed: readonly T[], flag: string): T[] => {
  const items = value.split(",");
  const bad = items.filter((x) => !allowed.includes(x as T));
  if (bad.length > 0)
    throw new Error(`${flag}: unknown ${bad.join(", ")}; choose from ${allowed.join(", ")}`);
  return items as T[];
};

export async function run(args: string[]): Promise<void> {
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
    tmp: mkdtempSync(path.join(os.tmpdir(), "bench-infer-")),
  };
  const rows: Row[] = [];
  try {
    for (const model of models)
      for (const size of sizes) rows.push(...(await measure(model, size, settings)));
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
        "init ms: runtime start-up (wasm compile, tfjs backend); load ms: session creation (tfjs: weight upload); median ms: median of reps after warm-up.",
        "x native: latency / onnxruntime-node latency of the same variant (tfjs row: vs node fp32).",
        "max abs / PSNR dB: vs the onnxruntime-node fp32 output when it ran, else vs tfjs.",
        `GFLOP/s: 2 x multiply-adds / latency; peak RSS: of the measuring child process; web1 / web${threads}: ORT-web wasm with 1 / ${threads} threads.`,
      ],
    },
    versions(),
  );
}
