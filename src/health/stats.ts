/** Small robust statistics shared by the detectors. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median absolute deviation scaled to a normal standard deviation (1.4826 MAD). */
export function robustScale(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

export type LineFit = { readonly slope: number; readonly intercept: number; readonly slopeStderr: number };

/** Ordinary least squares y = intercept + slope x, with the slope's standard error (NaN below 3 points). */
export function fitLine(x: readonly number[], y: readonly number[]): LineFit {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - intercept - slope * x[i]!) ** 2;
  const slopeStderr = n > 2 && sxx > 0 ? Math.sqrt(sse / (n - 2) / sxx) : Number.NaN;
  return { slope, intercept, slopeStderr };
}

export type TheilSen = {
  readonly slope: number;
  readonly intercept: number;
  /** 95 % confidence interval of the slope (Sen's, from Kendall's S), and the standard error it implies. */
  readonly lower: number;
  readonly upper: number;
  readonly slopeStderr: number;
};

const Z95 = 1.959964;

/**
 * Theil-Sen line: the median of all pairwise slopes, robust to nearly 30 % of the points being wild.
 * Its 95 % interval is Sen's (order statistics of the pairwise slopes at Kendall's S variance).
 */
export function theilSen(x: readonly number[], y: readonly number[]): TheilSen {
  const n = x.length;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) if (x[j] !== x[i]) slopes.push((y[j]! - y[i]!) / (x[j]! - x[i]!));
  slopes.sort((a, b) => a - b);
  const slope = median(slopes);
  const intercept = median(x.map((xi, i) => y[i]! - slope * xi));
  const N = slopes.length;
  const c = Z95 * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const lo = Math.floor((N - c) / 2);
  const hi = Math.ceil((N + c) / 2);
  const lower = lo >= 0 && lo < N ? slopes[lo]! : Number.NEGATIVE_INFINITY;
  const upper = hi >= 0 && hi < N ? slopes[hi]! : Number.POSITIVE_INFINITY;
  return { slope, intercept, lower, upper, slopeStderr: (upper - lower) / (2 * Z95) };
}

export type HuberFit = {
  readonly coefficients: number[];
  readonly stderr: number[];
  /** Robust scale of the residuals. */
  readonly scale: number;
};

/**
 * Huber M-estimate of y = X b (rows of X are the regressors, include a 1 for an intercept), by
 * iteratively reweighted least squares with the scale from the residuals' MAD; tuning 1.345 keeps 95 %
 * efficiency on normal errors while one wild point cannot pull the line. Standard errors from the
 * weighted normal equations at the robust scale.
 */
export function huberRegression(
  X: readonly (readonly number[])[],
  y: readonly number[],
  iterations = 30,
): HuberFit {
  const n = y.length;
  const p = X[0]?.length ?? 0;
  let w = new Array<number>(n).fill(1);
  let b = new Array<number>(p).fill(0);
  let scale = Number.NaN;
  for (let it = 0; it < iterations; it++) {
    const next = weightedLeastSquares(X, y, w);
    if (!next) break;
    b = next.b;
    const r = y.map((yi, i) => yi - dot(X[i]!, b));
    scale = Math.max(robustScale(r), 1e-12);
    const k = 1.345 * scale;
    const nw = r.map((ri) => (Math.abs(ri) <= k ? 1 : k / Math.abs(ri)));
    // Converged when no weight moves by more than 0.1 %: the estimate then moves by less than that.
    const moved = nw.some((v, i) => Math.abs(v - w[i]!) > 1e-3);
    w = nw;
    if (!moved) break;
  }
  const final = weightedLeastSquares(X, y, w);
  const stderr = final
    ? final.inverse.map((row, j) => scale * Math.sqrt(Math.max(0, row[j]!)))
    : b.map(() => Number.NaN);
  return { coefficients: b, stderr, scale };
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function weightedLeastSquares(X: readonly (readonly number[])[], y: readonly number[], w: readonly number[]) {
  const p = X[0]?.length ?? 0;
  const A = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const v = new Array<number>(p).fill(0);
  for (let i = 0; i < y.length; i++) {
    const row = X[i]!;
    for (let j = 0; j < p; j++) {
      v[j] = v[j]! + w[i]! * row[j]! * y[i]!;
      const Aj = A[j]!;
      for (let k = 0; k < p; k++) Aj[k] = Aj[k]! + w[i]! * row[j]! * row[k]!;
    }
  }
  const inverse = invert(A);
  if (!inverse) return null;
  return { b: inverse.map((row) => dot(row, v)), inverse };
}

/** Gauss-Jordan inverse of a small symmetric matrix; null when singular. */
function invert(A: number[][]): number[][] | null {
  const n = A.length;
  const M = A.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    const scale = Math.max(...A.map((row) => Math.abs(row[c]!)), 1e-300);
    if (Math.abs(M[piv]![c]!) < 1e-12 * scale) return null;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    const Mc = M[c]!;
    const d = Mc[c]!;
    for (let k = 0; k < 2 * n; k++) Mc[k] = Mc[k]! / d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const Mr = M[r]!;
      const f = Mr[c]!;
      if (f !== 0) for (let k = 0; k < 2 * n; k++) Mr[k] = Mr[k]! - f * Mc[k]!;
    }
  }
  return M.map((row) => row.slice(n));
}

/** Rounds for evidence shown to people: enough digits to check a threshold, no float noise. */
export function round(x: number, digits = 4): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}
