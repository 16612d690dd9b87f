/**
 * `npm run bench:infer [-- --quick | --sizes 256,512 --reps 3 ...]`: inference
 * speed, size and memory of the generators, per variant and engine:
 * onnxruntime-node (native CPU), onnxruntime-web WebAssembly in Node (1 thread
 * and all threads), and a TensorFlow.js peer (wasm backend, the same weights
 * through training/networks forward()). Each measurement runs in its own child
 * process (bench/infer-job.ts) so peak RSS and the wasm thread count are its own.
 * Then full resolution (bench/full-resolution.ts): time and peak memory at 2, 12
 * and 24 MP with the statistics pass, and tiling fidelity before and after.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseManifest } from "../models/schema.ts";
import { compareOutputs } from "../training/export/metrics.ts";
import { buildGenerator } from "../training/networks/index.ts";
import { countMacs } from "../training/networks/spec.ts";
import { inChild } from "./child.ts";
import { type FullResSettings, fidelityRows, speedRows } from "./full-resolution.ts";
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
    const r = await inChild<JobResult>(
      new URL("./infer-job.ts", import.meta.url),
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

/** The full-resolution tables: speed and memory at each size, and fidelity before/after. */
async function fullResolution(o: FullResSettings, fidelity: boolean): Promise<void> {
  const versions = packageVersions(["onnxruntime-node", "sharp"]);
  if (o.megapixels.length > 0) {
    const started = runStart();
    const samples: Record<string, unknown>[] = [];
    const rows = await speedRows(o, samples);
    writeReport(
      {
        name: "infer-full-resolution",
        settings: { ...o },
        rows,
        notes: [
          "A real photo (scikit-image's coffee, 600x400) enlarged to each size, translated by the first shipped photo model (fp32) on onnxruntime-node with all cores; each row is its own child process (peak RSS is that run's).",
          "frozen (now): the statistics pass at the model's working size, then 256 px tiles on frozen statistics (models/full-resolution.ts, as the site and npm run infer); per tile (before): every tile on its own statistics.",
          "stats share %: the statistics pass as a share of the whole run; x per tile: total time / the per-tile run's at the same size.",
        ],
        samples,
        started,
      },
      versions,
    );
  }
  if (fidelity) {
    const started = runStart();
    writeReport(
      {
        name: "full-resolution-fidelity",
        settings: { ...o },
        rows: await fidelityRows(o),
        notes: [
          "Every shipped photo generator (fp32) on the five reference photos (Debian's python3-skimage), 256 px tiles with the site's overlap.",
          "before: per-tile statistics vs the model's own one pass over the whole photo. after: tiles on frozen statistics vs one pass with the same frozen statistics (the issue's bound: >= 35 dB, no 64 px block off by more than 2 levels).",
          "gapN: the largest per-channel difference of mean colour over any N x N block, in levels of 255. after vs own: frozen tiles vs the model's own whole-photo pass (what changes with the statistics' scale, not tiling).",
        ],
        started,
      },
      versions,
    );
  }
}

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
      /** Full resolution (bench/full-resolution.ts): photo sizes in MP, "none" to skip. */
      "full-mp": { type: "string", default: "2,12,24" },
      /** Skip the before/after tiling fidelity table on the reference photos. */
      "no-fidelity": { type: "boolean", default: false },
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
  await fullResolution(
    {
      manifest: values.manifest,
      megapixels:
        values["full-mp"] === "none"
          ? []
          : (quick ? "0.25" : values["full-mp"]).split(",").map(Number),
      threads,
      limitS: settings.limitS,
      tile: 256,
    },
    !quick && !values["no-fidelity"],
  );
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
