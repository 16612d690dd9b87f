/** Timing for kernel benchmarks on a shared machine. */
import * as tf from "@tensorflow/tfjs-core";

/** CPU microseconds of this process (robust to other load, unlike wall time). */
export function cpuMicros(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

const ROUND_MS = 250;

/**
 * ms per call of f: the best of `reps` rounds, each round calling f until
 * ROUND_MS have passed (OS CPU-time accounting is coarse, so single short calls
 * cannot be timed). Process CPU time for single-threaded work, wall time for
 * multi-threaded work.
 */
export async function time(
  reps: number,
  f: () => tf.Tensor | Promise<unknown>,
  clock: "cpu" | "wall" = "cpu",
): Promise<number> {
  const now = () => (clock === "cpu" ? cpuMicros() / 1e3 : performance.now());
  const call = async () => {
    const r = await f();
    if (r instanceof tf.Tensor) {
      r.dataSync();
      r.dispose();
    }
  };
  await call();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    let calls = 0;
    while (calls < 2 || now() - t0 < ROUND_MS) {
      await call();
      calls++;
    }
    best = Math.min(best, (now() - t0) / calls);
  }
  return best;
}
