/**
 * The terminal view of a run: one progress bar (iteration, epoch, it/s, ETA,
 * latest losses) with messages printed above it. Without a terminal (CI,
 * pipes) there is no bar and messages go to `print` (default: stderr).
 */
import cliProgress from "cli-progress";

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

const stderrLine = (line: string) => void process.stderr.write(`${line}\n`);

export class Progress {
  readonly enabled: boolean;
  private readonly print: (line: string) => void;
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private total = 0;
  private losses = "";
  /** Smoothed seconds per iteration. */
  private secPerIter = Number.NaN;
  private last = performance.now();

  constructor(enabled = Boolean(process.stderr.isTTY), print: (line: string) => void = stderrLine) {
    this.enabled = enabled;
    this.print = print;
  }

  /** Show the bar (when enabled) from `start` of `total` iterations. */
  setTotal(total: number, start: number): void {
    this.total = total;
    if (!this.enabled) return;
    this.multi = new cliProgress.MultiBar(
      {
        // `remaining`, not cli-progress's own `eta`: it would count resumed iterations as done now
        format:
          "{bar} iter {value}/{total} | epoch {epoch}/{epochs} | {rate} it/s | ETA {remaining} | {losses}",
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(total, start, {
      epoch: "-",
      epochs: "-",
      rate: "-",
      remaining: "?",
      losses: "",
    });
    this.last = performance.now();
  }

  /** After each iteration; `losses` replaces the shown losses when given. */
  tick(iter: number, epoch: number, epochs: number, losses?: string): void {
    const now = performance.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    this.secPerIter = Number.isNaN(this.secPerIter) ? dt : 0.9 * this.secPerIter + 0.1 * dt;
    if (losses !== undefined) this.losses = losses;
    this.bar?.update(iter, {
      epoch,
      epochs,
      rate: this.rate().toFixed(this.secPerIter > 1 ? 3 : 2),
      remaining: duration(Math.max(0, this.total - iter) * this.secPerIter),
      losses: this.losses,
    });
  }

  /** Restart the it/s clock (after a pause such as saving a checkpoint). */
  resetClock(): void {
    this.last = performance.now();
  }

  /** Iterations per second, smoothed; 0 before the first iteration. */
  rate(): number {
    return Number.isNaN(this.secPerIter) ? 0 : 1 / this.secPerIter;
  }

  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else this.print(line);
  }

  stop(): void {
    this.multi?.stop();
    this.multi = null;
    this.bar = null;
  }
}
