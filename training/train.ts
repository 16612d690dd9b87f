/**
 * `npm run train -- --dataroot datasets/NAME --name RUN [options]`: train a
 * CycleGAN (options: training/options.ts, `--help`; guide: docs/training.md).
 * Ctrl-C saves `latest` and stops; a second Ctrl-C stops at once.
 */
import { CommanderError } from "commander";
import { train } from "./model/train-loop.ts";
import { parseTrainOptions } from "./options.ts";

try {
  const parsed = parseTrainOptions(process.argv.slice(2));
  const stop = new AbortController();
  // SIGTERM too: a supervisor's stop request then also ends with a saved `latest`.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stop.signal.aborted) process.exit(130);
      process.stderr.write(
        "\nstopping after this iteration (saving latest); Ctrl-C again to quit now\n",
      );
      stop.abort();
    });
  }
  await train(parsed, { signal: stop.signal });
  process.exit(0); // the wasm backend and sharp keep handles open
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  process.stderr.write(`train: ${(e as Error).message}\n`);
  process.exit(1);
}
