/**
 * Shared output for every benchmark: a table on stdout and a JSON file under
 * bench/results/ with the machine (load average before and after, git
 * commit), package versions, settings and raw samples, so runs compare.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { type Row, renderTable } from "../training/report/table.ts";

export type { Cell, Row } from "../training/report/table.ts";

/**
 * Set by bench/gpu-bundle.ts (esbuild `define`) in the self-contained GPU run:
 * the commit it was built from and the versions of the packages bundled into
 * run.mjs (they have no package.json there). Undefined everywhere else.
 */
declare const __BENCH_BUILD__:
  | { commit: string | null; versions: Record<string, string> }
  | undefined;
const BUILD = typeof __BENCH_BUILD__ === "undefined" ? undefined : __BENCH_BUILD__;

/** When a run began and the machine's load then. */
export interface RunStart {
  at: string;
  loadAvg: number[];
}

const loadAvg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

export function runStart(): RunStart {
  return { at: new Date().toISOString(), loadAvg: loadAvg() };
}

/** Fallback for reports that pass no `started`: when this module was first loaded. */
const MODULE_LOADED = runStart();

export interface BenchReport {
  name: string;
  settings: Record<string, unknown>;
  rows: Row[];
  notes?: string[];
  /** Raw measurements behind the rows (every timed run), written to the JSON only. */
  samples?: Record<string, unknown>[];
  /** When the measurements began (runStart()); defaults to when bench/report.ts was loaded. */
  started?: RunStart;
}

/** `git rev-parse HEAD` of the checkout this file is in; null outside one (e.g. the unpacked GPU bundle). */
function gitCommit(): string | null {
  if (BUILD) return BUILD.commit;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: import.meta.dirname,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
    }).trim();
  } catch {
    return null;
  }
}

function installedVersion(name: string): string | null {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "node_modules", name, "package.json");
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? null;
    if (path.dirname(dir) === dir) return null;
  }
}

/** What the training benchmarks (bench/train.ts, bench/gpu-train.ts) may run on. */
export const TFJS_PACKAGES = [
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-backend-cpu",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-backend-webgpu",
  "webgpu",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
] as const;

/** Installed versions of the named packages ("not installed" where absent), for the report. */
export function packageVersions(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((n) => [n, BUILD?.versions[n] ?? installedVersion(n) ?? "not installed"]),
  );
}

export function machineInfo(started: RunStart = MODULE_LOADED): Record<string, unknown> {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.versions.node,
    /** 1, 5 and 15 minute load averages when the run began and when it ended. */
    loadAvgBefore: started.loadAvg,
    loadAvgAfter: loadAvg(),
    started: started.at,
    gitCommit: gitCommit(),
  };
}

/** Print the table and write bench/results/<name>-<timestamp>.json atomically; returns the path. */
export function writeReport(report: BenchReport, versions: Record<string, string> = {}): string {
  console.log(`\n## ${report.name}\n`);
  console.log(renderTable(report.rows));
  for (const n of report.notes ?? []) console.log(`- ${n}`);
  const dir = path.resolve(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = path.join(dir, `${report.name}-${stamp}.json`);
  const { started, samples, ...rest } = report;
  const body = {
    ...rest,
    machine: machineInfo(started),
    versions,
    date: new Date().toISOString(),
    ...(samples ? { samples } : {}),
  };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  return file;
}
