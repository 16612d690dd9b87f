/**
 * The float32 reference the site's .pth import checks its ONNX files against,
 * as `npm run import` checks them against TensorFlow.js: the same layer list
 * (training/networks, networks as data) walked in plain JavaScript, so the
 * page needs no TensorFlow.js (about 1 MB more to load, and slower here than
 * loops for a probe this small). Tensors are [C, H, W], batch 1; sums run in
 * float64 (JavaScript numbers) and are stored as float32.
 */
import type { Weights } from "../../../training/export/onnx.ts";
import type { Layer, NetworkSpec } from "../../../training/networks/spec.ts";

interface T {
  c: number;
  h: number;
  w: number;
  d: Float32Array;
}

/** Side of the probe image: small enough for loops (ngf 64 / 9 blocks: about 0.8 G multiply-adds). */
export const PROBE_SIDE = 32;

/**
 * The fixed probe: smooth gradients, a ripple and seeded noise in [-1, 1], so
 * every channel and position differs and no norm sees a flat input.
 */
export function probeImage(side = PROBE_SIDE): Float32Array {
  const out = new Float32Array(3 * side * side);
  let seed = 0x2545f491;
  const noise = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const v =
          ((c + 1) * x) / side - y / side + 0.3 * Math.sin((x * (c + 2) + y) / 3) + 0.4 * noise();
        out[(c * side + y) * side + x] = Math.max(-1, Math.min(1, v));
      }
  return out;
}

function param(ws: Weights, name: string): Float32Array {
  const p = ws.get(name);
  if (!p) throw new Error(`reference: missing parameter ${name}`);
  return p.data;
}

/** Nearest-neighbour upsampling: output pixel (y, x) is input (y / s, x / s) rounded down. */
function upsample(x: T, s: number): T {
  const h = x.h * s;
  const w = x.w * s;
  const d = new Float32Array(x.c * h * w);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++)
        d[(c * h + y) * w + i] = x.d[
          (c * x.h + Math.floor(y / s)) * x.w + Math.floor(i / s)
        ] as number;
  return { c: x.c, h, w, d };
}

function reflectPad(x: T, p: number): T {
  const h = x.h + 2 * p;
  const w = x.w + 2 * p;
  const d = new Float32Array(x.c * h * w);
  const r = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < h; y++) {
      const src = (c * x.h + r(y - p, x.h)) * x.w;
      const dst = (c * h + y) * w;
      for (let i = 0; i < w; i++) d[dst + i] = x.d[src + r(i - p, x.w)] as number;
    }
  return { c: x.c, h, w, d };
}

/**
 * Conv2d: weight [out, in, k, k], zero padding, then the bias. Each output
 * pixel's input patch is gathered once (im2col), so the inner loop is one
 * long dot product with a weight row rather than a few pixels of a small map.
 */
function conv(x: T, l: Extract<Layer, { op: "conv" }>, ws: Weights): T {
  const { kernel: k, stride: s, padding: p, outChannels: o } = l;
  const wt = param(ws, `${l.name}.weight`);
  const h = Math.floor((x.h + 2 * p - k) / s) + 1;
  const w = Math.floor((x.w + 2 * p - k) / s) + 1;
  const n = x.c * k * k;
  const cols = new Float32Array(h * w * n); // zeros where the patch reaches into the padding
  for (let y = 0; y < h; y++)
    for (let i = 0; i < w; i++) {
      let at = (y * w + i) * n;
      for (let ic = 0; ic < x.c; ic++)
        for (let ky = 0; ky < k; ky++) {
          const iy = y * s + ky - p;
          const row = (ic * x.h + iy) * x.w;
          for (let kx = 0; kx < k; kx++, at++) {
            const ix = i * s + kx - p;
            if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) cols[at] = x.d[row + ix] as number;
          }
        }
    }
  const d = new Float32Array(o * h * w);
  const bias = l.bias ? param(ws, `${l.name}.bias`) : undefined;
  const b = (oc: number) => (bias && oc < o ? (bias[oc] as number) : 0);
  // Two output channels per pass over a patch: each patch value is loaded once for both.
  for (let oc = 0; oc < o; oc += 2) {
    const r0 = oc * n;
    const r1 = Math.min(oc + 1, o - 1) * n;
    for (let px = 0; px < h * w; px++) {
      const c = px * n;
      let s0 = b(oc);
      let s1 = b(oc + 1);
      for (let j = 0; j < n; j++) {
        const v = cols[c + j] as number;
        s0 += (wt[r0 + j] as number) * v;
        s1 += (wt[r1 + j] as number) * v;
      }
      d[oc * h * w + px] = s0;
      if (oc + 1 < o) d[(oc + 1) * h * w + px] = s1;
    }
  }
  return { c: o, h, w, d };
}

/** ConvTranspose2d: weight [in, out, k, k]; output (n - 1) s - 2p + k + outputPadding. */
function convTranspose(x: T, l: Extract<Layer, { op: "convTranspose" }>, ws: Weights): T {
  const { kernel: k, stride: s, padding: p, outChannels: o } = l;
  const wt = param(ws, `${l.name}.weight`);
  const h = (x.h - 1) * s - 2 * p + k + l.outputPadding;
  const w = (x.w - 1) * s - 2 * p + k + l.outputPadding;
  const acc = new Float64Array(o * h * w);
  const bias = l.bias ? param(ws, `${l.name}.bias`) : undefined;
  for (let oc = 0; oc < o; oc++)
    acc.fill(bias ? (bias[oc] as number) : 0, oc * h * w, (oc + 1) * h * w);
  for (let ic = 0; ic < x.c; ic++)
    for (let oc = 0; oc < o; oc++)
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++) {
          const v = wt[((ic * o + oc) * k + ky) * k + kx] as number;
          for (let y = 0; y < x.h; y++) {
            const oy = y * s + ky - p;
            if (oy < 0 || oy >= h) continue;
            const src = (ic * x.h + y) * x.w;
            const dst = (oc * h + oy) * w;
            for (let i = 0; i < x.w; i++) {
              const ox = i * s + kx - p;
              if (ox >= 0 && ox < w)
                acc[dst + ox] = (acc[dst + ox] as number) + v * (x.d[src + i] as number);
            }
          }
        }
  return { c: o, h, w, d: Float32Array.from(acc) };
}

/** Each channel normalised with its own mean and population variance; then scale and shift if given. */
function norm(x: T, eps: number, scale?: Float32Array, shift?: Float32Array): T {
  const n = x.h * x.w;
  const d = new Float32Array(x.d.length);
  for (let c = 0; c < x.c; c++) {
    const at = c * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x.d[at + i] as number;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += ((x.d[at + i] as number) - mean) ** 2;
    const inv = 1 / Math.sqrt(sq / n + eps);
    const a = scale ? (scale[c] as number) : 1;
    const b = shift ? (shift[c] as number) : 0;
    for (let i = 0; i < n; i++) d[at + i] = ((x.d[at + i] as number) - mean) * inv * a + b;
  }
  return { ...x, d };
}

const map = (x: T, f: (v: number) => number): T => ({ ...x, d: x.d.map(f) });

function walk(layers: readonly Layer[], x: T, ws: Weights): T {
  for (const l of layers) {
    switch (l.op) {
      case "reflectPad":
        x = reflectPad(x, l.pad);
        break;
      case "upsample":
        x = upsample(x, l.scale);
        break;
      case "conv":
        x = conv(x, l, ws);
        break;
      case "convTranspose":
        x = convTranspose(x, l, ws);
        break;
      case "instanceNorm":
        x = norm(x, l.epsilon);
        break;
      case "batchNorm":
        x = norm(x, l.epsilon, param(ws, `${l.name}.weight`), param(ws, `${l.name}.bias`));
        break;
      case "relu":
        x = map(x, (v) => Math.max(v, 0));
        break;
      case "leakyRelu": {
        const a = l.alpha;
        x = map(x, (v) => (v > 0 ? v : a * v));
        break;
      }
      case "tanh":
        x = map(x, Math.tanh);
        break;
      case "residual": {
        const body = walk(l.body, x, ws);
        const d = new Float32Array(x.d.length);
        for (let i = 0; i < d.length; i++) d[i] = (x.d[i] as number) + (body.d[i] as number);
        x = { ...x, d };
        break;
      }
      case "concatSkip": {
        const body = walk(l.body, x, ws);
        const d = new Float32Array(x.d.length + body.d.length);
        d.set(x.d);
        d.set(body.d, x.d.length);
        x = { c: x.c + body.c, h: x.h, w: x.w, d };
        break;
      }
      case "mix": {
        const plane = x.h * x.w;
        const d = new Float32Array(l.weights.length * plane);
        l.weights.forEach((row, o) => {
          row.forEach((wi, i) => {
            for (let p = 0; p < plane; p++) {
              const k = o * plane + p;
              d[k] = (d[k] as number) + wi * (x.d[i * plane + p] as number);
            }
          });
        });
        x = { c: l.weights.length, h: x.h, w: x.w, d };
        break;
      }
    }
  }
  return x;
}

/** The generator's output for a planar [inChannels, height, width] image. */
export function referenceForward(
  spec: NetworkSpec,
  weights: Weights,
  image: Float32Array,
  width: number,
  height: number,
): Float32Array {
  return walk(spec.layers, { c: spec.inChannels, h: height, w: width, d: image }, weights).d;
}
