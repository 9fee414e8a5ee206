import { describe, expect, it } from 'vitest';
import { backSubstituteTransposed, choleskyInPlace, forwardSubstitute } from '../../../src/linalg/cholesky';
import { symmetricEigen } from '../../../src/linalg/symmetric-eigen';
import { seededRandom } from '../../../src/random';

function randomSymmetric(seed: number, n: number): Float64Array {
  const rnd = seededRandom(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = rnd.normal();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

describe('symmetric eigen-decomposition', () => {
  it('reconstructs A = V diag(d) V^T with orthonormal V and ascending eigenvalues', () => {
    for (const n of [1, 2, 5, 17, 40]) {
      const a = randomSymmetric(n, n);
      const { values, vectors } = symmetricEigen(a, n);
      for (let k = 1; k < n; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]!);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let rec = 0;
          let dot = 0;
          for (let k = 0; k < n; k++) {
            rec += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
            dot += vectors[k * n + i]! * vectors[k * n + j]!;
          }
          expect(rec).toBeCloseTo(a[i * n + j]!, 10);
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
        }
      }
    }
  });

  it('finds the known eigenvalues of the second-difference matrix', () => {
    const n = 8;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i > 0) a[i * n + i - 1] = -1;
      if (i < n - 1) a[i * n + i + 1] = -1;
    }
    const { values } = symmetricEigen(a, n);
    const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    for (let k = 0; k < n; k++) expect(values[k]).toBeCloseTo(expected[k]!, 12);
  });
});

describe('Cholesky', () => {
  it('solves a symmetric positive definite system', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const b = Float64Array.from([1, 2, 3]);
    const l = Float64Array.from(a);
    expect(choleskyInPlace(l, 3)).toBe(true);
    const x = Float64Array.from(b);
    forwardSubstitute(l, 3, x);
    backSubstituteTransposed(l, 3, x);
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += a[i * 3 + j]! * x[j]!;
      expect(s).toBeCloseTo(b[i]!, 12);
    }
  });

  it('reports a matrix that is not positive definite', () => {
    expect(choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toBe(false);
  });
});
