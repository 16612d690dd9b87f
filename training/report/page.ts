/**
 * The run page, checkpoints/NAME/index.html: loss curves (inline SVG) and the
 * sample grids per epoch, newest first. Rewritten atomically after each grid;
 * it reloads itself every 30 s so a browser tab follows the run.
 */
import { readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LossName } from "../model/cyclegan.ts";
import type { LossRecord } from "./loss-log.ts";
import { lineChart } from "./svg.ts";

export const IMAGES_DIR = "images";

/** File name of the grid for an iteration: sorts by time, parses back. */
export function gridName(epoch: number, iter: number): string {
  return `epoch${String(epoch).padStart(3, "0")}_iter${String(iter).padStart(8, "0")}.png`;
}

function parseGridName(name: string): { epoch: number; iter: number } | null {
  const m = /^epoch(\d+)_iter(\d+)\.png$/.exec(name);
  return m ? { epoch: Number(m[1]), iter: Number(m[2]) } : null;
}

export async function listGrids(
  runDir: string,
): Promise<{ epoch: number; iter: number; name: string }[]> {
  const names = await readdir(path.join(runDir, IMAGES_DIR)).catch(() => [] as string[]);
  return names
    .map((name) => ({ name, parsed: parseGridName(name) }))
    .filter((g) => g.parsed !== null)
    .map((g) => ({ name: g.name, ...(g.parsed as { epoch: number; iter: number }) }))
    .sort((a, b) => b.iter - a.iter);
}

/** Grids made after `iter` by a run that is being resumed from `iter`. */
export async function removeGridsAfter(runDir: string, iter: number): Promise<void> {
  for (const g of await listGrids(runDir))
    if (g.iter > iter) await rm(path.join(runDir, IMAGES_DIR, g.name), { force: true });
}

const CHARTS: { title: string; names: [LossName, LossName] }[] = [
  { title: "D", names: ["D_A", "D_B"] },
  { title: "G", names: ["G_A", "G_B"] },
  { title: "cycle", names: ["cycle_A", "cycle_B"] },
  { title: "identity", names: ["idt_A", "idt_B"] },
];
const COLORS = ["#1f77b4", "#d62728"];

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export interface PageInfo {
  name: string;
  status: string;
  cellWidth: number;
  options: Readonly<Record<string, unknown>>;
}

export async function writePage(
  runDir: string,
  info: PageInfo,
  records: readonly LossRecord[],
): Promise<void> {
  const charts = CHARTS.map(({ title, names }) =>
    lineChart(
      title,
      names.map((n, i) => ({
        name: n,
        color: COLORS[i] as string,
        points: records.map((r) => [r.iter, r.losses[n]] as const),
      })),
    ),
  ).join("\n");
  const byEpoch = new Map<number, string[]>();
  for (const g of await listGrids(runDir)) {
    const fig = `<figure><img src="${IMAGES_DIR}/${g.name}" width="${3 * info.cellWidth}" alt="samples at iteration ${g.iter}" loading="lazy"><figcaption>iteration ${g.iter}</figcaption></figure>`;
    byEpoch.set(g.epoch, [...(byEpoch.get(g.epoch) ?? []), fig]);
  }
  const sections = [...byEpoch]
    .map(([epoch, figs]) => `<section><h3>epoch ${epoch}</h3>${figs.join("")}</section>`)
    .join("\n");
  const opts = Object.entries(info.options)
    .map(([k, v]) => `${k}=${esc(String(v))}`)
    .join(" ");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<title>${esc(info.name)}: CycleGAN run</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}svg{margin:0 .5rem .5rem 0;background:#fafafa}
figure{display:inline-block;margin:0 1rem 1rem 0}figcaption{font-size:12px;color:#555}
code{font-size:11px;color:#555;word-break:break-all}</style></head><body>
<h1>${esc(info.name)}</h1>
<p>${esc(info.status)}</p>
<p>Rows: real A | fake B = G_A(A) | rec A = G_B(G_A(A)) &nbsp;/&nbsp; real B | fake A = G_B(B) | rec B = G_A(G_B(B)).</p>
<div>${charts}</div>
${sections || "<p>No samples yet.</p>"}
<p><code>${opts}</code></p>
</body></html>
`;
  const file = path.join(runDir, "index.html");
  await writeFile(`${file}.tmp`, html);
  await rename(`${file}.tmp`, file);
}
