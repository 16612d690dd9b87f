/**
 * Binary logistic regression on standardised features, fitted by full-batch
 * gradient descent with L2 regularisation and class weights (so a side with
 * ten times more images does not win by default). Deterministic: weights
 * start at zero.
 */

export interface LogisticModel {
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function fitLogistic(
  x: number[][],
  y: (0 | 1)[],
  {
    iterations = 3000,
    rate = 0.5,
    l2 = 1e-3,
  }: { iterations?: number; rate?: number; l2?: number } = {},
): LogisticModel {
  const n = x.length;
  const d = x[0]?.length ?? 0;
  const pos = y.filter((v) => v === 1).length;
  if (n === 0 || pos === 0 || pos === n)
    throw new RangeError("need examples of both classes to fit a classifier");
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + (r[j] as number), 0) / n);
  const std = Array.from({ length: d }, (_, j) => {
    const v = x.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / n;
    return Math.sqrt(v) || 1;
  });
  const z = x.map((r) => r.map((v, j) => (v - (mean[j] as number)) / (std[j] as number)));
  const cw = y.map((v) => (v === 1 ? n / (2 * pos) : n / (2 * (n - pos))));
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    const gw = w.map((wj) => l2 * wj);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const row = z[i] as number[];
      const p = sigmoid(row.reduce((s, v, j) => s + v * (w[j] as number), b));
      const e = ((p - (y[i] as number)) * (cw[i] as number)) / n;
      for (let j = 0; j < d; j++) gw[j] = (gw[j] as number) + e * (row[j] as number);
      gb += e;
    }
    for (let j = 0; j < d; j++) w[j] = (w[j] as number) - rate * (gw[j] as number);
    b -= rate * gb;
  }
  return { mean, std, weights: w, bias: b };
}

/** Probability of class 1. */
export function predict(model: LogisticModel, row: number[]): number {
  let s = model.bias;
  for (let j = 0; j < row.length; j++) {
    s +=
      (((row[j] as number) - (model.mean[j] as number)) / (model.std[j] as number)) *
      (model.weights[j] as number);
  }
  return sigmoid(s);
}
