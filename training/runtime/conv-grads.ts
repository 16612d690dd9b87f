/**
 * Convolution gradients built from forward convolutions and one large matMul,
 * the two kernels the WebAssembly backend runs through XNNPACK.
 *
 * Notation (NHWC, tfjs filter layout [kh, kw, in, out]): a convolution with
 * strides s and top/left zero padding p maps x [n, h, w, ci] to
 * dy [n, oh, ow, co]. The bottom/right padding is implied by the shapes.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Floats of im2col columns convFilterGrad builds at once (64 MiB). */
const IM2COL_BUDGET = 16 * 2 ** 20;

export interface ConvGeometry {
  strides: [number, number];
  /** Zero padding before the first row / column (the rest follows from the shapes). */
  padTop: number;
  padLeft: number;
}

/** The geometry of a conv gradient kernel's attributes (strides, pad as tfjs accepts them). */
export function geometryFromAttrs(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: tf.NamedAttrMap | undefined,
): ConvGeometry {
  const a = attrs as unknown as Pick<
    tf.Conv2DBackpropFilterAttrs,
    "strides" | "pad" | "dataFormat" | "dimRoundingMode"
  >;
  if (a.dataFormat !== "NHWC") {
    throw new Error(`wasm conv gradients support dataFormat NHWC only, got ${a.dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
  return {
    strides: [info.strideHeight, info.strideWidth],
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Pad (positive) or crop (negative) axes 1 and 2 of an NHWC tensor. */
export function padOrCrop(
  t: tf.Tensor4D,
  [top, bottom]: [number, number],
  [left, right]: [number, number],
): tf.Tensor4D {
  const pos = (v: number) => Math.max(v, 0);
  let out = t;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [
      [0, 0],
      [pos(top), pos(bottom)],
      [pos(left), pos(right)],
      [0, 0],
    ]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = out.shape;
    out = tf.slice(
      out,
      [0, pos(-top), pos(-left), 0],
      [n, h - pos(-top) - pos(-bottom), w - pos(-left) - pos(-right), c],
    );
  }
  return out;
}

/**
 * A stride-1 conv of t padded (positive) or cropped (negative) on axes 1 and 2:
 * padding goes to the conv kernel, which pads on the fly instead of copying t.
 */
function paddedConv(
  t: tf.Tensor4D,
  filter: tf.Tensor4D,
  [top, bottom]: [number, number],
  [left, right]: [number, number],
): tf.Tensor4D {
  const neg = (v: number) => Math.min(v, 0);
  const pos = (v: number) => Math.max(v, 0);
  const cropped = padOrCrop(t, [neg(top), neg(bottom)], [neg(left), neg(right)]);
  return tf.conv2d(cropped, filter, 1, [
    [0, 0],
    [pos(top), pos(bottom)],
    [pos(left), pos(right)],
    [0, 0],
  ]);
}

/** The taps of one output phase along one axis (see convInputGrad). */
interface AxisPhase {
  /** Taps k = r, r + s, ...: how many (0 when r >= kernel). */
  taps: number;
  /** Index of the first tap in the spatially flipped filter; later taps follow every s. */
  firstFlipped: number;
}

function axisPhases(kernel: number, stride: number): AxisPhase[] {
  return Array.from({ length: stride }, (_, r) => {
    const taps = Math.max(0, Math.ceil((kernel - r) / stride));
    return { taps, firstFlipped: kernel - 1 - r - stride * (taps - 1) };
  });
}

/**
 * The gradient with respect to x of conv2d(x, w) (also the forward pass of a
 * transposed convolution), without the zeros a strided conv's transpose would
 * multiply: output rows/columns split into s phases per axis, and phase (r, c)
 * is a stride-1 "valid" conv of dy with the flipped taps r, r+s, ... of w.
 * With i + padTop = s*q + r:
 *   dx[i] = sum_m dy[q - m] * w[r + s*m]
 * The phases are interleaved back with concat + reshape (strided writes are slow on wasm).
 */
export function convInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: readonly [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = w.shape;
    const [n, h, wd] = xShape;
    const [, oh, ow] = dy.shape;
    const [sh, sw] = g.strides;
    // The filter's taps as contiguous [ci, co] blocks, in the in/out-swapped layout a conv over dy needs.
    const taps = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [kh * kw, co, ci]);
    const range = (pad: number, size: number, s: number) => {
      const start = Math.floor(pad / s);
      return { start, end: Math.ceil((pad + size) / s) };
    };
    const rows = range(g.padTop, h, sh);
    const cols = range(g.padLeft, wd, sw);
    const qh = rows.end - rows.start;
    const qw = cols.end - cols.start;
    const phaseRows = axisPhases(kh, sh).map((pr) =>
      axisPhases(kw, sw).map((pc) => {
        if (pr.taps === 0 || pc.taps === 0) return tf.zeros([n, qh, qw, ci]) as tf.Tensor4D;
        const picked: tf.Tensor[] = [];
        for (let a = 0; a < pr.taps; a++) {
          for (let b = 0; b < pc.taps; b++) {
            // Flipped index f maps to original tap k - 1 - f.
            const ti = kh - 1 - (pr.firstFlipped + sh * a);
            const tj = kw - 1 - (pc.firstFlipped + sw * b);
            picked.push(tf.slice(taps, [ti * kw + tj, 0, 0], [1, co, ci]));
          }
        }
        const filter = tf.reshape(tf.concat(picked, 0), [pr.taps, pc.taps, co, ci]) as tf.Tensor4D;
        return paddedConv(
          dy,
          filter,
          [pr.taps - 1 - rows.start, rows.end - oh],
          [pc.taps - 1 - cols.start, cols.end - ow],
        );
      }),
    );
    const z = interleave(phaseRows, [n, qh, qw, ci]);
    const top = g.padTop - sh * rows.start;
    const left = g.padLeft - sw * cols.start;
    return padOrCrop(z, [-top, h + top - qh * sh], [-left, wd + left - qw * sw]);
  });
}

/** Interleave phase images p[r][c] [n, qh, qw, c] into z[n, qh*sh, qw*sw, c] with z[s*q + r] = p[r][q]. */
function interleave(
  p: tf.Tensor4D[][],
  [n, qh, qw, c]: [number, number, number, number],
): tf.Tensor4D {
  const sh = p.length;
  const sw = (p[0] as tf.Tensor4D[]).length;
  if (sh === 1 && sw === 1) return (p[0] as tf.Tensor4D[])[0] as tf.Tensor4D;
  const rowBlocks = p.map((row) =>
    tf.reshape(row.length === 1 ? (row[0] as tf.Tensor) : tf.concat(row, 3), [
      n,
      qh,
      1,
      qw * sw * c,
    ]),
  );
  const joined = rowBlocks.length === 1 ? (rowBlocks[0] as tf.Tensor) : tf.concat(rowBlocks, 2);
  return tf.reshape(joined, [n, qh * sh, qw * sw, c]) as tf.Tensor4D;
}

/**
 * Channels-first phases of an NHWC tensor [n, hh*sh, ww*sw, c]: [sh*sw*c, n*hh, ww],
 * phase (a, b) holding rows a, a+sh, ... and columns b, b+sw, ... Each strided tap
 * of a conv is then a contiguous 3-D slice. Built from NHWC slices (runs of c
 * values) and 2-D transposes: wasm's 5-D transpose is ~20x slower than these.
 */
function channelsFirstPhases(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor3D {
  const [n, h, w, c] = t.shape;
  const hh = h / sh;
  const ww = w / sw;
  const split = tf.reshape(t, [n * hh, sh, ww, sw * c]);
  const out: tf.Tensor[] = [];
  for (let a = 0; a < sh; a++) {
    for (let b = 0; b < sw; b++) {
      const phase = tf.slice(split, [0, a, 0, b * c], [n * hh, 1, ww, c]);
      out.push(tf.transpose(tf.reshape(phase, [n * hh * ww, c])));
    }
  }
  const all = out.length === 1 ? (out[0] as tf.Tensor) : tf.concat(out, 0);
  return tf.reshape(all, [sh * sw * c, n * hh, ww]) as tf.Tensor3D;
}

/**
 * The gradient with respect to the filter of conv2d(x, w) as one GEMM:
 * im2col(x)^T [kh*kw*ci, n*oh*ow] x dy [n*oh*ow, co], which is the filter layout
 * [kh, kw, ci, co] directly. Both operands are untransposed, which is the form
 * the wasm backend hands to XNNPACK (a transposed operand falls back to a slow loop).
 */
export function convFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: [number, number],
  g: ConvGeometry,
  budget = IM2COL_BUDGET,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = kernel;
    const [n, h, w, ci] = x.shape;
    const [, oh, ow, co] = dy.shape;
    const [sh, sw] = g.strides;
    // Rows/columns the taps touch, rounded up to whole stride phases.
    const hn = Math.ceil(((oh - 1) * sh + kh) / sh) * sh;
    const wn = Math.ceil(((ow - 1) * sw + kw) / sw) * sw;
    const xp = padOrCrop(x, [g.padTop, hn - h - g.padTop], [g.padLeft, wn - w - g.padLeft]);
    // Channels first with the batch folded into the rows: [phases*ci, n*hn/sh, wn/sw] keeps each tap a 3-D slice.
    const strided = sh > 1 || sw > 1;
    const xt = strided
      ? channelsFirstPhases(xp, sh, sw)
      : (tf.reshape(tf.transpose(xp, [3, 0, 1, 2]), [ci, n * hn, wn]) as tf.Tensor3D);
    const rowsPerImage = hn / sh;
    const tap = (t: number): tf.Tensor => {
      const i = Math.floor(t / kw);
      const j = t % kw;
      const phase = strided ? ((i % sh) * sw + (j % sw)) * ci : 0;
      const r0 = Math.floor(i / sh);
      const c0 = Math.floor(j / sw);
      const perImage: tf.Tensor[] = [];
      for (let b = 0; b < n; b++) {
        perImage.push(tf.slice(xt, [phase, b * rowsPerImage + r0, c0], [ci, oh, ow]));
      }
      return n === 1 ? (perImage[0] as tf.Tensor) : tf.stack(perImage, 1);
    };
    const pixels = n * oh * ow;
    const dy2 = tf.reshape(dy, [pixels, co]);
    // im2col in chunks of taps: a 7x7 conv at 256 px would otherwise build an
    // 800 MB column matrix. XNNPACK packs dy2 once and reuses it for every chunk.
    const perChunk = Math.max(1, Math.floor(budget / (ci * pixels)));
    const parts: tf.Tensor[] = [];
    for (let t0 = 0; t0 < kh * kw; t0 += perChunk) {
      const count = Math.min(perChunk, kh * kw - t0);
      parts.push(
        tf.tidy(() => {
          const taps = Array.from({ length: count }, (_, k) => tap(t0 + k));
          const cols = tf.reshape(taps.length === 1 ? (taps[0] as tf.Tensor) : tf.concat(taps, 0), [
            count * ci,
            pixels,
          ]);
          return tf.matMul(cols as tf.Tensor2D, dy2 as tf.Tensor2D);
        }),
      );
    }
    const g2 = parts.length === 1 ? (parts[0] as tf.Tensor) : tf.concat(parts, 0);
    return tf.reshape(g2, [kh, kw, ci, co]) as tf.Tensor4D;
  });
}

type FilterGrad = (
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: [number, number],
  g: ConvGeometry,
) => tf.Tensor4D;
type InputGrad = (
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: readonly [number, number, number, number],
  g: ConvGeometry,
) => tf.Tensor4D;

/** The wasm Conv2DBackpropFilter / Conv2DBackpropInput kernels, computed by the given functions. */
export function convGradKernels(filterGrad: FilterGrad, inputGrad: InputGrad): tf.KernelConfig[] {
  return [
    {
      kernelName: tf.Conv2DBackpropFilter,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs }) => {
        const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
        const { filterShape } = attrs as unknown as {
          filterShape: [number, number, number, number];
        };
        const g = geometryFromAttrs(x.shape, filterShape, attrs);
        return filterGrad(x, dy, [filterShape[0], filterShape[1]], g);
      },
    },
    {
      kernelName: tf.Conv2DBackpropInput,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs }) => {
        const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
        const { inputShape } = attrs as unknown as { inputShape: [number, number, number, number] };
        const g = geometryFromAttrs(inputShape, filter.shape, attrs);
        return inputGrad(dy, filter, inputShape, g);
      },
    },
  ];
}
