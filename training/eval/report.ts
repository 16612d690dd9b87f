/**
 * The per-model HTML report: a summary table and a grid of test images
 * (input, each method's output, truth when there is one), each cell a PNG
 * file next to index.html, plus the same grid as one grid.png.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { encodePng, type RgbImage } from "./image.ts";

export interface Cell {
  image: RgbImage;
  /** Short text under the image (per-image scores). */
  caption?: string;
}

export interface ReportSpec {
  title: string;
  /** Paragraphs shown above the table (plain text, escaped). */
  notes: string[];
  table: { columns: string[]; rows: string[][] };
  grid: { columns: string[]; rows: { name: string; cells: Cell[] }[] };
}

const TILE_H = 128;

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

async function gridPng(spec: ReportSpec): Promise<Buffer> {
  const first = spec.grid.rows[0]?.cells[0]?.image;
  const aspect = first ? first.width / first.height : 1;
  const tileW = Math.round(TILE_H * Math.min(3, Math.max(1 / 3, aspect)));
  const gap = 4;
  const cols = spec.grid.columns.length;
  const rows = spec.grid.rows.length;
  const composites = await Promise.all(
    spec.grid.rows.flatMap((row, r) =>
      row.cells.map(async (cell, c) => ({
        input: await sharp(await encodePng(cell.image))
          .resize({ width: tileW, height: TILE_H, fit: "contain", background: "#ffffff" })
          .png()
          .toBuffer(),
        left: gap + c * (tileW + gap),
        top: gap + r * (TILE_H + gap),
      })),
    ),
  );
  return sharp({
    create: {
      width: gap + cols * (tileW + gap),
      height: gap + Math.max(1, rows) * (TILE_H + gap),
      channels: 3,
      background: "#d0d0d0",
    },
  })
    .composite(composites)
    .png()
    .toBuffer();
}

/** Write index.html, img/*.png and grid.png into `outDir` (built aside, then swapped in). */
export async function writeReport(outDir: string, spec: ReportSpec): Promise<string> {
  const tmp = `${outDir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.join(tmp, "img"), { recursive: true });
  const gridRows: string[] = [];
  for (const [r, row] of spec.grid.rows.entries()) {
    const cells: string[] = [];
    for (const [c, cell] of row.cells.entries()) {
      const file = `img/r${r}-c${c}.png`;
      writeFileSync(path.join(tmp, file), await encodePng(cell.image, 512));
      const caption = cell.caption ? `<figcaption>${esc(cell.caption)}</figcaption>` : "";
      cells.push(
        `<td><figure><img src="${file}" alt="${esc(`${row.name}: ${spec.grid.columns[c]}`)}">${caption}</figure></td>`,
      );
    }
    gridRows.push(`<tr><th>${esc(row.name)}</th>${cells.join("")}</tr>`);
  }
  writeFileSync(path.join(tmp, "grid.png"), await gridPng(spec));
  const head = (cols: string[]) => `<tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(spec.title)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.grid img{max-height:160px;image-rendering:auto;display:block}
figure{margin:0}figcaption{font-size:12px;color:#555}
</style></head><body>
<h1>${esc(spec.title)}</h1>
${spec.notes.map((n) => `<p>${esc(n)}</p>`).join("\n")}
<table>${head(spec.table.columns)}${spec.table.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`).join("")}</table>
<h2>Test images</h2>
<p>The same rows as one picture: <a href="grid.png">grid.png</a>.</p>
<table class="grid">${head(["", ...spec.grid.columns])}${gridRows.join("\n")}</table>
</body></html>
`;
  writeFileSync(path.join(tmp, "index.html"), html);
  const old = `${outDir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  mkdirSync(path.dirname(outDir), { recursive: true });
  if (existsSync(outDir)) renameSync(outDir, old);
  renameSync(tmp, outDir);
  rmSync(old, { recursive: true, force: true });
  return path.join(outDir, "index.html");
}
