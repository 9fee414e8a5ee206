/**
 * Linear least squares min ||A x - b|| for the small dense tall systems of the Kramers-Kronig test.
 *
 * The fast path forms the normal equations of the column-scaled matrix and factors them by Cholesky
 * (about a quarter of the work of QR). Squaring the condition number costs digits, so every Cholesky
 * pivot is checked: the pivot of a unit-norm column is its squared distance from the span of the
 * columns before it, and once one falls below MIN_PIVOT the system is solved again by Householder QR,
 * which keeps the digits the mu criterion depends on.
 */
import { choleskyInPlace, choleskySolveInPlace } from './cholesky';

/** Below this squared distance (relative) a column is too close to the others for the normal equations. */
const MIN_PIVOT = 1e-9;

export type LeastSquaresMethod = 'normal-equations' | 'qr';

/**
 * A is column-major (column j is a[j*m .. j*m+m-1]); a and b are left unchanged. Returns the solution
 * and which factorisation produced it.
 */
export function solveLeastSquares(
  a: Float64Array,
  m: number,
  n: number,
  b: Float64Array,
): { x: Float64Array; method: LeastSquaresMethod } {
  if (m < n) throw new Error(`least squares: ${m} equations cannot determine ${n} unknowns`);
  const colScale = columnScales(a, m, n);
  const g = new Float64Array(n * n);
  const rhs = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    const sj = colScale[j]!;
    let r = 0;
    for (let i = 0; i < m; i++) r += a[cj + i]! * b[i]!;
    rhs[j] = r * sj;
    for (let k = 0; k <= j; k++) {
      const ck = k * m;
      let s = 0;
      for (let i = 0; i < m; i++) s += a[cj + i]! * a[ck + i]!;
      g[j * n + k] = s * sj * colScale[k]!;
    }
  }
  const x = solveScaledNormalEquations(g, rhs, n);
  if (x) {
    for (let j = 0; j < n; j++) x[j]! *= colScale[j]!;
    return { x, method: 'normal-equations' };
  }
  return { x: solveLeastSquaresQrInPlace(Float64Array.from(a), m, n, Float64Array.from(b)), method: 'qr' };
}

/**
 * Solves the normal equations G x = r of a least-squares problem given G = A^T A (row-major, lower
 * triangle used) and r = A^T b directly, for callers that can form them cheaper than A itself.
 * Returns null when a column is too close to the span of the others (then use QR on A).
 */
export function solveNormalEquations(gram: Float64Array, rhs: Float64Array, n: number): Float64Array | null {
  const scale = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const d = gram[j * n + j]!;
    scale[j] = d > 0 ? 1 / Math.sqrt(d) : 0;
  }
  const g = new Float64Array(n * n);
  const r = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    r[j] = rhs[j]! * scale[j]!;
    for (let k = 0; k <= j; k++) g[j * n + k] = gram[j * n + k]! * scale[j]! * scale[k]!;
  }
  const x = solveScaledNormalEquations(g, r, n);
  if (!x) return null;
  for (let j = 0; j < n; j++) x[j]! *= scale[j]!;
  return x;
}

/** Unit-diagonal Gram (lower triangle) and right-hand side, both overwritten; null below the pivot floor. */
function solveScaledNormalEquations(g: Float64Array, rhs: Float64Array, n: number): Float64Array | null {
  if (!choleskyInPlace(g, n, MIN_PIVOT)) return null;
  choleskySolveInPlace(g, n, rhs);
  return rhs;
}

function columnScales(a: Float64Array, m: number, n: number): Float64Array {
  const colScale = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += a[j * m + i]! ** 2;
    colScale[j] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  return colScale;
}

/**
 * Householder QR, for systems too ill-conditioned for the normal equations. A is column-major; a and b
 * are overwritten. Columns are scaled to unit norm first so a column of tiny values (a series
 * capacitance term) is not mistaken for rank loss; a column that is numerically dependent on earlier
 * ones gets a zero coefficient.
 */
export function solveLeastSquaresQrInPlace(
  a: Float64Array,
  m: number,
  n: number,
  b: Float64Array,
): Float64Array {
  if (m < n) throw new Error(`least squares: ${m} equations cannot determine ${n} unknowns`);
  const colScale = columnScales(a, m, n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) a[j * m + i]! *= colScale[j]!;
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const col = k * m;
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[col + i]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      diag[k] = 0;
      continue;
    }
    const alpha = a[col + k]! > 0 ? -norm : norm;
    a[col + k]! -= alpha;
    // v = a[col+k..]; H = I - 2 v v^T / (v^T v), with v^T v = -2 alpha v_k after the shift.
    const vtv = -alpha * a[col + k]!;
    diag[k] = alpha;
    for (let j = k + 1; j < n; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += a[col + i]! * a[cj + i]!;
      const f = dot / vtv;
      for (let i = k; i < m; i++) a[cj + i]! -= f * a[col + i]!;
    }
    let dot = 0;
    for (let i = k; i < m; i++) dot += a[col + i]! * b[i]!;
    const f = dot / vtv;
    for (let i = k; i < m; i++) b[i]! -= f * a[col + i]!;
  }
  // Back substitution on R (strict upper part in a, diagonal in diag).
  const x = new Float64Array(n);
  let largest = 0;
  for (const d of diag) largest = Math.max(largest, Math.abs(d));
  const tiny = 1e-13 * largest;
  for (let k = n - 1; k >= 0; k--) {
    let s = b[k]!;
    for (let j = k + 1; j < n; j++) s -= a[j * m + k]! * x[j]!;
    x[k] = Math.abs(diag[k]!) > tiny ? s / diag[k]! : 0;
  }
  for (let j = 0; j < n; j++) x[j]! *= colScale[j]!;
  return x;
}
