/**
 * The WebAssembly live path's pixel work, in the live worker. Every buffer is
 * made when the camera or frame size changes and reused for every frame after
 * that: the camera frame's RGBA copy, its area-average shrink to the frame
 * size (the weights and arithmetic of models/resize.ts, so the same source
 * gives the same pixels), the planar float tensor and the RGBA the result is
 * drawn from.
 */
import type { GeneratorSession } from "./ort-engine.ts";

/** Source pixels an output index covers along one axis, and their weights (models/resize.ts). */
function coverage(
  inSide: number,
  outSide: number,
): { first: Int32Array; count: Int32Array; weights: Float64Array[] } {
  const scale = inSide / outSide;
  const first = new Int32Array(outSide);
  const count = new Int32Array(outSide);
  const weights: Float64Array[] = [];
  for (let o = 0; o < outSide; o++) {
    const start = o * scale;
    const end = Math.min(inSide, (o + 1) * scale);
    const lo = Math.floor(start);
    const hi = Math.min(inSide - 1, Math.ceil(end) - 1);
    const w = new Float64Array(hi - lo + 1);
    for (let i = lo; i <= hi; i++) w[i - lo] = (Math.min(end, i + 1) - Math.max(start, i)) / scale;
    first[o] = lo;
    count[o] = w.length;
    weights.push(w);
  }
  return { first, count, weights };
}

/**
 * Area-average shrink of RGBA to RGBA (RGB averaged, alpha 255), with its
 * weights and intermediate row buffer made once: equal to resizeArea in
 * models/resize.ts channel for channel.
 */
export class AreaShrink {
  readonly inWidth: number;
  readonly inHeight: number;
  readonly outWidth: number;
  readonly outHeight: number;
  private readonly cols: ReturnType<typeof coverage>;
  private readonly rows: ReturnType<typeof coverage>;
  private readonly mid: Float32Array;

  constructor(inWidth: number, inHeight: number, outWidth: number, outHeight: number) {
    if (outWidth > inWidth || outHeight > inHeight || outWidth < 1 || outHeight < 1) {
      throw new RangeError(
        `AreaShrink only shrinks: ${inWidth}x${inHeight} -> ${outWidth}x${outHeight}`,
      );
    }
    this.inWidth = inWidth;
    this.inHeight = inHeight;
    this.outWidth = outWidth;
    this.outHeight = outHeight;
    this.cols = coverage(inWidth, outWidth);
    this.rows = coverage(inHeight, outHeight);
    this.mid = new Float32Array(inHeight * outWidth * 3);
  }

  /** `src`: inWidth x inHeight RGBA; `dst`: outWidth x outHeight RGBA, written in place. */
  run(src: Uint8Array | Uint8ClampedArray, dst: Uint8ClampedArray): void {
    const { inWidth, inHeight, outWidth, outHeight, mid } = this;
    const { first: cFirst, count: cCount, weights: cWeights } = this.cols;
    for (let y = 0; y < inHeight; y++) {
      const s = y * inWidth * 4;
      const d = y * outWidth * 3;
      for (let o = 0; o < outWidth; o++) {
        const w = cWeights[o] as Float64Array;
        const n = cCount[o] as number;
        const base = s + (cFirst[o] as number) * 4;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = 0; k < n; k++) {
          const wk = w[k] as number;
          const p = base + 4 * k;
          r += wk * (src[p] as number);
          g += wk * (src[p + 1] as number);
          b += wk * (src[p + 2] as number);
        }
        mid[d + 3 * o] = r;
        mid[d + 3 * o + 1] = g;
        mid[d + 3 * o + 2] = b;
      }
    }
    const { first: rFirst, count: rCount, weights: rWeights } = this.rows;
    const rowLength = outWidth * 3;
    for (let o = 0; o < outHeight; o++) {
      const w = rWeights[o] as Float64Array;
      const n = rCount[o] as number;
      const base = (rFirst[o] as number) * rowLength;
      for (let x = 0; x < outWidth; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = 0; k < n; k++)
            sum += (w[k] as number) * (mid[base + k * rowLength + 3 * x + c] as number);
          dst[4 * (o * outWidth + x) + c] = Math.round(sum);
        }
        dst[4 * (o * outWidth + x) + 3] = 255;
      }
    }
  }
}

/** Byte -> [-1, 1] (models/contract.ts byteToUnit), looked up. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/** RGBA bytes -> planar [3, h, w] in [-1, 1], into `out`. */
export function rgbaToChw(rgba: Uint8ClampedArray, out: Float32Array, plane: number): void {
  for (let i = 0; i < plane; i++) {
    out[i] = UNIT[rgba[4 * i] as number] as number;
    out[plane + i] = UNIT[rgba[4 * i + 1] as number] as number;
    out[2 * plane + i] = UNIT[rgba[4 * i + 2] as number] as number;
  }
}

/** Planar [3, h, w] in [-1, 1] -> RGBA bytes into `out` (models/contract.ts unitToByte; the clamped array clamps). */
export function chwToRgba(chw: Float32Array, out: Uint8ClampedArray, plane: number): void {
  for (let i = 0; i < plane; i++) {
    out[4 * i] = Math.round(((chw[i] as number) + 1) * 127.5);
    out[4 * i + 1] = Math.round(((chw[plane + i] as number) + 1) * 127.5);
    out[4 * i + 2] = Math.round(((chw[2 * plane + i] as number) + 1) * 127.5);
    out[4 * i + 3] = 255;
  }
}

export interface FrameResult {
  convert: number;
  run: number;
  draw: number;
}

/** Pixels of the last drawn frame: what the model saw and what it made, w x h RGBA each. */
export interface FramePixels {
  input: Uint8ClampedArray;
  output: Uint8ClampedArray;
  width: number;
  height: number;
}

/** One live engine: translate and draw a frame, and give the last one's pixels for a snapshot. */
export interface LiveFrames {
  frame(frame: VideoFrame, width: number, height: number): Promise<FrameResult>;
  lastFrame(): Promise<FramePixels | undefined>;
  dispose(): void;
}

/** The WebAssembly live path: frame -> reused buffers -> ORT (WebAssembly) -> 2D canvas. */
export class CpuFrames implements LiveFrames {
  private readonly session: GeneratorSession;
  private readonly ctx: OffscreenCanvasRenderingContext2D;
  private source = new Uint8Array(0);
  private shrink: AreaShrink | undefined;
  private input = new Uint8ClampedArray(0);
  private chw = new Float32Array(0);
  private image: ImageData | undefined;
  private drawn = false;

  constructor(session: GeneratorSession, canvas: OffscreenCanvas) {
    this.session = session;
    const ctx = canvas.getContext("2d", { alpha: false });
    if (!ctx) throw new Error("the live canvas has no 2D context");
    this.ctx = ctx;
  }

  /** Buffers for a camera of srcW x srcH translated at width x height, remade only when either changes. */
  private buffers(srcW: number, srcH: number, width: number, height: number): AreaShrink {
    if (this.source.length !== srcW * srcH * 4) this.source = new Uint8Array(srcW * srcH * 4);
    const s = this.shrink;
    if (
      s &&
      s.inWidth === srcW &&
      s.inHeight === srcH &&
      s.outWidth === width &&
      s.outHeight === height
    )
      return s;
    this.shrink = new AreaShrink(srcW, srcH, width, height);
    this.input = new Uint8ClampedArray(width * height * 4);
    this.chw = new Float32Array(3 * width * height);
    this.image = new ImageData(width, height);
    this.drawn = false;
    const { canvas } = this.ctx;
    canvas.width = width;
    canvas.height = height;
    return this.shrink;
  }

  async frame(frame: VideoFrame, width: number, height: number): Promise<FrameResult> {
    const t0 = performance.now();
    const { width: srcW, height: srcH } = frame.visibleRect ?? { width: 0, height: 0 };
    const shrink = this.buffers(srcW, srcH, width, height);
    await frame.copyTo(this.source, { format: "RGBA", colorSpace: "srgb" });
    shrink.run(this.source, this.input);
    rgbaToChw(this.input, this.chw, width * height);
    const t1 = performance.now();
    const out = await this.session.runFrame(this.chw, width, height);
    if (!out) throw new Error("the WebAssembly engine returned no output");
    const t2 = performance.now();
    const image = this.image as ImageData;
    chwToRgba(out, image.data, width * height);
    this.ctx.putImageData(image, 0, 0);
    this.drawn = true;
    return { convert: t1 - t0, run: t2 - t1, draw: performance.now() - t2 };
  }

  async lastFrame(): Promise<FramePixels | undefined> {
    const { image, drawn, input } = this;
    if (!image || !drawn) return undefined;
    // Copies: the next frame reuses both buffers.
    return {
      input: input.slice(),
      output: image.data.slice(),
      width: image.width,
      height: image.height,
    };
  }

  dispose(): void {}
}
