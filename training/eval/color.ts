/**
 * sRGB (D65, 8-bit scale) <-> CIE L*a*b*, the colour space of the colour
 * transfer baseline. Formulas: IEC 61966-2-1 transfer curve, sRGB primaries
 * to XYZ, CIE 1976 L*a*b* with the D65 white point.
 */

const WHITE = [0.95047, 1.0, 1.08883] as const;
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

function toLinear(v: number): number {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function fromLinear(c: number): number {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return v * 255;
}

/** sRGB primaries (linear RGB) to XYZ, D65. */
const M = [
  [0.4124564, 0.3575761, 0.1804375],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339, 0.119192, 0.9503041],
] as const;

/** The exact inverse of M (cofactors), so Lab -> sRGB undoes sRGB -> Lab to rounding error. */
const MI = (() => {
  const [[a, b, c], [d, e, f], [g, h, i]] = M;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ] as const;
})();

const f = (t: number): number => (t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116);
const fInv = (t: number): number => (t ** 3 > EPS ? t ** 3 : (116 * t - 16) / KAPPA);

/** r, g, b in 0..255 -> [L*, a*, b*]. */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const R = toLinear(r);
  const G = toLinear(g);
  const B = toLinear(b);
  const x = (M[0][0] * R + M[0][1] * G + M[0][2] * B) / WHITE[0];
  const y = (M[1][0] * R + M[1][1] * G + M[1][2] * B) / WHITE[1];
  const z = (M[2][0] * R + M[2][1] * G + M[2][2] * B) / WHITE[2];
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** [L*, a*, b*] -> r, g, b in 0..255 (unclamped: out-of-gamut colours fall outside). */
export function labToSrgb(L: number, a: number, bb: number): [number, number, number] {
  const fy = (L + 16) / 116;
  const x = fInv(fy + a / 500) * WHITE[0];
  const y = (L > KAPPA * EPS ? fy ** 3 : L / KAPPA) * WHITE[1];
  const z = fInv(fy - bb / 200) * WHITE[2];
  const R = MI[0][0] * x + MI[0][1] * y + MI[0][2] * z;
  const G = MI[1][0] * x + MI[1][1] * y + MI[1][2] * z;
  const B = MI[2][0] * x + MI[2][1] * y + MI[2][2] * z;
  return [fromLinear(R), fromLinear(G), fromLinear(B)];
}
