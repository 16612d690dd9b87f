/**
 * Live mode's numbers, kept pure so they are unit-tested: the frame size for a
 * size setting, the size picked from this device's measured speed, and the
 * frame rate, latency and per-stage times of the last frames.
 */
import { roundDownToMultiple } from "../../../models/contract.ts";

/** The size control's choices: the longest side of a translated frame, in pixels. */
export const LIVE_SIZES = [128, 192, 256, 384, 512] as const;
/** The frame rate the default size aims for. */
export const TARGET_FPS = 15;

/**
 * Frame size for a camera of srcW x srcH at a size setting: the camera's
 * shape with its longest side at `side` (never larger than the camera gives),
 * both sides multiples of 4 (the generator's contract) and at least 16.
 */
export function liveFrameSize(srcW: number, srcH: number, side: number): [number, number] {
  const scale = Math.min(1, side / Math.max(srcW, srcH));
  const scaled = (n: number) => Math.max(16, roundDownToMultiple(Math.round(n * scale)));
  return [
    Math.min(scaled(srcW), roundDownToMultiple(srcW)),
    Math.min(scaled(srcH), roundDownToMultiple(srcH)),
  ];
}

/**
 * The largest size expected to reach `target` frames/s, given one measured
 * time per frame at a frame whose longest side was `measuredSide`: engine time
 * grows with the pixel count, so with the square of the side. The smallest
 * size when none is expected to.
 */
export function pickLiveSize(
  msPerFrame: number,
  measuredSide: number,
  target = TARGET_FPS,
): number {
  const budget = 1000 / target;
  let best: number = LIVE_SIZES[0];
  for (const side of LIVE_SIZES) {
    if (msPerFrame * (side / measuredSide) ** 2 <= budget) best = side;
  }
  return best;
}

/** Where a frame's time went, in milliseconds (GPU stages are complete only in profile mode). */
export interface StageTimes {
  /** Page: taking the frame from the video and handing it to the worker. */
  capture: number;
  /** Worker: frame -> planar float tensor (copy, shrink, convert; a compute shader on WebGPU). */
  convert: number;
  run: number;
  draw: number;
}

export const STAGES = [
  "capture",
  "convert",
  "run",
  "draw",
] as const satisfies readonly (keyof StageTimes)[];

/** Nearest-rank percentile of unsorted values (0 when there are none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export interface LiveSummary {
  /** Frames drawn per second over the window. */
  fps: number;
  /** Capture to drawn, in ms. */
  latencyP50: number;
  latencyP95: number;
  /** Median of each stage. */
  stages: StageTimes;
  /** Since the start: frames the camera presented, handed to the engine, drawn. */
  presented: number;
  sent: number;
  drawn: number;
  /** Presented frames the engine never saw because it was busy (dropped, never queued). */
  dropped: number;
}

/** The last `window` frames' numbers, and totals since the start. */
export class LiveStats {
  private readonly window: number;
  private readonly drawnAt: number[] = [];
  private readonly latencies: number[] = [];
  private readonly stages: StageTimes[] = [];
  private presented = 0;
  private sent = 0;
  private drawn = 0;

  constructor(window = 60) {
    this.window = window;
  }

  /** The camera presented `count` new frames (requestVideoFrameCallback's presentedFrames delta). */
  framesPresented(count: number): void {
    this.presented += count;
  }

  frameSent(): void {
    this.sent++;
  }

  frameDrawn(at: number, latency: number, stages: StageTimes): void {
    this.drawn++;
    const keep = <T>(list: T[], value: T) => {
      list.push(value);
      if (list.length > this.window) list.shift();
    };
    keep(this.drawnAt, at);
    keep(this.latencies, latency);
    keep(this.stages, stages);
  }

  summary(): LiveSummary {
    const n = this.drawnAt.length;
    const span = n > 1 ? (this.drawnAt[n - 1] as number) - (this.drawnAt[0] as number) : 0;
    const median = (key: keyof StageTimes) =>
      percentile(
        this.stages.map((s) => s[key]),
        50,
      );
    return {
      fps: span > 0 ? ((n - 1) * 1000) / span : 0,
      latencyP50: percentile(this.latencies, 50),
      latencyP95: percentile(this.latencies, 95),
      stages: {
        capture: median("capture"),
        convert: median("convert"),
        run: median("run"),
        draw: median("draw"),
      },
      presented: this.presented,
      sent: this.sent,
      drawn: this.drawn,
      dropped: Math.max(0, this.presented - this.sent),
    };
  }
}
