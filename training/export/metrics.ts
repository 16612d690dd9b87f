/**
 * Error figures of an exported variant against the float32 reference.
 * PSNR is over the output range [-1, 1] (peak-to-peak 2), on float values
 * before rounding to bytes, so it sees errors that rounding would hide.
 */

/** Reported when two outputs are bit-identical (the schema needs a finite number). */
export const PSNR_IDENTICAL_DB = 200;

export interface ErrorFigures {
  maxAbsDiff: number;
  psnrDb: number;
}

export function compareOutputs(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): ErrorFigures {
  if (actual.length !== expected.length) {
    throw new RangeError(`outputs differ in size: ${actual.length} vs ${expected.length} values`);
  }
  let max = 0;
  let sq = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = (actual[i] as number) - (expected[i] as number);
    if (Number.isNaN(d)) return { maxAbsDiff: Number.POSITIVE_INFINITY, psnrDb: 0 };
    max = Math.max(max, Math.abs(d));
    sq += d * d;
  }
  const mse = sq / actual.length;
  const psnrDb =
    mse === 0 ? PSNR_IDENTICAL_DB : Math.min(PSNR_IDENTICAL_DB, 10 * Math.log10(4 / mse));
  return { maxAbsDiff: max, psnrDb };
}

/** Worst case over several samples: the largest max-abs and the lowest PSNR. */
export function worst(figures: ErrorFigures[]): ErrorFigures {
  return {
    maxAbsDiff: Math.max(...figures.map((f) => f.maxAbsDiff)),
    psnrDb: Math.min(...figures.map((f) => f.psnrDb)),
  };
}
