/**
 * Independent plain-JS (float64) references for the loss tests: closed
 * forms written with loops over numbers, a central finite-difference
 * gradient, and small helpers to move matrices into float64 tensors.
 * Nothing here calls the code under test.
 */
import { expect } from 'vitest';
import * as T from '../../src/torch/index.js';
import { Rng } from '../../src/util/rng.js';

export type Matrix = number[][];

/** Seeded uniform matrix [rows, cols] in [lo, hi). */
export function randomMatrix(rng: Rng, rows: number, cols: number, lo = 0, hi = 1): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.uniform(lo, hi)));
}

/** A float64 tensor from a matrix (or a vector). */
export function f64(data: Matrix | number[], requiresGrad = false): T.Tensor<'float64'> {
  return T.tensor<'float64'>(data as T.NestedNumbers, { dtype: 'float64', requiresGrad });
}

/** Row-major flattening. */
export function flat(m: Matrix): number[] {
  return m.flat();
}

/** The inverse of flat(). */
export function unflat(values: readonly number[], cols: number): Matrix {
  const out: Matrix = [];
  for (let i = 0; i < values.length; i += cols) out.push(values.slice(i, i + cols));
  return out;
}

/** A per-value mask from a per-sample one. */
export function expandMask(rowMask: readonly boolean[], cols: number): boolean[][] {
  return rowMask.map((m) => Array.from({ length: cols }, () => m));
}

/** Weighted CCC of paired values; null where undefined (< 2 values, zero weight, zero denominator). */
function weightedCcc(x: number[], y: number[], w: number[], variant: 'population' | 'official'): number | null {
  const n = x.length;
  let total = 0;
  for (const v of w) total += v;
  if (n < 2 || total <= 0) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += w[i]! * x[i]!;
    my += w[i]! * y[i]!;
  }
  mx /= total;
  my /= total;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += w[i]! * (x[i]! - mx) ** 2;
    syy += w[i]! * (y[i]! - my) ** 2;
    sxy += w[i]! * (x[i]! - mx) * (y[i]! - my);
  }
  const bessel = variant === 'official' ? n / (n - 1) : 1;
  const varX = (sxx / total) * bessel;
  const varY = (syy / total) * bessel;
  const den = varX + varY + (mx - my) ** 2;
  if (!(den > 0)) return null;
  return (2 * (sxy / total)) / den;
}

/** Options shared by the references. */
export interface RefOptions {
  mask?: boolean[][] | null;
  sampleWeights?: number[] | null;
  variant?: 'population' | 'official';
}

/** 1 − CCC per output column over the batch, averaged over defined columns (0 if none). */
export function refCccBatch(pred: Matrix, target: Matrix, o: RefOptions = {}): number {
  const cols = pred[0]!.length;
  let sum = 0;
  let defined = 0;
  for (let k = 0; k < cols; k++) {
    const x: number[] = [];
    const y: number[] = [];
    const w: number[] = [];
    for (let b = 0; b < pred.length; b++) {
      if (o.mask && !o.mask[b]![k]) continue;
      x.push(pred[b]![k]!);
      y.push(target[b]![k]!);
      w.push(o.sampleWeights ? o.sampleWeights[b]! : 1);
    }
    const c = weightedCcc(x, y, w, o.variant ?? 'population');
    if (c === null) continue;
    sum += 1 - c;
    defined++;
  }
  return defined === 0 ? 0 : sum / defined;
}

/** 1 − CCC per sample across its outputs, weighted mean over samples with a defined CCC (0 if none). */
export function refCccSample(pred: Matrix, target: Matrix, o: RefOptions = {}): number {
  let sum = 0;
  let weights = 0;
  for (let b = 0; b < pred.length; b++) {
    const x: number[] = [];
    const y: number[] = [];
    for (let k = 0; k < pred[b]!.length; k++) {
      if (o.mask && !o.mask[b]![k]) continue;
      x.push(pred[b]![k]!);
      y.push(target[b]![k]!);
    }
    const c = weightedCcc(x, y, x.map(() => 1), o.variant ?? 'population');
    if (c === null) continue;
    const s = o.sampleWeights ? o.sampleWeights[b]! : 1;
    sum += s * (1 - c);
    weights += s;
  }
  return weights > 0 ? sum / weights : 0;
}

/** Weighted mean of (x − y)² or |x − y| over labelled values (0 if none). */
export function refPointwise(kind: 'mse' | 'mae', pred: Matrix, target: Matrix, o: RefOptions = {}): number {
  let num = 0;
  let den = 0;
  for (let b = 0; b < pred.length; b++) {
    for (let k = 0; k < pred[b]!.length; k++) {
      if (o.mask && !o.mask[b]![k]) continue;
      const w = o.sampleWeights ? o.sampleWeights[b]! : 1;
      const d = pred[b]![k]! - target[b]![k]!;
      num += w * (kind === 'mse' ? d * d : Math.abs(d));
      den += w;
    }
  }
  return den > 0 ? num / den : 0;
}

/** Options of refCrossEntropy. */
export interface RefCeOptions {
  classWeights?: number[];
  sampleWeights?: number[];
  mask?: boolean[];
  labelSmoothing?: number;
  normalize?: 'weight-sum' | 'sample-count';
}

/**
 * Σ m·s·l / D with l = (1−ε)·c_y·(−log p_y) + (ε/C)·Σ_j c_j·(−log p_j),
 * D = Σ m·s·c_y ('weight-sum') or Σ m·s ('sample-count').
 */
export function refCrossEntropy(logits: Matrix, target: number[], o: RefCeOptions = {}): number {
  const eps = o.labelSmoothing ?? 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < logits.length; i++) {
    if (o.mask && !o.mask[i]) continue;
    const z = logits[i]!;
    const c = z.length;
    const cw = (j: number) => (o.classWeights ? o.classWeights[j]! : 1);
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((acc, v) => acc + Math.exp(v - max), 0));
    const nll = (j: number) => lse - z[j]!;
    let smooth = 0;
    for (let j = 0; j < c; j++) smooth += cw(j) * nll(j);
    const y = target[i]!;
    const l = (1 - eps) * cw(y) * nll(y) + (eps / c) * smooth;
    const s = o.sampleWeights ? o.sampleWeights[i]! : 1;
    num += s * l;
    den += (o.normalize ?? 'weight-sum') === 'weight-sum' ? s * cw(y) : s;
  }
  return den > 0 ? num / den : 0;
}

/** Central finite differences of f at `base`, one coordinate at a time. */
export function finiteDifference(f: (values: number[]) => number, base: readonly number[], h = 1e-6): number[] {
  return base.map((_, i) => {
    const plus = base.slice();
    const minus = base.slice();
    plus[i]! += h;
    minus[i]! -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** Largest |a − n| / max(|n|, floor) over the entries; the relative error the gradient tests bound. */
export function maxRelativeError(analytic: readonly number[], numeric: readonly number[], floor = 1e-2): number {
  expect(analytic.length).toBe(numeric.length);
  let worst = 0;
  for (let i = 0; i < analytic.length; i++) {
    worst = Math.max(worst, Math.abs(analytic[i]! - numeric[i]!) / Math.max(Math.abs(numeric[i]!), floor));
  }
  return worst;
}

/** The gradient of a scalar loss with respect to `input`, as numbers (the tensors are freed). */
export function gradientOf(loss: () => T.Tensor, input: T.Tensor): number[] {
  return T.scope(() => {
    const [g] = T.grad(loss(), [input]);
    if (!g) throw new Error('the loss does not depend on the input');
    return g.toNumbers();
  });
}

/** The value of a scalar loss as a number (the tensors are freed). */
export function valueOf(loss: () => T.Tensor): number {
  return T.scope(() => T.noGrad(() => loss().item()));
}

/** Analytic gradient (autograd) and central differences of `loss` at the matrix `at`. */
export function gradientCheck(loss: (x: T.Tensor) => T.Tensor, at: Matrix): { analytic: number[]; numeric: number[]; maxRelError: number } {
  const cols = at[0]!.length;
  const x = f64(at, true);
  try {
    const analytic = gradientOf(() => loss(x), x);
    const numeric = finiteDifference((values) => valueOf(() => loss(f64(unflat(values, cols)))), flat(at));
    return { analytic, numeric, maxRelError: maxRelativeError(analytic, numeric) };
  } finally {
    x.dispose();
  }
}
