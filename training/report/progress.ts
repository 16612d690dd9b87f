/**
 * The terminal view of a run: one progress bar (iteration, epoch, it/s, ETA)
 * with messages printed above it. Without a terminal (CI, pipes) the bar is
 * off and messages go to `print` (default: stderr) as plain lines.
 */
import cliProgress from "cli-progress";

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export class Progress {
  private readonly multi: cliProgress.MultiBar | null;
  private readonly bar: cliProgress.SingleBar | null;
  private total = 0;
  private readonly print: (line: string) => void;
  /** Smoothed seconds per iteration. */
  private secPerIter = Number.NaN;
  private last = performance.now();

  constructor(
    enabled = Boolean(process.stderr.isTTY),
    print: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
  ) {
    this.print = print;
    this.multi = enabled
      ? new cliProgress.MultiBar(
          {
            format:
              "{bar} iter {value}/{total} | epoch {epoch}/{epochs} | {rate} it/s | ETA {eta} | {losses}",
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar =
      this.multi?.create(0, 0, { epoch: "-", epochs: "-", rate: "-", eta: "?", losses: "" }) ??
      null;
  }

  /** Whether the bar is shown (else the caller may print progress lines). */
  get enabled(): boolean {
    return this.bar !== null;
  }

  setTotal(total: number, start: number): void {
    this.total = total;
    this.bar?.setTotal(total);
    this.bar?.update(start);
  }

  /** After each iteration. */
  tick(iter: number, epoch: number, epochs: number, losses: string): void {
    const now = performance.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    this.secPerIter = Number.isNaN(this.secPerIter) ? dt : 0.9 * this.secPerIter + 0.1 * dt;
    this.bar?.update(iter, {
      epoch,
      epochs,
      rate: (1 / this.secPerIter).toFixed(this.secPerIter > 1 ? 3 : 2),
      eta: duration((this.total - iter) * this.secPerIter),
      losses,
    });
  }

  /** Restart the it/s clock (after a pause such as saving a checkpoint). */
  resetClock(): void {
    this.last = performance.now();
  }

  /** Iterations per second, smoothed. */
  rate(): number {
    return 1 / this.secPerIter;
  }

  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else this.print(line);
  }

  stop(): void {
    this.multi?.stop();
  }
}
