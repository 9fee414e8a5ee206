import { describe, expect, it } from 'vitest';
import { nonNegativeQuadratic } from '../../../src/linalg/nnls';
import { seededRandom } from '../../../src/random';

/** H = A^T A + delta I and c = A^T b for a random row-major A. */
function problem(seed: number, rows: number, n: number) {
  const rnd = seededRandom(seed);
  const a = Array.from({ length: rows * n }, () => rnd.normal());
  const b = Array.from({ length: rows }, () => rnd.normal());
  const h = new Float64Array(n * n);
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rows; r++) c[i]! += a[r * n + i]! * b[r]!;
    for (let j = 0; j < n; j++) for (let r = 0; r < rows; r++) h[i * n + j]! += a[r * n + i]! * a[r * n + j]!;
    h[i * n + i]! += 1e-3;
  }
  return { h, c };
}

const objective = (h: Float64Array, c: Float64Array, n: number, x: ArrayLike<number>) => {
  let v = 0;
  for (let i = 0; i < n; i++) {
    v -= c[i]! * x[i]!;
    for (let j = 0; j < n; j++) v += 0.5 * x[i]! * h[i * n + j]! * x[j]!;
  }
  return v;
};

/** Exhaustive: the best unconstrained solution over every support set that is feasible. */
function bruteForce(h: Float64Array, c: Float64Array, n: number): number {
  let best = 0;
  for (let mask = 1; mask < 1 << n; mask++) {
    const idx = [...Array(n).keys()].filter((i) => mask & (1 << i));
    const k = idx.length;
    // Gaussian elimination on the k x k sub-system.
    const m = idx.map((i) => [...idx.map((j) => h[i * n + j]!), c[i]!]);
    for (let p = 0; p < k; p++) {
      for (let r = p + 1; r < k; r++) {
        const f = m[r]![p]! / m[p]![p]!;
        for (let q = p; q <= k; q++) m[r]![q]! -= f * m[p]![q]!;
      }
    }
    const s = new Array<number>(k).fill(0);
    for (let p = k - 1; p >= 0; p--) {
      let v = m[p]![k]!;
      for (let q = p + 1; q < k; q++) v -= m[p]![q]! * s[q]!;
      s[p] = v / m[p]![p]!;
    }
    if (s.some((v) => v < 0)) continue;
    const x = new Array<number>(n).fill(0);
    idx.forEach((i, t) => {
      x[i] = s[t]!;
    });
    best = Math.min(best, objective(h, c, n, x));
  }
  return best;
}

describe('non-negative quadratic minimisation', () => {
  it('reaches the exhaustive-search optimum on random problems', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const n = 6;
      const { h, c } = problem(seed, 10, n);
      const r = nonNegativeQuadratic(h, c, n);
      expect(r.converged).toBe(true);
      expect(r.x.every((v) => v >= 0)).toBe(true);
      expect(objective(h, c, n, r.x)).toBeCloseTo(bruteForce(h, c, n), 9);
    }
  });

  it('reaches the same optimum from a warm start', () => {
    for (let seed = 30; seed <= 40; seed++) {
      const n = 7;
      const { h, c } = problem(seed, 12, n);
      const cold = nonNegativeQuadratic(h, c, n);
      const warm = nonNegativeQuadratic(h, c, n, [1, 1, 1, 0, 0, 1, 0]);
      expect(objective(h, c, n, warm.x)).toBeCloseTo(objective(h, c, n, cold.x), 10);
    }
  });

  it('returns the unconstrained solution when it is already positive', () => {
    const h = Float64Array.from([2, 0, 0, 4]);
    const c = Float64Array.from([2, 8]);
    const r = nonNegativeQuadratic(h, c, 2);
    expect(r.x[0]).toBeCloseTo(1, 14);
    expect(r.x[1]).toBeCloseTo(2, 14);
  });

  it('clamps a variable whose unconstrained optimum is negative', () => {
    const h = Float64Array.from([1, 0, 0, 1]);
    const r = nonNegativeQuadratic(h, Float64Array.from([-3, 5]), 2);
    expect(r.x[0]).toBe(0);
    expect(r.x[1]).toBeCloseTo(5, 14);
  });
});
