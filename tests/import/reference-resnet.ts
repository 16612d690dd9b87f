/**
 * Test-only, independent of training/networks and the exporter: the
 * reference ResNet generator's forward pass written out by hand from the
 * paper's description, in float64, straight from state-dict keys.
 * Tensors are [C, H, W] (batch 1).
 */
type W = ReadonlyMap<string, { shape: number[]; data: Float32Array }>;
type Norm = "instance" | "batch" | "none";

interface T {
  c: number;
  h: number;
  w: number;
  d: Float64Array;
}

const at = (x: T, c: number, y: number, i: number) => x.d[(c * x.h + y) * x.w + i] as number;

function reflectPad(x: T, p: number): T {
  const h = x.h + 2 * p;
  const w = x.w + 2 * p;
  const d = new Float64Array(x.c * h * w);
  const r = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++) d[(c * h + y) * w + i] = at(x, c, r(y - p, x.h), r(i - p, x.w));
  return { c: x.c, h, w, d };
}

function param(ws: W, name: string) {
  const p = ws.get(name);
  if (!p) throw new Error(`reference: missing ${name}`);
  return p;
}

/** A conv's bias; convs before a batch norm or none have none (zeros). */
const biasOf = (ws: W, name: string, n: number) =>
  ws.get(`${name}.bias`)?.data ?? new Float32Array(n);

/** Conv2d, weight [out, in, k, k], zero padding `pad`. */
function conv(x: T, ws: W, name: string, stride: number, pad: number): T {
  const { shape, data: wt } = param(ws, `${name}.weight`);
  const bias = biasOf(ws, name, shape[0] as number);
  const [co, ci, k] = shape as [number, number, number];
  const h = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const d = new Float64Array(co * h * w);
  for (let o = 0; o < co; o++)
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++) {
        let s = bias[o] as number;
        for (let c = 0; c < ci; c++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const sy = y * stride - pad + ky;
              const sx = i * stride - pad + kx;
              if (sy < 0 || sx < 0 || sy >= x.h || sx >= x.w) continue;
              s += (wt[((o * ci + c) * k + ky) * k + kx] as number) * at(x, c, sy, sx);
            }
        d[(o * h + y) * w + i] = s;
      }
  return { c: co, h, w, d };
}

/** ConvTranspose2d, weight [in, out, k, k]: scatter every input pixel. */
function convTranspose(x: T, ws: W, name: string, stride: number, pad: number, outPad: number): T {
  const { shape, data: wt } = param(ws, `${name}.weight`);
  const bias = biasOf(ws, name, shape[1] as number);
  const [ci, co, k] = shape as [number, number, number];
  const h = (x.h - 1) * stride - 2 * pad + k + outPad;
  const w = (x.w - 1) * stride - 2 * pad + k + outPad;
  const d = new Float64Array(co * h * w);
  for (let o = 0; o < co; o++) d.fill(bias[o] as number, o * h * w, (o + 1) * h * w);
  for (let c = 0; c < ci; c++)
    for (let y = 0; y < x.h; y++)
      for (let i = 0; i < x.w; i++)
        for (let o = 0; o < co; o++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const ty = y * stride - pad + ky;
              const tx = i * stride - pad + kx;
              if (ty < 0 || tx < 0 || ty >= h || tx >= w) continue;
              d[(o * h + ty) * w + tx] =
                (d[(o * h + ty) * w + tx] as number) +
                (wt[((c * co + o) * k + ky) * k + kx] as number) * at(x, c, y, i);
            }
  return { c: co, h, w, d };
}

function instanceNorm(x: T): T {
  const n = x.h * x.w;
  const d = new Float64Array(x.d.length);
  for (let c = 0; c < x.c; c++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x.d[c * n + j] as number;
    mean /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += ((x.d[c * n + j] as number) - mean) ** 2;
    const inv = 1 / Math.sqrt(v / n + 1e-5);
    for (let j = 0; j < n; j++) d[c * n + j] = ((x.d[c * n + j] as number) - mean) * inv;
  }
  return { ...x, d };
}

/**
 * The norm at state-dict prefix `name`. Batch norm at test time in the
 * reference's test.py (no --eval: train mode) uses the batch's statistics,
 * for one image its own per-channel ones, then the learned scale and shift.
 */
function norm(x: T, ws: W, name: string, kind: Norm): T {
  if (kind === "none") return x;
  const y = instanceNorm(x);
  if (kind === "instance") return y;
  const scale = param(ws, `${name}.weight`).data;
  const shift = param(ws, `${name}.bias`).data;
  const n = x.h * x.w;
  return {
    ...y,
    d: y.d.map(
      (v, j) => v * (scale[Math.floor(j / n)] as number) + (shift[Math.floor(j / n)] as number),
    ),
  };
}

const map = (x: T, f: (v: number) => number): T => ({ ...x, d: x.d.map(f) });
const relu = (x: T) => map(x, (v) => Math.max(0, v));

/** The generator on a [3, H, W] image in [-1, 1]; returns [3, H, W] in float64. */
export function referenceResnet(
  ws: W,
  nBlocks: number,
  image: Float32Array,
  h: number,
  w: number,
  kind: Norm = "instance",
): Float64Array {
  const n = (t: T, name: string) => norm(t, ws, name, kind);
  let x: T = { c: 3, h, w, d: Float64Array.from(image) };
  x = relu(n(conv(reflectPad(x, 3), ws, "model.1", 1, 0), "model.2"));
  x = relu(n(conv(x, ws, "model.4", 2, 1), "model.5"));
  x = relu(n(conv(x, ws, "model.7", 2, 1), "model.8"));
  for (let b = 0; b < nBlocks; b++) {
    const name = `model.${10 + b}.conv_block`;
    let y = relu(n(conv(reflectPad(x, 1), ws, `${name}.1`, 1, 0), `${name}.2`));
    y = n(conv(reflectPad(y, 1), ws, `${name}.5`, 1, 0), `${name}.6`);
    const sum = x.d.map((v, i) => v + (y.d[i] as number));
    x = { ...x, d: sum };
  }
  x = relu(n(convTranspose(x, ws, `model.${10 + nBlocks}`, 2, 1, 1), `model.${11 + nBlocks}`));
  x = relu(n(convTranspose(x, ws, `model.${13 + nBlocks}`, 2, 1, 1), `model.${14 + nBlocks}`));
  x = conv(reflectPad(x, 3), ws, `model.${17 + nBlocks}`, 1, 0);
  return x.d.map(Math.tanh);
}
