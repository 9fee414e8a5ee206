/**
 * Linear Kramers-Kronig test (Schönleber, Klotz, Ivers-Tiffée, Electrochim. Acta 131 (2014) 20), as
 * impedance.py's linKK: a Voigt chain of M RC elements with fixed, log-spaced time constants plus series
 * R, L and (by default) C is KK-consistent by construction; it is fitted by linear least squares with
 * weights 1/|Z|, and M grows until the mu criterion says over-fitting has begun. What the chain cannot
 * follow (drift, non-linearity) stays in the relative residuals.
 */
import { solveLeastSquares, solveLeastSquaresQrInPlace, solveNormalEquations } from '../linalg/least-squares';
import type { Spectrum } from './spectrum';
import { assertAnalysable, SpectrumInputError } from './spectrum-checks';

export type KkFitType = 'complex' | 'real' | 'imag';

/** How M is chosen: see selectM. */
export type KkSelection = 'sustained' | 'first';

export type KkOptions = {
  /** Which parts the RC chain is fitted to (default complex). */
  readonly fitType?: KkFitType;
  /** mu threshold c (default 0.85, Schönleber's value). */
  readonly muThreshold?: number;
  /** Rule for choosing M by mu (default 'sustained'; 'first' reproduces impedance.py's linKK). */
  readonly selection?: KkSelection;
  /** Use exactly this many RC elements instead of choosing M (mu is still reported). */
  readonly fixedM?: number;
  /** Upper bound on M (default 50, and never more than the data can determine). */
  readonly maxM?: number;
  /**
   * Series capacitance, so a low-frequency diffusion or blocking-electrode tail (which a finite RC chain
   * within the measured time constants cannot follow) is not mistaken for a KK violation. Default true.
   */
  readonly seriesCapacitance?: boolean;
  /** Verdict threshold on max |relative residual| of the real and imaginary parts, in % (default 1). */
  readonly thresholdPct?: number;
};

export type KkResult = {
  readonly valid: boolean;
  /** Number of RC elements chosen by the mu criterion. */
  readonly M: number;
  readonly mu: number;
  /** False if mu never fell to the threshold up to maxM (M is then maxM). */
  readonly muCriterionMet: boolean;
  readonly thresholdPct: number;
  readonly fitType: KkFitType;
  /** max |relative residual| in %, real and imaginary parts. */
  readonly maxResidualRealPct: number;
  readonly maxResidualImagPct: number;
  readonly rmsResidualPct: number;
  /** (Z - Z_fit)/|Z| per point. */
  readonly residualReal: Float64Array;
  readonly residualImag: Float64Array;
  readonly tauS: Float64Array;
  /** RC resistances R_k (Ohm), then series R0 (Ohm), L (H) and 1/C (1/F; 0 without a capacitance). */
  readonly rcOhm: Float64Array;
  readonly seriesROhm: number;
  readonly seriesLH: number;
  readonly inverseSeriesCPerF: number;
  readonly fitRe: Float64Array;
  readonly fitIm: Float64Array;
  /** How many RC chains were fitted to choose M (the model-evaluation count). */
  readonly chainsFitted: number;
};

export const KK_MIN_POINTS = 5;
/** How many further M must keep mu <= c to confirm the onset of over-fitting. */
const SUSTAIN = 3;

export function kramersKronigTest(s: Spectrum, options: KkOptions = {}): KkResult {
  assertAnalysable(s, KK_MIN_POINTS, 'Kramers-Kronig test');
  const fitType = options.fitType ?? 'complex';
  const c = options.muThreshold ?? 0.85;
  const withC = options.seriesCapacitance ?? true;
  const thresholdPct = options.thresholdPct ?? 1;
  const n = s.fHz.length;
  const modulus = new Float64Array(n);
  for (let i = 0; i < n; i++) modulus[i] = Math.hypot(s.reOhm[i]!, s.imOhm[i]!);
  if (modulus.some((m) => !(m > 0))) {
    throw new SpectrumInputError('Kramers-Kronig test: |Z| is zero at some frequency');
  }
  const extras = 2 + (withC ? 1 : 0);
  const rows = fitType === 'complex' ? 2 * n : n;
  const cap = Math.max(1, Math.min(options.maxM ?? 50, rows - extras));

  const fixed =
    options.fixedM !== undefined
      ? fitChain(
          s,
          modulus,
          timeConstants(s.fHz, Math.min(Math.max(1, Math.round(options.fixedM)), cap)),
          fitType,
          withC,
        )
      : undefined;
  const selected = fixed
    ? { fit: fixed, met: fixed.mu <= c, chainsFitted: 1 }
    : selectM(s, modulus, fitType, withC, c, cap, options.selection ?? 'sustained');
  const fit = selected.fit;
  const residualReal = new Float64Array(n);
  const residualImag = new Float64Array(n);
  let maxRe = 0;
  let maxIm = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    residualReal[i] = (s.reOhm[i]! - fit.fitRe[i]!) / modulus[i]!;
    residualImag[i] = (s.imOhm[i]! - fit.fitIm[i]!) / modulus[i]!;
    maxRe = Math.max(maxRe, Math.abs(residualReal[i]!));
    maxIm = Math.max(maxIm, Math.abs(residualImag[i]!));
    sumSq += residualReal[i]! ** 2 + residualImag[i]! ** 2;
  }
  const maxResidualRealPct = 100 * maxRe;
  const maxResidualImagPct = 100 * maxIm;
  return {
    valid: Math.max(maxResidualRealPct, maxResidualImagPct) <= thresholdPct,
    M: fit.tau.length,
    mu: fit.mu,
    muCriterionMet: selected.met,
    thresholdPct,
    fitType,
    maxResidualRealPct,
    maxResidualImagPct,
    rmsResidualPct: 100 * Math.sqrt(sumSq / (2 * n)),
    residualReal,
    residualImag,
    tauS: fit.tau,
    rcOhm: fit.rc,
    seriesROhm: fit.r0,
    seriesLH: fit.l,
    inverseSeriesCPerF: fit.invC,
    fitRe: fit.fitRe,
    fitIm: fit.fitIm,
    chainsFitted: selected.chainsFitted,
  };
}

/**
 * Over-fitting (Schönleber's reason for mu) begins once extra elements stop improving the fit and the
 * R_k start to alternate in sign; from then on mu keeps falling as M grows. An under-fitted chain can
 * also show negative R_k (its coarse time constants straddle an arc), but then its fit is worse than a
 * smaller chain's, and the dip recovers within a few more elements. So 'sustained' takes the first M
 * that fits at least as well as every smaller chain and whose mu stays at or below c for the next
 * SUSTAIN values of M as well. 'first' is Schönleber's and impedance.py's rule: the first M with mu <= c.
 */
function selectM(
  s: Spectrum,
  modulus: Float64Array,
  fitType: KkFitType,
  withC: boolean,
  c: number,
  cap: number,
  selection: KkSelection,
): { fit: Fit; met: boolean; chainsFitted: number } {
  const fits: Fit[] = [];
  let bestChiSquare = Number.POSITIVE_INFINITY;
  // bestBefore[k]: the lowest chi-square of any chain smaller than fits[k].
  const bestBefore: number[] = [];
  for (let m = 1; m <= cap; m++) {
    bestBefore.push(bestChiSquare);
    const fit = fitChain(s, modulus, timeConstants(s.fHz, m), fitType, withC);
    fits.push(fit);
    bestChiSquare = Math.min(bestChiSquare, fit.chiSquare);
    if (selection === 'first') {
      if (fit.mu <= c) return { fit, met: true, chainsFitted: fits.length };
      continue;
    }
    const start = fits.length - 1 - SUSTAIN;
    if (
      start >= 0 &&
      fits[start]!.chiSquare <= bestBefore[start]! &&
      fits.slice(start).every((f) => f.mu <= c)
    ) {
      return { fit: fits[start]!, met: true, chainsFitted: fits.length };
    }
  }
  // With few points the cap can cut the confirmation short: then the first M with mu <= c, if any.
  const first = fits.find((f) => f.mu <= c);
  return first
    ? { fit: first, met: true, chainsFitted: fits.length }
    : { fit: fits[fits.length - 1]!, met: false, chainsFitted: fits.length };
}

/** M time constants log-spaced from 1/(2 pi f_max) to 1/(2 pi f_min), as impedance.py's get_tc_distribution. */
export function timeConstants(fHz: Float64Array, m: number): Float64Array {
  let fMin = Number.POSITIVE_INFINITY;
  let fMax = 0;
  for (const f of fHz) {
    fMin = Math.min(fMin, f);
    fMax = Math.max(fMax, f);
  }
  const tMin = 1 / (2 * Math.PI * fMax);
  const tMax = 1 / (2 * Math.PI * fMin);
  const tau = new Float64Array(m);
  for (let k = 0; k < m; k++) tau[k] = m === 1 ? tMin : tMin * (tMax / tMin) ** (k / (m - 1));
  return tau;
}

type Fit = {
  tau: Float64Array;
  rc: Float64Array;
  r0: number;
  l: number;
  invC: number;
  mu: number;
  /** Sum of squared relative residuals (real and imaginary). */
  chiSquare: number;
  fitRe: Float64Array;
  fitIm: Float64Array;
};

// Unit-resistance RC element: 1/(1 + j w tau).
const rcRe = (w: number, tau: number) => 1 / (1 + (w * tau) ** 2);
const rcIm = (w: number, tau: number) => (-w * tau) / (1 + (w * tau) ** 2);

function fitChain(
  s: Spectrum,
  modulus: Float64Array,
  tau: Float64Array,
  fitType: KkFitType,
  withC: boolean,
): Fit {
  const n = s.fHz.length;
  const m = tau.length;
  const w = Float64Array.from(s.fHz, (f) => 2 * Math.PI * f);
  let rc: Float64Array;
  let r0 = 0;
  let l = 0;
  let invC = 0;
  if (fitType === 'complex') {
    // Columns: R0, RC_1..RC_M, L, 1/C; rows: real parts, then imaginary parts, each divided by |Z|.
    // The normal equations are formed from the columns' nonzero halves (R0 has no imaginary part, L
    // and C no real part), without building the 2n-row matrix; QR on that matrix is the fallback.
    const x = solveComplexChain(s, modulus, w, tau, withC);
    r0 = x[0]!;
    rc = x.slice(1, m + 1);
    l = x[m + 1]!;
    invC = withC ? x[m + 2]! : 0;
  } else if (fitType === 'real') {
    // Real part alone fixes R0 and the R_k; L and C then follow from what the chain leaves in Im(Z).
    const cols = m + 1;
    const a = new Float64Array(n * cols);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const g = 1 / modulus[i]!;
      a[i] = g;
      for (let k = 0; k < m; k++) a[(k + 1) * n + i] = rcRe(w[i]!, tau[k]!) * g;
      b[i] = s.reOhm[i]! * g;
    }
    const x = solveLeastSquares(a, n, cols, b).x;
    r0 = x[0]!;
    rc = x.slice(1);
    const cols2 = withC ? 2 : 1;
    const a2 = new Float64Array(n * cols2);
    const b2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const g = 1 / modulus[i]!;
      let chain = 0;
      for (let k = 0; k < m; k++) chain += rc[k]! * rcIm(w[i]!, tau[k]!);
      a2[i] = w[i]! * g;
      if (withC) a2[n + i] = -g / w[i]!;
      b2[i] = (s.imOhm[i]! - chain) * g;
    }
    const x2 = solveLeastSquares(a2, n, cols2, b2).x;
    l = x2[0]!;
    invC = withC ? x2[1]! : 0;
  } else {
    // Imaginary part fixes the R_k, L and C; R0 is then the weighted mean of what Re(Z) has left.
    const cols = m + 1 + (withC ? 1 : 0);
    const a = new Float64Array(n * cols);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const g = 1 / modulus[i]!;
      for (let k = 0; k < m; k++) a[k * n + i] = rcIm(w[i]!, tau[k]!) * g;
      a[m * n + i] = w[i]! * g;
      if (withC) a[(m + 1) * n + i] = -g / w[i]!;
      b[i] = s.imOhm[i]! * g;
    }
    const x = solveLeastSquares(a, n, cols, b).x;
    rc = x.slice(0, m);
    l = x[m]!;
    invC = withC ? x[m + 1]! : 0;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      let chain = 0;
      for (let k = 0; k < m; k++) chain += rc[k]! * rcRe(w[i]!, tau[k]!);
      const g2 = 1 / modulus[i]! ** 2;
      num += (s.reOhm[i]! - chain) * g2;
      den += g2;
    }
    r0 = num / den;
  }
  const fitRe = new Float64Array(n);
  const fitIm = new Float64Array(n);
  let chiSquare = 0;
  for (let i = 0; i < n; i++) {
    let re = r0;
    let im = w[i]! * l - invC / w[i]!;
    for (let k = 0; k < m; k++) {
      const wt = w[i]! * tau[k]!;
      const d = rc[k]! / (1 + wt * wt);
      re += d;
      im -= wt * d;
    }
    fitRe[i] = re;
    fitIm[i] = im;
    chiSquare += ((s.reOhm[i]! - re) ** 2 + (s.imOhm[i]! - im) ** 2) / modulus[i]! ** 2;
  }
  return { tau, rc, r0, l, invC, mu: muCriterion(rc), chiSquare, fitRe, fitIm };
}

/**
 * The complex chain's normal equations in O(n M) rather than O(n M^2): for unit RC terms
 * z_k = 1/(1 + j w tau_k), partial fractions give Re(z_k conj(z_l)) = (tau_k Re z_k + tau_l Re z_l) /
 * (tau_k + tau_l), so every RC-RC entry of the Gram matrix is a weighted mean of two sums
 * S_k = sum_i g_i^2 Re z_k(w_i) (all terms positive: no cancellation). The R0, L and C entries follow
 * the same way. Columns: R0, RC_1..RC_M, L, 1/C; rows weighted by g = 1/|Z|. QR on the stacked matrix
 * is the fallback when a pivot says the normal equations would lose too many digits.
 */
function solveComplexChain(
  s: Spectrum,
  modulus: Float64Array,
  w: Float64Array,
  tau: Float64Array,
  withC: boolean,
): Float64Array {
  const n = s.fHz.length;
  const m = tau.length;
  const cols = m + 2 + (withC ? 1 : 0);
  const iL = m + 1;
  const iC = m + 2;
  const sum = new Float64Array(m);
  const sumHigh = new Float64Array(m);
  const gram = new Float64Array(cols * cols);
  const rhs = new Float64Array(cols);
  let g2Sum = 0;
  let g2w2 = 0;
  let g2OverW2 = 0;
  for (let i = 0; i < n; i++) {
    const g2 = 1 / modulus[i]! ** 2;
    const wi = w[i]!;
    const re = s.reOhm[i]!;
    const im = s.imOhm[i]!;
    g2Sum += g2;
    g2w2 += g2 * wi * wi;
    g2OverW2 += g2 / (wi * wi);
    rhs[0]! += g2 * re;
    rhs[iL]! += g2 * wi * im;
    if (withC) rhs[iC]! -= (g2 * im) / wi;
    for (let k = 0; k < m; k++) {
      const wt = wi * tau[k]!;
      const d = g2 / (1 + wt * wt);
      sum[k]! += d;
      sumHigh[k]! += d * wt * wt;
      rhs[k + 1]! += d * (re - wt * im);
    }
  }
  gram[0] = g2Sum;
  for (let k = 0; k < m; k++) {
    const r = k + 1;
    const tk = tau[k]!;
    gram[r * cols] = sum[k]!;
    for (let j = 0; j <= k; j++) gram[r * cols + j + 1] = (tk * sum[k]! + tau[j]! * sum[j]!) / (tk + tau[j]!);
    gram[iL * cols + r] = -sumHigh[k]! / tk;
    if (withC) gram[iC * cols + r] = tk * sum[k]!;
  }
  gram[iL * cols + iL] = g2w2;
  if (withC) {
    gram[iC * cols + iL] = -g2Sum;
    gram[iC * cols + iC] = g2OverW2;
  }
  const x = solveNormalEquations(gram, rhs, cols);
  if (x) return x;
  const rows = 2 * n;
  const a = new Float64Array(rows * cols);
  const b = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    const g = 1 / modulus[i]!;
    a[i] = g;
    for (let k = 0; k < m; k++) {
      const wt = w[i]! * tau[k]!;
      const d = g / (1 + wt * wt);
      a[(k + 1) * rows + i] = d;
      a[(k + 1) * rows + n + i] = -wt * d;
    }
    a[iL * rows + n + i] = w[i]! * g;
    if (withC) a[iC * rows + n + i] = -g / w[i]!;
    b[i] = s.reOhm[i]! * g;
    b[n + i] = s.imOhm[i]! * g;
  }
  return solveLeastSquaresQrInPlace(a, rows, cols, b);
}

/** mu = 1 - sum|R_k < 0| / sum(R_k >= 0): falls as over-fitting makes some R_k negative. */
export function muCriterion(rc: Float64Array): number {
  let negative = 0;
  let positive = 0;
  for (const r of rc) {
    if (r < 0) negative -= r;
    else positive += r;
  }
  // No resistance at all (a flat, purely resistive spectrum) shows no over-fitting: mu = 1.
  if (positive === 0) return negative > 0 ? Number.NEGATIVE_INFINITY : 1;
  return 1 - negative / positive;
}
