/** A Markdown table of rows for the terminal: export and eval results, benchmark figures. */

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

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
