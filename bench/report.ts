/**
 * Shared output for every benchmark: a table on stdout and a JSON file under
 * bench/results/ with the machine, versions and settings, so runs compare.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export interface BenchReport {
  name: string;
  settings: Record<string, unknown>;
  rows: Row[];
  notes?: string[];
}

export function machineInfo(): Record<string, unknown> {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.versions.node,
  };
}

function format(v: Cell): string {
  if (v === null) return "-";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }
  return v;
}

export function renderTable(rows: Row[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => cols.map((c) => format(r[c] ?? null)));
  const widths = cols.map((c, i) =>
    Math.max(c.length, ...cells.map((r) => (r[i] as string).length)),
  );
  const line = (vals: string[]) =>
    `| ${vals.map((v, i) => v.padEnd(widths[i] as number)).join(" | ")} |`;
  return [
    line(cols),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...cells.map(line),
  ].join("\n");
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
  const body = { ...report, machine: machineInfo(), versions, date: new Date().toISOString() };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  return file;
}
