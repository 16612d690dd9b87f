/**
 * The image pool (history buffer) of Shrivastava et al., as in the reference:
 * discriminators see generated images drawn from the last `size` fakes, not
 * only the newest. While the pool fills, each new image is stored and
 * returned; once full, with probability 0.5 a random stored image is returned
 * and replaced by the new one, otherwise the new image itself is returned.
 */
import * as tf from "@tensorflow/tfjs-core";

/** The random source, injectable so tests can drive the 50% rule. */
export interface PoolRandom {
  /** Uniform in [0, 1). */
  random(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export class ImagePool {
  private readonly size: number;
  private readonly rand: PoolRandom;
  /** Stored images, each [1, h, w, c], owned by the pool. */
  private stored: tf.Tensor4D[] = [];
  /** How full the pool is; equals stored.length unless another worker holds the images (advance). */
  private count = 0;

  constructor(size: number, rand: PoolRandom) {
    this.size = size;
    this.rand = rand;
  }

  /** Images for the discriminator, one per image of `batch`; the caller owns the result. */
  query(batch: tf.Tensor4D): tf.Tensor4D {
    if (this.size === 0) return tf.clone(batch);
    const out: tf.Tensor4D[] = [];
    for (let i = 0; i < batch.shape[0]; i++) {
      // kept: a stored image must outlive any tf.tidy the caller runs this in
      const image = tf.keep(tf.slice(batch, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
      if (this.count < this.size) {
        this.stored.push(image);
        this.count++;
        out.push(tf.clone(image));
      } else if (this.rand.random() > 0.5) {
        const j = this.rand.int(this.size);
        out.push(this.stored[j] as tf.Tensor4D); // handed over, not copied
        this.stored[j] = image;
      } else {
        out.push(image);
      }
    }
    const result = tf.concat(out, 0);
    for (const t of out) if (!this.stored.includes(t)) t.dispose();
    return result;
  }

  /**
   * Apply the pool's rule to `n` images without keeping any: in two-worker
   * training the other worker holds this pool, and both draw from one random
   * stream, which this keeps in step.
   */
  advance(n: number): void {
    if (this.size === 0) return;
    for (let i = 0; i < n; i++) {
      if (this.count < this.size) this.count++;
      else if (this.rand.random() > 0.5) this.rand.int(this.size);
    }
  }

  /** The stored images (for checkpoints); still owned by the pool. */
  images(): readonly tf.Tensor4D[] {
    return this.stored;
  }

  /** Replace the contents (resume); the pool takes ownership of `images`. */
  restore(images: tf.Tensor4D[]): void {
    this.dispose();
    this.stored = images.slice(0, this.size);
    this.count = this.stored.length;
    for (const t of images.slice(this.size)) t.dispose();
  }

  dispose(): void {
    for (const t of this.stored) t.dispose();
    this.stored = [];
    this.count = 0;
  }
}
