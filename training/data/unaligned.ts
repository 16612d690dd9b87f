/**
 * The reference's unaligned dataset: an epoch visits max(|A|, |B|) positions
 * (shuffled unless --serial_batches); position i takes A[i mod |A|] and a
 * random B (B[i mod |B|] with --serial_batches).
 *
 * Every random choice for a position comes from its own stream,
 * Rng.derive(seed, "sample", epoch, position), so decoding ahead (prefetch)
 * and resuming mid-epoch give exactly the images a straight run would.
 */
import path from "node:path";
import type { DatasetInfo } from "../checkpoint/read.ts";
import { Rng } from "../model/rng.ts";
import { decodeProblem, listImages, readableImages, type SkipReporter } from "./folder.ts";
import { type Image, loadTrainingImage, type PreprocessOptions } from "./preprocess.ts";

export interface DatasetOptions extends PreprocessOptions {
  dataroot: string;
  phase: string;
  direction: "AtoB" | "BtoA";
  serial_batches: boolean;
  max_dataset_size: number;
  seed: number;
}

export interface Sample {
  A: Image;
  B: Image;
  pathA: string;
  pathB: string;
}

export class UnalignedDataset {
  readonly filesA: readonly string[];
  readonly filesB: readonly string[];
  private readonly o: DatasetOptions;
  private readonly reportSkip: SkipReporter;
  private readonly skipped = new Set<string>();
  private cachedOrder: { epoch: number; perm: number[] } | null = null;

  private constructor(o: DatasetOptions, a: string[], b: string[], onSkip: SkipReporter) {
    this.o = o;
    this.filesA = a;
    this.filesB = b;
    this.reportSkip = onSkip;
  }

  /** Lists and checks both folders; unreadable files are reported through `onSkip` and left out. */
  static async open(o: DatasetOptions, onSkip: SkipReporter): Promise<UnalignedDataset> {
    const [src, dst] = o.direction === "AtoB" ? ["A", "B"] : ["B", "A"];
    const dirA = path.join(o.dataroot, `${o.phase}${src}`);
    const dirB = path.join(o.dataroot, `${o.phase}${dst}`);
    const a = await readableImages(dirA, await listImages(dirA, o.max_dataset_size), onSkip);
    const b = await readableImages(dirB, await listImages(dirB, o.max_dataset_size), onSkip);
    return new UnalignedDataset(o, a, b, onSkip);
  }

  /** Positions per epoch. */
  get length(): number {
    return Math.max(this.filesA.length, this.filesB.length);
  }

  info(): DatasetInfo {
    return {
      name: path.basename(path.resolve(this.o.dataroot)),
      source: this.o.dataroot,
      trainA: this.filesA.length,
      trainB: this.filesB.length,
    };
  }

  /** The files for position `pos` of `epoch`, and the random streams for their crops and flips. */
  pick(epoch: number, pos: number): { pathA: string; pathB: string; drawA: Rng; drawB: Rng } {
    const index = this.o.serial_batches ? pos : (this.order(epoch)[pos] as number);
    const key = [this.o.seed, "sample", epoch, pos] as const;
    const b = this.o.serial_batches
      ? index % this.filesB.length
      : Rng.derive(...key).int(this.filesB.length);
    return {
      pathA: this.filesA[index % this.filesA.length] as string,
      pathB: this.filesB[b] as string,
      drawA: Rng.derive(...key, "A"),
      drawB: Rng.derive(...key, "B"),
    };
  }

  private order(epoch: number): number[] {
    if (this.cachedOrder?.epoch !== epoch) {
      const perm = Rng.derive(this.o.seed, "order", epoch).permutation(this.length);
      this.cachedOrder = { epoch, perm };
    }
    return this.cachedOrder.perm;
  }

  /** The sample at `pos`, or null (reported once per file) when an image cannot be decoded. */
  async load(epoch: number, pos: number): Promise<Sample | null> {
    const { pathA, pathB, drawA, drawB } = this.pick(epoch, pos);
    const one = async (file: string, draw: Rng) => {
      try {
        return await loadTrainingImage(file, this.o, draw);
      } catch (e) {
        if (!this.skipped.has(file)) this.reportSkip(file, await decodeProblem(file, e));
        this.skipped.add(file);
        return null;
      }
    };
    const [A, B] = await Promise.all([one(pathA, drawA), one(pathB, drawB)]);
    return A && B ? { A, B, pathA, pathB } : null;
  }
}
