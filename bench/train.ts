/**
 * `npm run bench:train [-- --quick | --sizes 64,128 --backends wasm --iters 3 --limit-s 900]`:
 * CycleGAN training speed and memory per backend and size (issues 3 and 9),
 * "before" (the runtime's baseline set: plain tfjs ops, library kernels and
 * the simple wasm gradient fixes) next to "after" (the runtime's ops and
 * kernels, what `npm run train` uses), measured in the
 * same run. Each measurement is a child process (bench/train-job.ts) with a
 * time limit, so a slow backend at a big size reports a timeout instead of
 * holding the run for hours.
 *
 * Effective GFLOP/s: 2 x the multiply-adds of one iteration (bench/train-macs.ts) / seconds.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { packageVersions, type Row, runStart, TFJS_PACKAGES, writeReport } from "./report.ts";
import { type Job, type JobResult, VARIANTS, type Variant } from "./train-job.ts";
import { itersMacs } from "./train-macs.ts";

const SIZES = [
  { size: 64, ngf: 16, blocks: 6 },
  { size: 128, ngf: 32, blocks: 6 },
  { size: 256, ngf: 64, blocks: 9 },
] as const;
const BACKENDS = ["tensorflow", "webgpu", "native", "wasm", "cpu"] as const;

function inChild(job: Job, limitS: number): Promise<JobResult | string> {
  return new Promise((resolve) => {
    const child = fork(
      fileURLToPath(new URL("./train-job.ts", import.meta.url)),
      [JSON.stringify(job)],
      {
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      },
    );
    let result: JobResult | undefined;
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr = (stderr + String(d)).slice(-2000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), limitS * 1000);
    child.on("message", (m) => {
      result = m as JobResult;
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else if (signal === "SIGKILL") resolve(`timeout (> ${limitS} s)`);
      else {
        const lines = stderr.trim().split("\n");
        resolve(
          `failed (exit ${code}): ${lines.findLast((l) => /Error/.test(l)) ?? lines.at(-1) ?? ""}`,
        );
      }
    });
  });
}

/** native rows: how many times faster than wasm's best (two workers) at the same size, same run. */
function compareWithWasm(rows: Row[]): void {
  for (const row of rows) {
    if (row.backend !== "native") continue;
    const wasm = rows.find((r) => r.backend === "wasm" && r.size === row.size)?.["after2 s/it"];
    for (const v of ["after", "after2"] as const) {
      const own = row[`${v} s/it`];
      if (typeof wasm === "number" && typeof own === "number") row[`${v} vs wasm 2w`] = wasm / own;
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function run(args: string[]): Promise<void> {
  const started = runStart();
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      sizes: { type: "string", default: SIZES.map((s) => s.size).join(",") },
      backends: { type: "string", default: BACKENDS.join(",") },
      variants: { type: "string", default: VARIANTS.join(",") },
      iters: { type: "string", default: "3" },
      warmup: { type: "string", default: "1" },
      "limit-s": { type: "string", default: "900" },
    },
  });
  const wanted = values.quick ? [64] : values.sizes.split(",").map(Number);
  const sizes = SIZES.filter((s) => wanted.includes(s.size));
  const iters = values.quick ? 1 : Number(values.iters);
  const warmup = values.quick ? 1 : Number(values.warmup);
  const limit = Number(values["limit-s"]);
  // --quick is a smoke run: wasm only (the pure-JS cpu backend takes minutes per iteration even at 64 px)
  const backends = (values.quick ? ["wasm"] : values.backends.split(",")) as Job["backend"][];
  const variants = values.variants.split(",") as Variant[];
  const rows: Row[] = [];
  const samples: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const reasons = new Map<string, string>();
  for (const backend of backends) {
    for (const s of sizes) {
      const row: Row = { backend, size: s.size, ngf: s.ngf, blocks: s.blocks };
      for (const variant of variants) {
        // two workers: wasm and native only; native has no "before" (that is wasm's baseline)
        if (variant === "after2" && backend !== "wasm" && backend !== "native") continue;
        if (variant === "before" && backend === "native") continue;
        const job: Job = {
          backend,
          variant,
          size: s.size,
          ngf: s.ngf,
          blocks: s.blocks,
          warmup,
          iters,
        };
        process.stderr.write(
          `bench:train ${backend} ${variant} ${s.size}px ngf ${s.ngf}/${s.blocks} ...\n`,
        );
        const r = await inChild(job, limit);
        samples.push({
          backend,
          size: s.size,
          variant,
          ...(typeof r === "string" ? { error: r } : { engine: r.backendName, seconds: r.seconds }),
        });
        if (typeof r === "string") {
          // the table keeps a short cell; the reason goes once per backend into the notes
          const missing = r.includes("could not be loaded");
          row[`${variant} s/it`] = missing ? "not available" : r;
          if (missing && !reasons.has(backend)) reasons.set(backend, r);
          continue;
        }
        const sec = median(r.seconds);
        row.engine ??= r.backendName;
        row[`${variant} s/it`] = sec;
        row[`${variant} it/s`] = 1 / sec;
        row[`${variant} GFLOP/s`] = (2 * itersMacs(s.size, s.ngf, s.blocks)) / sec / 1e9;
        row[`${variant} RSS MiB`] = r.peakRssMiB;
        row[`${variant} heap MiB`] = r.wasmHeapMiB ?? r.gpuMiB;
        if (r.conv && r.conv.seconds > 0) {
          // the oneDNN calls alone, and their share of the step (two workers: side A's thread)
          row[`${variant} conv GFLOP/s`] = r.conv.flops / r.conv.seconds / 1e9;
          row[`${variant} conv share`] = r.conv.seconds / r.seconds.reduce((a, b) => a + b, 0);
        }
      }
      const b = row["before s/it"];
      const a = row["after s/it"];
      const a2 = row["after2 s/it"];
      if (typeof a === "number" && typeof b === "number") row.speedup = b / a;
      if (typeof a2 === "number" && typeof b === "number") row["speedup 2w"] = b / a2;
      rows.push(row);
    }
  }
  compareWithWasm(rows);
  for (const [backend, why] of reasons) notes.push(`${backend} not available: ${why}`);
  notes.push(
    "before: the runtime's baseline set (plain tfjs ops, library kernels, simple wasm gradient fixes), one thread; after: the runtime's ops and kernels, one thread; after2: the same on two workers per step (what npm run train uses on wasm with 2+ cores; RSS covers both threads, heap is the main thread's)",
    "native: wasm with its convolutions on oneDNN (native/dnnl-conv); after: one step at a time with every core's conv threads (--threads 1); after2: two workers per step, each with half the cores' conv threads (what npm run train uses on native with 2+ cores); engine: the after cell's (after2's sides each name half the cores); vs wasm 2w: wasm's after2 s/it over this row's, same run; conv GFLOP/s: the oneDNN calls alone (main thread), conv share: their share of the step's wall time",
    "GFLOP/s: 2 x (18 MACs_G + 16 MACs_D) per iteration (bench/train-macs.ts); heap: the wasm memory after the run (it only grows, so it is the peak), or for webgpu the GPU memory its buffer pool holds",
    `median of ${iters} iteration(s) after ${warmup} warm-up, batch 1, random images; each cell its own process, killed after ${limit} s; every iteration's seconds are in the JSON's samples`,
  );
  writeReport(
    {
      name: "train",
      settings: {
        quick: values.quick,
        sizes: wanted,
        backends,
        variants,
        iters,
        warmup,
        limitS: limit,
      },
      rows,
      notes,
      samples,
      started,
    },
    packageVersions(TFJS_PACKAGES),
  );
}
