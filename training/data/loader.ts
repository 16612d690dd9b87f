/**
 * Batches of an epoch with decoding ahead of use: `prefetch` samples are in
 * flight in sharp's worker threads while the training step runs, so the step
 * does not wait on JPEG decoding and resizing.
 */
import type { Sample, UnalignedDataset } from "./unaligned.ts";

export interface Batch {
  samples: Sample[];
  /** Epoch position after this batch (what a checkpoint records). */
  next: number;
}

/** Batches of `epoch` from position `start`; unreadable samples are skipped (already reported). */
export async function* epochBatches(
  ds: UnalignedDataset,
  epoch: number,
  start: number,
  batchSize: number,
  prefetch: number,
): AsyncGenerator<Batch> {
  const pending: Promise<Sample | null>[] = [];
  let queued = start;
  const fill = () => {
    while (pending.length < Math.max(prefetch, batchSize) && queued < ds.length) {
      pending.push(ds.load(epoch, queued++));
    }
  };
  fill();
  let batch: Sample[] = [];
  for (let pos = start; pos < ds.length; ) {
    const sample = await (pending.shift() as Promise<Sample | null>);
    pos++;
    fill();
    if (sample) batch.push(sample);
    if (batch.length === batchSize || (pos === ds.length && batch.length > 0)) {
      yield { samples: batch, next: pos };
      batch = [];
    }
  }
}
