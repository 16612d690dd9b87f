/** Human-readable sizes and durations for the page. */

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** "1.2 MB of 2.0 MB (60%)" */
export function formatProgress(loaded: number, total: number): string {
  const pct = total > 0 ? Math.floor((100 * loaded) / total) : 0;
  return `${formatBytes(loaded)} of ${formatBytes(total)} (${pct}%)`;
}
