/**
 * Non-negative quadratic minimisation: min 1/2 x^T H x - c^T x subject to x >= 0, with H symmetric
 * positive definite. This is the Lawson-Hanson active-set method in the "fast" form of Bro & de Jong
 * (1997), which works on H = A^T A and c = A^T b directly, so Tikhonov-regularised problems need no
 * stacked matrix. A start set (e.g. where the unconstrained solution is positive) saves most iterations.
 */
import { backSubstituteTransposed, choleskyInPlace, forwardSubstitute } from './cholesky';

export type NnlsResult = {
  readonly x: Float64Array;
  readonly iterations: number;
  /** False only if the iteration cap was reached (the result is then feasible but not optimal). */
  readonly converged: boolean;
};

export function nonNegativeQuadratic(
  h: Float64Array,
  c: Float64Array,
  n: number,
  start?: ArrayLike<number>,
): NnlsResult {
  const passive = new Uint8Array(n);
  const x = new Float64Array(n);
  const maxIterations = 3 * n + 30;
  let iterations = 0;
  const scale = Math.max(1e-300, ...Array.from(c, Math.abs));
  const tol = 1e-12 * scale * n;

  if (start !== undefined) {
    for (let i = 0; i < n; i++) if ((start[i] ?? 0) > 0) passive[i] = 1;
    const s = solvePassive(h, c, n, passive);
    // Start from the feasible point nearest the passive solution, then restore feasibility below.
    for (let i = 0; i < n; i++) {
      x[i] = passive[i] && s[i]! > 0 ? s[i]! : 0;
      if (x[i] === 0) passive[i] = 0;
    }
  }

  const gradient = new Float64Array(n);
  for (;;) {
    for (let i = 0; i < n; i++) {
      let s = c[i]!;
      for (let j = 0; j < n; j++) s -= h[i * n + j]! * x[j]!;
      gradient[i] = s;
    }
    let best = -1;
    let bestValue = tol;
    for (let i = 0; i < n; i++) {
      if (!passive[i] && gradient[i]! > bestValue) {
        bestValue = gradient[i]!;
        best = i;
      }
    }
    // The first pass after a warm start must still run the inner loop, even if no variable enters.
    if (best < 0 && iterations > 0) return { x, iterations, converged: true };
    if (iterations >= maxIterations) return { x, iterations, converged: false };
    iterations++;
    if (best >= 0) passive[best] = 1;
    let s = solvePassive(h, c, n, passive);
    for (let inner = 0; inner <= n; inner++) {
      let alpha = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        if (passive[i] && s[i]! <= 0) alpha = Math.min(alpha, x[i]! / (x[i]! - s[i]!));
      }
      if (alpha === Number.POSITIVE_INFINITY) break;
      for (let i = 0; i < n; i++) {
        x[i] = x[i]! + alpha * (s[i]! - x[i]!);
        if (passive[i] && x[i]! <= 0) {
          passive[i] = 0;
          x[i] = 0;
        }
      }
      s = solvePassive(h, c, n, passive);
    }
    for (let i = 0; i < n; i++) x[i] = passive[i] ? s[i]! : 0;
  }
}

/** Solves H_PP s_P = c_P for the passive set P; s is zero elsewhere. */
function solvePassive(h: Float64Array, c: Float64Array, n: number, passive: Uint8Array): Float64Array {
  const index: number[] = [];
  for (let i = 0; i < n; i++) if (passive[i]) index.push(i);
  const k = index.length;
  const s = new Float64Array(n);
  if (k === 0) return s;
  const sub = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    const ia = index[a]!;
    rhs[a] = c[ia]!;
    for (let b = 0; b <= a; b++) sub[a * k + b] = h[ia * n + index[b]!]!;
  }
  if (!choleskyInPlace(sub, k))
    throw new Error('non-negative least squares: matrix is not positive definite');
  forwardSubstitute(sub, k, rhs);
  backSubstituteTransposed(sub, k, rhs);
  for (let a = 0; a < k; a++) s[index[a]!] = rhs[a]!;
  return s;
}
