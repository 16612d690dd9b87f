/**
 * Messages from a worker_threads port, read in order with `next()` (one
 * reader at a time): both ends of two-worker training receive this way.
 */
export class Mailbox<T> {
  private readonly queue: T[] = [];
  private waiting: ((m: T) => void) | null = null;

  put(m: T): void {
    const w = this.waiting;
    this.waiting = null;
    if (w) w(m);
    else this.queue.push(m);
  }

  next(): Promise<T> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift() as T);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}
