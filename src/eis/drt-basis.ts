/**
 * Everything the DRT needs that depends only on the frequency grid and the options, not on the
 * measured impedance: the Gaussian radial-basis discretisation (Wan, Saccoccio, Chen, Ciucci,
 * Electrochim. Acta 184 (2015) 483, as pyDRTtools), the derivative penalty, and an eigen-decomposition
 * that turns every later GCV evaluation into O(N) work. A rig measures every spectrum on the same grid,
 * so this is built once and cached.
 *
 * Model: Z(w) = R_inf + j w L + sum_m x_m integral phi_m(y) / (1 + j w e^y) dy, y = ln tau, with
 * phi_m(y) = exp(-(eps (y - y_m))^2) centred on the collocation points tau_m = 1/f_m.
 */
import { backSubstituteTransposed, choleskyInPlace, forwardSubstitute } from '../linalg/cholesky';
import { symmetricEigen } from '../linalg/symmetric-eigen';

export type DrtPenalty = 1 | 2;

export type DrtBasisOptions = {
  /** Derivative order of the roughness penalty (default 1, pyDRTtools' default). */
  readonly penalty: DrtPenalty;
  /** FWHM coefficient: the RBF's full width at half maximum is (1/coeff) times the mean ln tau spacing. */
  readonly fwhmCoefficient: number;
};

export type DrtBasis = {
  readonly n: number;
  /** Number of RBFs: one per frequency, or MAX_RBF_PER_DECADE per decade on a denser grid. */
  readonly nRbf: number;
  readonly fHz: Float64Array;
  readonly omega: Float64Array;
  /** Largest angular frequency; the inductance column is w / omegaMax so all columns are O(1). */
  readonly omegaMax: number;
  /** ln tau_m of the RBF centres, ascending. */
  readonly lnTau: Float64Array;
  readonly epsilon: number;
  /** Stacked system matrix (2n rows: real parts then imaginary parts), column-major, columns R_inf, L', x_1..x_N. */
  readonly a: Float64Array;
  /** Penalty matrix over the RBF coefficients (N x N, row-major). */
  readonly penaltyMatrix: Float64Array;
  /** A^T A (N+2 square, row-major). */
  readonly normal: Float64Array;
  /** Cholesky factor of the penalty (lower, row-major). */
  readonly penaltyCholesky: Float64Array;
  /** Eigenvalues s_i (ascending) and eigenvectors (row-major, column i) of D^T D, D = P C L^-T. */
  readonly s: Float64Array;
  readonly v: Float64Array;
  /** Projector data for the unpenalised columns B = [R_inf, L']: (B^T B)^-1 (2 x 2, row-major). */
  readonly bInverse: Float64Array;
};

const cache = new Map<string, DrtBasis>();
const CACHE_SIZE = 16;

/** The basis for this grid and these options, built on first use and kept for the next spectrum. */
export function drtBasis(fHz: Float64Array, options: DrtBasisOptions): DrtBasis {
  const key = `${options.penalty}|${options.fwhmCoefficient}|${Array.from(fHz).join(',')}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const basis = buildBasis(fHz, options);
  cache.set(key, basis);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return basis;
}

/** How many grids are cached (for tests and the benchmark). */
export function drtBasisCacheSize(): number {
  return cache.size;
}

export function clearDrtBasisCache(): void {
  cache.clear();
}

/**
 * RBFs per decade of tau at most. pyDRTtools puts one on every frequency, which costs O(n^3) (12 s for
 * 1,000 points); a DRT cannot resolve much finer than its basis functions' width anyway, so a grid denser
 * than this gets this many per decade, log-spaced over the same range, and its cost grows as O(n) per
 * spectrum once the grid's matrices are built.
 */
export const MAX_RBF_PER_DECADE = 20;

/** ln tau of the RBF centres, ascending: tau_m = 1/f_m, or log-spaced at MAX_RBF_PER_DECADE. */
export function rbfCentres(fHz: Float64Array): Float64Array {
  const own = Float64Array.from(fHz, (f) => -Math.log(f)).sort();
  const n = own.length;
  const decades = (own[n - 1]! - own[0]!) / Math.LN10;
  const most = Math.max(2, Math.ceil(decades * MAX_RBF_PER_DECADE) + 1);
  if (n <= most) return own;
  return Float64Array.from({ length: most }, (_, m) => own[0]! + ((own[n - 1]! - own[0]!) * m) / (most - 1));
}

/** Gaussian RBF shape factor: FWHM = 2 sqrt(ln 2) / eps, set to (1/coeff) x the mean ln tau spacing. */
export function rbfEpsilon(lnTau: Float64Array, fwhmCoefficient: number): number {
  const n = lnTau.length;
  const meanSpacing = n > 1 ? Math.abs(lnTau[n - 1]! - lnTau[0]!) / (n - 1) : 1;
  return (fwhmCoefficient * 2 * Math.sqrt(Math.LN2)) / meanSpacing;
}

/**
 * Integrals of one Gaussian RBF against the Debye kernel, as functions of s = ln(w tau_m):
 * re = int e^{-(eps u)^2} / (1 + e^{2(u+s)}) du, im = -int e^{-(eps u)^2} e^{u+s} / (1 + e^{2(u+s)}) du.
 * The trapezoid rule on a step of 0.25/eps is exact to rounding here: the Gaussian's aliasing error is
 * about exp(-pi^2 / 0.0625) and the kernel's nearest poles lie pi/2 off the real axis.
 */
export class RbfKernelQuadrature {
  private readonly weight: Float64Array;
  private readonly e1: Float64Array;
  private readonly e2: Float64Array;

  constructor(readonly epsilon: number) {
    const h = 0.25 / epsilon;
    const half = Math.ceil(6.5 / epsilon / h);
    const count = 2 * half + 1;
    this.weight = new Float64Array(count);
    this.e1 = new Float64Array(count);
    this.e2 = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const u = (k - half) * h;
      this.weight[k] = h * Math.exp(-((epsilon * u) ** 2));
      this.e1[k] = Math.exp(u);
      this.e2[k] = Math.exp(2 * u);
    }
  }

  /** [re, im] for w tau_m = wTau. */
  evaluate(wTau: number): [number, number] {
    const q = wTau * wTau;
    let re = 0;
    let im = 0;
    for (let k = 0; k < this.weight.length; k++) {
      const d = 1 / (1 + q * this.e2[k]!);
      re += this.weight[k]! * d;
      im -= this.weight[k]! * wTau * this.e1[k]! * d;
    }
    return [re, im];
  }
}

/** Analytic inner products of the RBFs' first or second derivatives (pyDRTtools' closed forms). */
export function penaltyMatrix(lnTau: Float64Array, epsilon: number, order: DrtPenalty): Float64Array {
  const n = lnTau.length;
  const m = new Float64Array(n * n);
  const c = Math.sqrt(Math.PI / 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = epsilon * (lnTau[i]! - lnTau[j]!);
      const a2 = a * a;
      const g = Math.exp(-a2 / 2);
      m[i * n + j] = order === 1 ? c * epsilon * (1 - a2) * g : c * epsilon ** 3 * (3 - 6 * a2 + a2 * a2) * g;
    }
  }
  return m;
}

function buildBasis(fHz: Float64Array, options: DrtBasisOptions): DrtBasis {
  const n = fHz.length;
  const omega = Float64Array.from(fHz, (f) => 2 * Math.PI * f);
  let omegaMax = 0;
  for (const w of omega) omegaMax = Math.max(omegaMax, w);
  const lnTau = rbfCentres(fHz);
  const N = lnTau.length;
  const epsilon = rbfEpsilon(lnTau, options.fwhmCoefficient);
  const quad = new RbfKernelQuadrature(epsilon);
  const rows = 2 * n;
  const cols = N + 2;
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < n; i++) {
    a[i] = 1;
    a[rows + n + i] = omega[i]! / omegaMax;
    for (let m = 0; m < N; m++) {
      const [re, im] = quad.evaluate(omega[i]! * Math.exp(lnTau[m]!));
      a[(m + 2) * rows + i] = re;
      a[(m + 2) * rows + n + i] = im;
    }
  }
  const normal = new Float64Array(cols * cols);
  for (let j = 0; j < cols; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += a[j * rows + i]! * a[k * rows + i]!;
      normal[j * cols + k] = s;
      normal[k * cols + j] = s;
    }
  }
  const pen = penaltyMatrix(lnTau, epsilon, options.penalty);
  // A tiny ridge keeps the factorisation defined where the penalty's smallest eigenvalues underflow.
  const penaltyCholesky = Float64Array.from(pen);
  let trace = 0;
  for (let i = 0; i < N; i++) trace += pen[i * N + i]!;
  for (let i = 0; i < N; i++) penaltyCholesky[i * N + i]! += 1e-13 * (trace / N);
  if (!choleskyInPlace(penaltyCholesky, N)) throw new Error('DRT: penalty matrix is not positive definite');

  // Unpenalised columns B = [R_inf, L'] are eliminated exactly: with P the projector onto B's orthogonal
  // complement, GCV needs only D = P C L^-T, C the RBF columns and L the penalty's Cholesky factor.
  const btb00 = normal[0]!;
  const btb01 = normal[1]!;
  const btb11 = normal[cols + 1]!;
  const det = btb00 * btb11 - btb01 * btb01;
  const bInverse = Float64Array.from([btb11 / det, -btb01 / det, -btb01 / det, btb00 / det]);
  // C^T P C = C^T C - (C^T B)(B^T B)^-1 (B^T C), taken from the normal matrix.
  const ctpc = new Float64Array(N * N);
  for (let p = 0; p < N; p++) {
    const bp0 = normal[(p + 2) * cols]!;
    const bp1 = normal[(p + 2) * cols + 1]!;
    for (let q = 0; q <= p; q++) {
      const bq0 = normal[(q + 2) * cols]!;
      const bq1 = normal[(q + 2) * cols + 1]!;
      const proj =
        bp0 * (bInverse[0]! * bq0 + bInverse[1]! * bq1) + bp1 * (bInverse[2]! * bq0 + bInverse[3]! * bq1);
      const v = normal[(p + 2) * cols + q + 2]! - proj;
      ctpc[p * N + q] = v;
      ctpc[q * N + p] = v;
    }
  }
  // D^T D = L^-1 (C^T P C) L^-T: solve column by column, then rows (the result is symmetric).
  const tmp = new Float64Array(N * N);
  const col = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    for (let i = 0; i < N; i++) col[i] = ctpc[i * N + j]!;
    forwardSubstitute(penaltyCholesky, N, col);
    for (let i = 0; i < N; i++) tmp[i * N + j] = col[i]!;
  }
  const dtd = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) col[j] = tmp[i * N + j]!;
    forwardSubstitute(penaltyCholesky, N, col);
    for (let j = 0; j < N; j++) dtd[i * N + j] = col[j]!;
  }
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (dtd[i * N + j]! + dtd[j * N + i]!);
      dtd[i * N + j] = v;
      dtd[j * N + i] = v;
    }
  }
  const { values, vectors } = symmetricEigen(dtd, N);
  for (let i = 0; i < N; i++) values[i] = Math.max(0, values[i]!);
  return {
    n,
    nRbf: N,
    fHz: Float64Array.from(fHz),
    omega,
    omegaMax,
    lnTau,
    epsilon,
    a,
    penaltyMatrix: pen,
    normal,
    penaltyCholesky,
    s: values,
    v: vectors,
    bInverse,
  };
}

/** Solves L^T x = y for the penalty's Cholesky factor (x = L^-T y), in place. */
export function applyInverseCholeskyTransposed(basis: DrtBasis, y: Float64Array): void {
  backSubstituteTransposed(basis.penaltyCholesky, basis.nRbf, y);
}
