/** Run async jobs a few at a time behind a progress bar (sharp does the work on its own threads). */
import cliProgress from "cli-progress";

export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  label: string,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(14)} {bar} {value}/{total} {duration}s`,
      hideCursor: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  if (process.stdout.isTTY) bar.start(items.length, 0);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
      if (process.stdout.isTTY) bar.increment();
    }
  };
  const started = Date.now();
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    if (process.stdout.isTTY) bar.stop();
  }
  if (!process.stdout.isTTY) {
    console.log(
      `${label}: ${items.length} done in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}
