/**
 * Linear Kramers-Kronig test (Schönleber, Klotz, Ivers-Tiffée, Electrochim. Acta 131 (2014) 20), as
 * impedance.py's linKK: a Voigt chain of M RC elements with fixed, log-spaced time constants plus series
 * R, L and (by default) C is KK-consistent by construction; it is fitted by linear least squares with
 * weights 1/|Z|. What the chain cannot follow (drift, non-linearity, a wrong sign) stays in the relative
 * residuals.
 *
 * How M is chosen decides the verdict. Schönleber's mu criterion stops at the first M whose resistances
 * alternate in sign; on a clean spectrum that happens while the chain is still far too coarse (one RC
 * over 6 decades: M = 7 and a 17 % residual), because a chain whose time constants straddle an arc
 * needs negative R_k to follow it, noise or no noise. Plank et al. (IWIS 2022) and Yrjänä & Bobacka
 * (Electrochim. Acta 504 (2024) 144951) judge M by Boukamp's pseudo chi-squared,
 * chi2_ps = sum |Z - Z_fit|^2 / |Z|^2, against M: it falls steeply while the chain is too coarse and
 * levels off where only noise, or what no chain can follow, is left; over-fitting shows as a chain that
 * oscillates between the data points. Here the guard against over-fitting is the size of the chain: M
 * stays at or below a third of the equations fitted, so it cannot interpolate the data, and no chain,
 * however long, follows a spectrum that breaks causality. Within that, the default rule ('chi-square')
 * takes the smallest M whose chi2_ps is within 10 % of the lowest found (or that fits to 0.001 % rms,
 * where a noise-free spectrum needs no more); the scan stops once 15 more elements have not lowered
 * chi2_ps by a tenth. Mu is still reported, and Schönleber's rule is an option.
 */
import { solveLeastSquares, solveLeastSquaresQrInPlace, solveNormalEquations } from '../linalg/least-squares';
import type { Spectrum } from './spectrum';
import { assertAnalysable, assertFiniteResult, SpectrumInputError } from './spectrum-checks';

export type KkFitType = 'complex' | 'real' | 'imag';

/**
 * How M is chosen. chi-square: the smallest M whose pseudo chi-squared is within PLATEAU_FACTOR of the
 * lowest over M = 1 up to a third of the equations (or that fits to CLEAN_RMS). sustained and first: by
 * Schönleber's mu (see selectByMu); first is impedance.py's linKK.
 */
export type KkSelection = 'chi-square' | 'sustained' | 'first';

export type KkOptions = {
  /** Which parts the RC chain is fitted to (default complex). */
  readonly fitType?: KkFitType;
  /** mu threshold c for the mu rules (default 0.85, Schönleber's value). */
  readonly muThreshold?: number;
  /** Rule for choosing M (default 'chi-square'; 'first' reproduces impedance.py's linKK). */
  readonly selection?: KkSelection;
  /** Use exactly this many RC elements instead of choosing M (mu is still reported). */
  readonly fixedM?: number;
  /** Upper bound on M (default 50; never more than a third of the equations fitted). */
  readonly maxM?: number;
  /**
   * Series capacitance, so a low-frequency diffusion or blocking-electrode tail (which a finite RC chain
   * within the measured time constants cannot follow) is not mistaken for a KK violation. Default true.
   */
  readonly seriesCapacitance?: boolean;
  /** Series inductance, for the cables' and the cell's inductive tail at high frequency. Default true. */
  readonly seriesInductance?: boolean;
  /**
   * Decades the time constants reach beyond 1/(2 pi f_max) and 1/(2 pi f_min) on each side (Yrjänä &
   * Bobacka's log F_ext; default 0). A positive value follows a distributed tail (CPE, Warburg) that
   * continues past the measured range more closely, and with it more of what drift leaves at the ends.
   */
  readonly tauExtensionDecades?: number;
  /** Verdict threshold on max |relative residual| of the real and imaginary parts, in % (default 1). */
  readonly thresholdPct?: number;
};

/** One chain of the scan: how well M elements fit. */
export type KkScanPoint = {
  readonly M: number;
  /** Boukamp's pseudo chi-squared, sum (dRe^2 + dIm^2) / |Z|^2. */
  readonly chiSquare: number;
  readonly mu: number;
};

export type KkResult = {
  readonly valid: boolean;
  /** Number of RC elements chosen. */
  readonly M: number;
  readonly selection: KkSelection;
  /** Why this M, in a sentence. */
  readonly reason: string;
  readonly mu: number;
  /** Mu rules: false if mu never fell to the threshold up to the cap (M is then the cap). */
  readonly muCriterionMet: boolean;
  /** Boukamp's pseudo chi-squared at M. */
  readonly chiSquare: number;
  /**
   * Noise the fit leaves, as Yrjänä & Bobacka estimate it: sqrt(chi2_ps x 5000 / N) % of |Z| (the rms
   * relative residual of either part).
   */
  readonly noiseEstimatePct: number;
  /** Every chain fitted while choosing M, in order of M. */
  readonly scan: readonly KkScanPoint[];
  /** The largest M the scan could try. */
  readonly maxM: number;
  readonly tauExtensionDecades: number;
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
/** How many further M must keep mu <= c to confirm the onset of over-fitting ('sustained'). */
const SUSTAIN = 3;
/** chi-square: a chain within this factor of the lowest chi2_ps fits as well as any. */
export const PLATEAU_FACTOR = 1.1;
/** chi-square: an rms relative residual this small is a noise-free fit; no need to look further. */
export const CLEAN_RMS = 1e-5;
/** chi-square: elements added without lowering chi2_ps by a tenth before the scan stops. */
export const PLATEAU_SPAN = 15;

export function kramersKronigTest(s: Spectrum, options: KkOptions = {}): KkResult {
  assertAnalysable(s, KK_MIN_POINTS, 'Kramers-Kronig test');
  const fitType = options.fitType ?? 'complex';
  const c = options.muThreshold ?? 0.85;
  const withC = options.seriesCapacitance ?? true;
  const withL = options.seriesInductance ?? true;
  const extension = options.tauExtensionDecades ?? 0;
  if (!(extension >= 0 && extension <= 3)) {
    throw new SpectrumInputError(
      `Kramers-Kronig test: tauExtensionDecades = ${extension}: must be from 0 to 3`,
    );
  }
  const thresholdPct = options.thresholdPct ?? 1;
  const selection = options.selection ?? 'chi-square';
  const n = s.fHz.length;
  const modulus = new Float64Array(n);
  for (let i = 0; i < n; i++) modulus[i] = Math.hypot(s.reOhm[i]!, s.imOhm[i]!);
  const rows = fitType === 'complex' ? 2 * n : n;
  // A third of the equations: the chain stays far from interpolating the data, whatever the rule.
  const cap = Math.max(1, Math.min(options.maxM ?? 50, Math.floor(rows / 3)));
  const w = Float64Array.from(s.fHz, (f) => 2 * Math.PI * f);
  const chainOf = (m: number, full = false) =>
    fitChain(s, modulus, w, timeConstants(s.fHz, m, extension), fitType, withC, withL, full);

  let selected: { fit: Fit; met: boolean; scan: Fit[]; reason: string };
  if (options.fixedM !== undefined) {
    const m = Math.min(Math.max(1, Math.round(options.fixedM)), cap);
    const fit = chainOf(m);
    selected = { fit, met: fit.mu <= c, scan: [fit], reason: `M = ${m}, as given` };
  } else if (selection === 'chi-square') {
    selected = selectByChiSquare(chainOf, cap, n);
  } else {
    selected = selectByMu(chainOf, c, cap, selection);
  }
  // The scan's chains skip their residuals where chi2_ps can be had from the normal equations.
  const fit = selected.fit.fitRe.length === n ? selected.fit : chainOf(selected.fit.tau.length, true);
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
  const result: KkResult = {
    valid: Math.max(maxResidualRealPct, maxResidualImagPct) <= thresholdPct,
    M: fit.tau.length,
    selection,
    reason: selected.reason,
    mu: fit.mu,
    muCriterionMet: selected.met,
    chiSquare: sumSq,
    noiseEstimatePct: Math.sqrt((sumSq * 5000) / n),
    scan: selected.scan.map((f) => ({ M: f.tau.length, chiSquare: f.chiSquare, mu: f.mu })),
    maxM: cap,
    tauExtensionDecades: extension,
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
    chainsFitted: selected.scan.length,
  };
  assertFiniteResult('Kramers-Kronig test', {
    'real residuals': residualReal,
    'imaginary residuals': residualImag,
    mu: fit.mu,
    'series R': fit.r0,
    'series L': fit.l,
    'series 1/C': fit.invC,
  });
  return result;
}

/**
 * 'chi-square': fits M = 1..cap (stopping early once a chain fits to CLEAN_RMS, or once chi2_ps has
 * levelled off) and takes the smallest M whose chi2_ps is within PLATEAU_FACTOR of the lowest, or at
 * most the noise-free level. Where chi2_ps
 * levels off, more elements fit only noise, or nothing at all of what the chain cannot follow; where it
 * keeps falling (a noise-free spectrum), the first M at the noise-free level is enough.
 */
function selectByChiSquare(
  chainOf: (m: number) => Fit,
  cap: number,
  n: number,
): { fit: Fit; met: boolean; scan: Fit[]; reason: string } {
  const cleanChiSquare = CLEAN_RMS ** 2 * 2 * n;
  const scan: Fit[] = [];
  let lowest: Fit | null = null;
  // The scan ends at the cap, at a noise-free fit, or once PLATEAU_SPAN more elements have not lowered
  // chi2_ps by a tenth: it has levelled off, and further M could only take the last tenth.
  let levelSince = 0;
  for (let m = 1; m <= cap; m++) {
    const fit = chainOf(m);
    scan.push(fit);
    if (!lowest || fit.chiSquare < lowest.chiSquare / PLATEAU_FACTOR) levelSince = m;
    if (!lowest || fit.chiSquare < lowest.chiSquare) lowest = fit;
    if (fit.chiSquare <= cleanChiSquare || m - levelSince >= PLATEAU_SPAN) break;
  }
  const best = lowest!;
  const target = Math.max(PLATEAU_FACTOR * best.chiSquare, cleanChiSquare);
  const fit = scan.find((f) => f.chiSquare <= target)!;
  const m = fit.tau.length;
  const range = `M = 1..${scan.length}`;
  const reason =
    fit.chiSquare <= cleanChiSquare
      ? `M = ${m}: the first of ${range} that fits to ${100 * CLEAN_RMS} % rms (chi2_ps ${fit.chiSquare.toExponential(2)})`
      : `M = ${m}: the first of ${range} whose chi2_ps (${fit.chiSquare.toExponential(2)}) is within ${PLATEAU_FACTOR}x of the lowest (${best.chiSquare.toExponential(2)} at M = ${best.tau.length})`;
  return { fit, met: fit.mu <= 0.85, scan, reason };
}

/**
 * Over-fitting (Schönleber's reason for mu) begins once extra elements stop improving the fit and the
 * R_k start to alternate in sign; from then on mu keeps falling as M grows. An under-fitted chain can
 * also show negative R_k (its coarse time constants straddle an arc), but then its fit is worse than a
 * smaller chain's, and the dip recovers within a few more elements. So 'sustained' takes the first M
 * that fits at least as well as every smaller chain and whose mu stays at or below c for the next
 * SUSTAIN values of M as well. 'first' is Schönleber's and impedance.py's rule: the first M with mu <= c.
 */
function selectByMu(
  chainOf: (m: number) => Fit,
  c: number,
  cap: number,
  selection: 'sustained' | 'first',
): { fit: Fit; met: boolean; scan: Fit[]; reason: string } {
  const fits: Fit[] = [];
  let bestChiSquare = Number.POSITIVE_INFINITY;
  // bestBefore[k]: the lowest chi-square of any chain smaller than fits[k].
  const bestBefore: number[] = [];
  const done = (fit: Fit, met: boolean, why: string) => ({ fit, met, scan: fits, reason: why });
  for (let m = 1; m <= cap; m++) {
    bestBefore.push(bestChiSquare);
    const fit = chainOf(m);
    fits.push(fit);
    bestChiSquare = Math.min(bestChiSquare, fit.chiSquare);
    if (selection === 'first') {
      if (fit.mu <= c) return done(fit, true, `M = ${m}: the first M with mu (${fit.mu.toFixed(3)}) <= ${c}`);
      continue;
    }
    const start = fits.length - 1 - SUSTAIN;
    if (
      start >= 0 &&
      fits[start]!.chiSquare <= bestBefore[start]! &&
      fits.slice(start).every((f) => f.mu <= c)
    ) {
      return done(
        fits[start]!,
        true,
        `M = ${start + 1}: the first M that fits as well as every smaller chain with mu <= ${c} for it and the next ${SUSTAIN}`,
      );
    }
  }
  // With few points the cap can cut the confirmation short: then the first M with mu <= c, if any.
  const first = fits.find((f) => f.mu <= c);
  return first
    ? done(
        first,
        true,
        `M = ${first.tau.length}: the first M with mu <= ${c} (the scan ended before ${SUSTAIN} more confirmed it)`,
      )
    : done(fits[fits.length - 1]!, false, `M = ${fits.length}: mu never fell to ${c} up to the cap`);
}

/**
 * M time constants log-spaced from 1/(2 pi f_max) to 1/(2 pi f_min), as impedance.py's
 * get_tc_distribution, each end moved out by extensionDecades.
 */
export function timeConstants(fHz: Float64Array, m: number, extensionDecades = 0): Float64Array {
  let fMin = Number.POSITIVE_INFINITY;
  let fMax = 0;
  for (const f of fHz) {
    fMin = Math.min(fMin, f);
    fMax = Math.max(fMax, f);
  }
  const widen = 10 ** extensionDecades;
  const tMin = 1 / (2 * Math.PI * fMax * widen);
  const tMax = widen / (2 * Math.PI * fMin);
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

/**
 * Below this (relative to N) chi2_ps = N - x . A^T b loses too many digits to the subtraction, and the
 * residuals are summed instead.
 */
const RELIABLE_CHI_SQUARE = 1e-8;

/**
 * Fits the chain with these time constants. Unless `full`, a complex fit takes chi2_ps from its normal
 * equations (b^T b = N with 1/|Z| weights, so chi2_ps = N - x . A^T b at the solution) and leaves fitRe
 * and fitIm empty: the scan over M then costs one O(N M) pass per chain instead of two.
 */
function fitChain(
  s: Spectrum,
  modulus: Float64Array,
  w: Float64Array,
  tau: Float64Array,
  fitType: KkFitType,
  withC: boolean,
  withL: boolean,
  full: boolean,
): Fit {
  const n = s.fHz.length;
  const m = tau.length;
  let rc: Float64Array;
  let r0 = 0;
  let l = 0;
  let invC = 0;
  if (fitType === 'complex') {
    // Columns: R0, RC_1..RC_M, L, 1/C; rows: real parts, then imaginary parts, each divided by |Z|.
    // The normal equations are formed from the columns' nonzero halves (R0 has no imaginary part, L
    // and C no real part), without building the 2n-row matrix; QR on that matrix is the fallback.
    const { x, rhs, normal } = solveComplexChain(s, modulus, w, tau, withC, withL);
    // QR sets a dependent column's coefficient to zero: not the normal equations' solution.
    if (!full && normal) {
      let explained = 0;
      for (let j = 0; j < x.length; j++) explained += x[j]! * rhs[j]!;
      const chiSquare = n - explained;
      if (chiSquare > RELIABLE_CHI_SQUARE * n) {
        const rcOnly = x.slice(1, m + 1);
        const empty = new Float64Array(0);
        return {
          tau,
          rc: rcOnly,
          r0: x[0]!,
          l: x[m + 1]!,
          invC: withC ? x[m + 2]! : 0,
          mu: muCriterion(rcOnly),
          chiSquare,
          fitRe: empty,
          fitIm: empty,
        };
      }
    }
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
    const cols2 = (withL ? 1 : 0) + (withC ? 1 : 0);
    if (cols2 > 0) {
      const iC = withL ? 1 : 0;
      const a2 = new Float64Array(n * cols2);
      const b2 = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const g = 1 / modulus[i]!;
        let chain = 0;
        for (let k = 0; k < m; k++) chain += rc[k]! * rcIm(w[i]!, tau[k]!);
        if (withL) a2[i] = w[i]! * g;
        if (withC) a2[iC * n + i] = -g / w[i]!;
        b2[i] = (s.imOhm[i]! - chain) * g;
      }
      const x2 = solveLeastSquares(a2, n, cols2, b2).x;
      l = withL ? x2[0]! : 0;
      invC = withC ? x2[iC]! : 0;
    }
  } else {
    // Imaginary part fixes the R_k, L and C; R0 is then the weighted mean of what Re(Z) has left.
    const iL = withL ? m : -1;
    const iC = withC ? m + (withL ? 1 : 0) : -1;
    const cols = m + (withL ? 1 : 0) + (withC ? 1 : 0);
    const a = new Float64Array(n * cols);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const g = 1 / modulus[i]!;
      for (let k = 0; k < m; k++) a[k * n + i] = rcIm(w[i]!, tau[k]!) * g;
      if (withL) a[iL * n + i] = w[i]! * g;
      if (withC) a[iC * n + i] = -g / w[i]!;
      b[i] = s.imOhm[i]! * g;
    }
    const x = solveLeastSquares(a, n, cols, b).x;
    rc = x.slice(0, m);
    l = withL ? x[iL]! : 0;
    invC = withC ? x[iC]! : 0;
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
  withL: boolean,
): { x: Float64Array; rhs: Float64Array; normal: boolean } {
  const n = s.fHz.length;
  const m = tau.length;
  const cols = m + 2 + (withC ? 1 : 0);
  const iL = m + 1;
  const iC = m + 2;
  const sum = new Float64Array(m);
  const sumHigh = new Float64Array(m);
  const gram = new Float64Array(cols * cols);
  const rhs = new Float64Array(cols);
  const p = sums(s, modulus, w);
  const { g2Sum, g2w2, g2OverW2 } = p;
  rhs[0] = p.g2ReSum;
  rhs[iL] = p.g2WImSum;
  if (withC) rhs[iC] = -p.g2ImOverWSum;
  // With q = 1/(1 + (w tau)^2): d = g^2 q, d (w tau)^2 = g^2 - d, and d (Re - w tau Im) takes two sums.
  for (let k = 0; k < m; k++) {
    const tk = tau[k]!;
    const t2 = tk * tk;
    let sd = 0;
    let sre = 0;
    let swim = 0;
    for (let i = 0; i < n; i++) {
      const q = 1 / (1 + p.w2[i]! * t2);
      sd += p.g2[i]! * q;
      sre += p.g2Re[i]! * q;
      swim += p.g2WIm[i]! * q;
    }
    sum[k] = sd;
    sumHigh[k] = g2Sum - sd;
    rhs[k + 1] = sre - tk * swim;
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
  // Without the inductance its row and column are left out, and its value reads 0.
  const keep = Array.from({ length: cols }, (_, k) => k).filter((k) => withL || k !== iL);
  const kept = keep.length;
  const expand = (y: Float64Array) => {
    const out = new Float64Array(cols);
    keep.forEach((k, j) => {
      out[k] = y[j]!;
    });
    return out;
  };
  if (!withL) {
    for (let j = 0; j < cols; j++) for (let k = 0; k < j; k++) gram[k * cols + j] = gram[j * cols + k]!;
  }
  const reducedGram = withL
    ? gram
    : Float64Array.from(
        { length: kept * kept },
        (_, q) => gram[keep[Math.floor(q / kept)]! * cols + keep[q % kept]!]!,
      );
  const x = solveNormalEquations(reducedGram, withL ? rhs : Float64Array.from(keep, (k) => rhs[k]!), kept);
  if (x) return { x: withL ? x : expand(x), rhs, normal: true };
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
  if (withL) return { x: solveLeastSquaresQrInPlace(a, rows, cols, b), rhs, normal: false };
  const reduced = new Float64Array(rows * kept);
  keep.forEach((k, j) => {
    reduced.set(a.subarray(k * rows, (k + 1) * rows), j * rows);
  });
  return { x: expand(solveLeastSquaresQrInPlace(reduced, rows, kept, b)), rhs, normal: false };
}

type SpectrumSums = {
  readonly w2: Float64Array;
  readonly g2: Float64Array;
  readonly g2Re: Float64Array;
  readonly g2WIm: Float64Array;
  readonly g2Sum: number;
  readonly g2w2: number;
  readonly g2OverW2: number;
  readonly g2ReSum: number;
  readonly g2WImSum: number;
  readonly g2ImOverWSum: number;
};

const sumsCache = new WeakMap<Float64Array, SpectrumSums>();

/** What every chain's normal equations share: per point w^2, g^2 = 1/|Z|^2, g^2 Re Z, g^2 w Im Z, and their sums. */
function sums(s: Spectrum, modulus: Float64Array, w: Float64Array): SpectrumSums {
  const hit = sumsCache.get(modulus);
  if (hit) return hit;
  const n = w.length;
  const w2 = new Float64Array(n);
  const g2 = new Float64Array(n);
  const g2Re = new Float64Array(n);
  const g2WIm = new Float64Array(n);
  let g2Sum = 0;
  let g2w2 = 0;
  let g2OverW2 = 0;
  let g2ReSum = 0;
  let g2WImSum = 0;
  let g2ImOverWSum = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    const g = 1 / modulus[i]! ** 2;
    w2[i] = wi * wi;
    g2[i] = g;
    g2Re[i] = g * s.reOhm[i]!;
    g2WIm[i] = g * wi * s.imOhm[i]!;
    g2Sum += g;
    g2w2 += g * wi * wi;
    g2OverW2 += g / (wi * wi);
    g2ReSum += g2Re[i]!;
    g2WImSum += g2WIm[i]!;
    g2ImOverWSum += (g * s.imOhm[i]!) / wi;
  }
  const out = { w2, g2, g2Re, g2WIm, g2Sum, g2w2, g2OverW2, g2ReSum, g2WImSum, g2ImOverWSum };
  sumsCache.set(modulus, out);
  return out;
}

/** The floor mu is reported at: a chain of negative resistances only would make it -Infinity. */
export const MU_FLOOR = -1e6;

/** mu = 1 - sum|R_k < 0| / sum(R_k >= 0): falls as over-fitting makes some R_k negative. */
export function muCriterion(rc: Float64Array): number {
  let negative = 0;
  let positive = 0;
  for (const r of rc) {
    if (r < 0) negative -= r;
    else positive += r;
  }
  // No resistance at all (a flat, purely resistive spectrum) shows no over-fitting: mu = 1.
  if (positive === 0) return negative > 0 ? MU_FLOOR : 1;
  return Math.max(MU_FLOOR, 1 - negative / positive);
}
