/**
 * Distribution of relaxation times by Tikhonov regularisation with non-negativity, as pyDRTtools'
 * "simple run" (Gaussian RBFs on tau = 1/f, FWHM coefficient 0.5, 1st-derivative penalty, R_inf and L
 * fitted, combined real and imaginary data; on a grid denser than 20 points per decade, 20 RBFs per
 * decade, see drt-basis.ts), but with a lambda search that really searches: the GCV score (Wahba 1985;
 * Maradesa et al., J. Electrochem. Soc. 170 (2023) 030502) is evaluated on a log grid (4 points per
 * decade, by default from 1e-7 to 1) and then refined by golden-section search around the best grid
 * point. Each GCV
 * evaluation is O(N) thanks to the cached eigen-decomposition in drt-basis.ts; the final solution is the
 * non-negative one at the chosen lambda (an active-set NNLS started from the unconstrained solution).
 */

import { forwardSubstitute } from '../linalg/cholesky';
import { nonNegativeQuadratic } from '../linalg/nnls';
import { applyInverseCholeskyTransposed, type DrtBasis, type DrtPenalty, drtBasis } from './drt-basis';
import { type DrtPeak, findPeaks } from './drt-peaks';
import type { Spectrum } from './spectrum';
import { assertAnalysable, assertFiniteResult } from './spectrum-checks';

export type DrtOptions = {
  /** Regularisation parameter; chosen by GCV when absent. */
  readonly lambda?: number;
  /** Derivative order of the penalty (default 1). */
  readonly penalty?: DrtPenalty;
  /** RBF full width at half maximum = (1/coeff) x mean ln tau spacing (default 0.5). */
  readonly fwhmCoefficient?: number;
  /**
   * log10 of the range GCV searches (default [-7, 0]: pyDRTtools' bounds). Real low-noise spectra often
   * have GCV still falling at the lower bound (see lambdaAtBound); a trend over cycles is best followed
   * with one fixed lambda.
   */
  readonly logLambdaRange?: readonly [number, number];
  /** Smallest peak reported, as a fraction of the largest gamma (default 0.01). */
  readonly minPeakFraction?: number;
};

export type DrtResult = {
  readonly lambda: number;
  readonly lambdaSource: 'gcv' | 'given';
  /** True when the GCV minimum lies on the edge of the searched range. */
  readonly lambdaAtBound: boolean;
  readonly gcvScore: number;
  /** The GCV curve on the search grid, for inspection and plots. */
  readonly gcvLambdas: Float64Array;
  readonly gcvScores: Float64Array;
  readonly rInfOhm: number;
  readonly lH: number;
  /** Polarisation resistance: the integral of gamma over ln tau (Ohm). */
  readonly rPolOhm: number;
  /** Output grid (s): from 10^-0.5 x the smallest to 10^0.5 x the largest tau, 10 points per RBF. */
  readonly tauS: Float64Array;
  /** gamma(tau) in Ohm (per unit ln tau). */
  readonly gammaOhm: Float64Array;
  readonly peaks: readonly DrtPeak[];
  /** RBF centres ln tau_m and weights x_m (Ohm). */
  readonly lnTauCentres: Float64Array;
  readonly weights: Float64Array;
  readonly epsilon: number;
  readonly fitRe: Float64Array;
  readonly fitIm: Float64Array;
  /** Root mean square of the stacked real and imaginary residuals (Ohm). */
  readonly rmsResidualOhm: number;
  readonly nnlsIterations: number;
  readonly nnlsConverged: boolean;
  /** Number of GCV score evaluations. */
  readonly gcvEvaluations: number;
};

export const DRT_MIN_POINTS = 5;
const LOG_LAMBDA_STEP = 0.25;

export function distributionOfRelaxationTimes(s: Spectrum, options: DrtOptions = {}): DrtResult {
  assertAnalysable(s, DRT_MIN_POINTS, 'DRT');
  if (options.lambda !== undefined && !(options.lambda > 0 && Number.isFinite(options.lambda))) {
    throw new RangeError(`DRT: lambda must be a positive number, got ${options.lambda}`);
  }
  const basis = drtBasis(s.fHz, {
    penalty: options.penalty ?? 1,
    fwhmCoefficient: options.fwhmCoefficient ?? 0.5,
  });
  const { n, nRbf: N } = basis;
  const rows = 2 * n;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.hypot(s.reOhm[i]!, s.imOhm[i]!));
  if (!(scale > 0)) scale = 1;
  const b = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    b[i] = s.reOhm[i]! / scale;
    b[n + i] = s.imOhm[i]! / scale;
  }
  const atb = new Float64Array(N + 2);
  for (let j = 0; j < N + 2; j++) {
    let v = 0;
    for (let i = 0; i < rows; i++) v += basis.a[j * rows + i]! * b[i]!;
    atb[j] = v;
  }
  const gcv = new GcvProblem(basis, b, atb);

  const [logMin, logMax] = options.logLambdaRange ?? [-7, 0];
  if (!(logMin < logMax)) throw new RangeError(`DRT: lambda range [1e${logMin}, 1e${logMax}] is empty`);
  const gridSize = Math.ceil((logMax - logMin) / LOG_LAMBDA_STEP - 1e-9) + 1;
  const gcvLambdas = new Float64Array(gridSize);
  const gcvScores = new Float64Array(gridSize);
  let lambda: number;
  let lambdaAtBound = false;
  if (options.lambda !== undefined) {
    lambda = options.lambda;
  } else {
    let best = 0;
    for (let k = 0; k < gridSize; k++) {
      gcvLambdas[k] = 10 ** Math.min(logMax, logMin + k * LOG_LAMBDA_STEP);
      gcvScores[k] = gcv.score(gcvLambdas[k]!);
      if (gcvScores[k]! < gcvScores[best]!) best = k;
    }
    lambdaAtBound = best === 0 || best === gridSize - 1;
    const lo = Math.log10(gcvLambdas[Math.max(0, best - 1)]!);
    const hi = Math.log10(gcvLambdas[Math.min(gridSize - 1, best + 1)]!);
    lambda = 10 ** goldenSection((t) => gcv.score(10 ** t), lo, hi, 1e-3);
  }
  const gcvScore = gcv.score(lambda);

  // Non-negative solution at this lambda, started from the unconstrained one.
  const h = Float64Array.from(basis.normal);
  for (let p = 0; p < N; p++) {
    for (let q = 0; q < N; q++) h[(p + 2) * (N + 2) + q + 2]! += lambda * basis.penaltyMatrix[p * N + q]!;
  }
  const start = gcv.unconstrained(lambda);
  const nnls = nonNegativeQuadratic(h, atb, N + 2, start);
  const x = nnls.x;

  const fitRe = new Float64Array(n);
  const fitIm = new Float64Array(n);
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < N + 2; j++) {
      re += basis.a[j * rows + i]! * x[j]!;
      im += basis.a[j * rows + n + i]! * x[j]!;
    }
    fitRe[i] = re * scale;
    fitIm[i] = im * scale;
    sumSq += (fitRe[i]! - s.reOhm[i]!) ** 2 + (fitIm[i]! - s.imOhm[i]!) ** 2;
  }
  const weights = Float64Array.from(x.subarray(2), (v) => v * scale);
  const { tauS, gammaOhm } = gammaOnGrid(basis, weights);
  const rPolOhm = weights.reduce((acc, w) => acc + (w * Math.sqrt(Math.PI)) / basis.epsilon, 0);
  const rInfOhm = x[0]! * scale;
  const lH = (x[1]! * scale) / basis.omegaMax;
  assertFiniteResult('DRT', {
    gamma: gammaOhm,
    R_inf: rInfOhm,
    L: lH,
    R_pol: rPolOhm,
    lambda,
    'GCV score': gcvScore,
  });
  return {
    lambda,
    lambdaSource: options.lambda === undefined ? 'gcv' : 'given',
    lambdaAtBound,
    gcvScore,
    gcvLambdas: options.lambda === undefined ? gcvLambdas : new Float64Array(0),
    gcvScores: options.lambda === undefined ? gcvScores : new Float64Array(0),
    rInfOhm,
    lH,
    rPolOhm,
    tauS,
    gammaOhm,
    peaks: findPeaks(tauS, gammaOhm, rPolOhm, options.minPeakFraction ?? 0.01),
    lnTauCentres: basis.lnTau,
    weights,
    epsilon: basis.epsilon,
    fitRe,
    fitIm,
    rmsResidualOhm: Math.sqrt(sumSq / rows),
    nnlsIterations: nnls.iterations,
    nnlsConverged: nnls.converged,
    gcvEvaluations: gcv.evaluations,
  };
}

/**
 * GCV for min ||A x - b||^2 + lambda x_c^T M x_c with the R_inf and L columns unpenalised. With those
 * eliminated by projection and the penalty whitened, the problem is standard-form ridge regression
 * whose singular system is cached in the basis: every score is then a sum over N eigenvalues.
 */
class GcvProblem {
  evaluations = 0;
  private readonly c: Float64Array;
  private readonly projectedNormSq: number;
  private readonly btb: [number, number];

  constructor(
    private readonly basis: DrtBasis,
    private readonly b: Float64Array,
    atb: Float64Array,
  ) {
    const { nRbf: N, normal, bInverse } = basis;
    const cols = N + 2;
    const bt0 = atb[0]!;
    const bt1 = atb[1]!;
    this.btb = [bInverse[0]! * bt0 + bInverse[1]! * bt1, bInverse[2]! * bt0 + bInverse[3]! * bt1];
    let bb = 0;
    for (const v of b) bb += v * v;
    this.projectedNormSq = bb - (bt0 * this.btb[0] + bt1 * this.btb[1]);
    // D^T P b = L^-1 (C^T b - C^T B (B^T B)^-1 B^T b), then rotated onto the eigenvectors.
    const dtb = new Float64Array(N);
    for (let p = 0; p < N; p++) {
      dtb[p] =
        atb[p + 2]! - normal[(p + 2) * cols]! * this.btb[0] - normal[(p + 2) * cols + 1]! * this.btb[1];
    }
    forwardSubstitute(basis.penaltyCholesky, N, dtb);
    this.c = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let v = 0;
      for (let p = 0; p < N; p++) v += basis.v[p * N + i]! * dtb[p]!;
      this.c[i] = v;
    }
  }

  score(lambda: number): number {
    this.evaluations++;
    const { s, n } = this.basis;
    const rows = 2 * n;
    let rss = this.projectedNormSq;
    // Degrees of freedom: trace of the influence matrix (2 for R_inf and L, plus the RBF part).
    let dof = 2;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]! + lambda;
      rss -= (this.c[i]! ** 2 * (s[i]! + 2 * lambda)) / (d * d);
      dof += s[i]! / d;
    }
    rss = Math.max(rss, 1e-300);
    const denominator = Math.max((rows - dof) / rows, 1e-12);
    return rss / rows / denominator ** 2;
  }

  /** The unconstrained ridge solution [R_inf, L', x...] at lambda. */
  unconstrained(lambda: number): Float64Array {
    const { s, v, nRbf: N, normal, bInverse, n, a } = this.basis;
    const z = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const w = this.c[i]! / (s[i]! + lambda);
      for (let p = 0; p < N; p++) z[p]! += w * v[p * N + i]!;
    }
    applyInverseCholeskyTransposed(this.basis, z);
    // beta = (B^T B)^-1 B^T (b - C x)
    const rows = 2 * n;
    const cols = N + 2;
    let r0 = 0;
    let r1 = 0;
    for (let i = 0; i < rows; i++) {
      r0 += a[i]! * this.b[i]!;
      r1 += a[rows + i]! * this.b[i]!;
    }
    for (let p = 0; p < N; p++) {
      r0 -= normal[(p + 2) * cols]! * z[p]!;
      r1 -= normal[(p + 2) * cols + 1]! * z[p]!;
    }
    const out = new Float64Array(N + 2);
    out[0] = bInverse[0]! * r0 + bInverse[1]! * r1;
    out[1] = bInverse[2]! * r0 + bInverse[3]! * r1;
    out.set(z, 2);
    return out;
  }
}

/** Minimiser of a unimodal f on [lo, hi] to within tol. */
function goldenSection(f: (t: number) => number, lo: number, hi: number, tol: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tol) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return fc < fd ? c : d;
}

function gammaOnGrid(basis: DrtBasis, weights: Float64Array): { tauS: Float64Array; gammaOhm: Float64Array } {
  const N = basis.nRbf;
  const lo = basis.lnTau[0]! - 0.5 * Math.LN10;
  const hi = basis.lnTau[N - 1]! + 0.5 * Math.LN10;
  const count = 10 * N;
  const tauS = new Float64Array(count);
  const gammaOhm = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const y = lo + ((hi - lo) * k) / (count - 1);
    tauS[k] = Math.exp(y);
    let g = 0;
    for (let m = 0; m < N; m++) g += weights[m]! * Math.exp(-((basis.epsilon * (y - basis.lnTau[m]!)) ** 2));
    gammaOhm[k] = g;
  }
  return { tauS, gammaOhm };
}
