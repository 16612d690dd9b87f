/** Line charts as inline SVG (no script, no dependency): loss curves on the run page. */

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/** Average into at most `n` buckets, so a long run still draws a readable line. */
export function downsample(
  points: readonly (readonly [number, number])[],
  n: number,
): [number, number][] {
  if (points.length <= n) return points.map(([x, y]) => [x, y]);
  const out: [number, number][] = [];
  const per = points.length / n;
  for (let b = 0; b < n; b++) {
    const chunk = points.slice(Math.floor(b * per), Math.floor((b + 1) * per));
    const x = chunk.reduce((s, p) => s + p[0], 0) / chunk.length;
    const y = chunk.reduce((s, p) => s + p[1], 0) / chunk.length;
    out.push([x, y]);
  }
  return out;
}

export function lineChart(
  title: string,
  series: readonly Series[],
  width = 320,
  height = 180,
): string {
  const pad = { l: 44, r: 8, t: 20, b: 22 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0)
    return `<svg width="${width}" height="${height}" role="img"><text x="8" y="16">${esc(title)}: no data yet</text></svg>`;
  // A loop, not Math.min(...xs): a long run's log has more points than a call takes arguments.
  let [x0, x1, y0, y1] = [
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    0,
    Number.NEGATIVE_INFINITY,
  ];
  for (const [x, y] of all) {
    [x0, x1] = [Math.min(x0, x), Math.max(x1, x)];
    [y0, y1] = [Math.min(y0, y), Math.max(y1, y)];
  }
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0 || 1)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((y - y0) / (y1 - y0 || 1)) * (height - pad.t - pad.b);
  const lines = series.map((s) => {
    const pts = downsample(s.points, 400)
      .filter(([, y]) => Number.isFinite(y))
      .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(" ");
    return `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts}"><title>${esc(s.name)}</title></polyline>`;
  });
  const legend = series.map(
    (s, i) =>
      `<text x="${width - pad.r - 56 * (series.length - i)}" y="13" fill="${s.color}" font-size="11">${esc(s.name)}</text>`,
  );
  const axis = [
    `<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="#999"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#999"/>`,
    `<text x="${pad.l - 4}" y="${sy(y1) + 4}" text-anchor="end" font-size="10">${fmt(y1)}</text>`,
    `<text x="${pad.l - 4}" y="${sy(y0)}" text-anchor="end" font-size="10">${fmt(y0)}</text>`,
    `<text x="${pad.l}" y="${height - 6}" font-size="10">${x0}</text>`,
    `<text x="${width - pad.r}" y="${height - 6}" text-anchor="end" font-size="10">iteration ${x1}</text>`,
    `<text x="${pad.l}" y="13" font-size="12" font-weight="bold">${esc(title)}</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">${[...axis, ...lines, ...legend].join("")}</svg>`;
}
