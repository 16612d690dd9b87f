/** index.html of a translate run: input and output side by side, one row per image. */
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** A relative path as a URL: names may hold #, ? or %. */
const url = (rel: string) => rel.split("/").map(encodeURIComponent).join("/");

export interface Pair {
  name: string;
  input: string;
  output: string;
  width: number;
  height: number;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function writePairsPage(
  dir: string,
  title: string,
  pairs: readonly Pair[],
): Promise<void> {
  const rows = pairs
    .map(
      (p) =>
        `<tr><td>${esc(p.name)}<br><small>${p.width}x${p.height}</small></td>` +
        `<td><img src="${esc(url(p.input))}" width="${Math.min(p.width, 384)}" alt="input"></td>` +
        `<td><img src="${esc(url(p.output))}" width="${Math.min(p.width, 384)}" alt="output"></td></tr>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem}td{padding:4px;vertical-align:top}</style></head><body>
<h1>${esc(title)}</h1>
<table><thead><tr><th>image</th><th>input</th><th>output</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
  const file = path.join(dir, "index.html");
  await writeFile(`${file}.tmp`, html);
  await rename(`${file}.tmp`, file);
}
