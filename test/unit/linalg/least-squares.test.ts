import { describe, expect, it } from 'vitest';
import {
  solveLeastSquares,
  solveLeastSquaresQrInPlace,
  solveNormalEquations,
} from '../../../src/linalg/least-squares';
import { seededRandom } from '../../../src/random';

/** Column-major m x n matrix from a function of (row, column). */
function matrix(m: number, n: number, at: (i: number, j: number) => number): Float64Array {
  const a = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) a[j * m + i] = at(i, j);
  return a;
}

function multiply(a: Float64Array, m: number, n: number, x: ArrayLike<number>): Float64Array {
  const b = new Float64Array(m);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) b[i]! += a[j * m + i]! * x[j]!;
  return b;
}

describe('linear least squares', () => {
  it('recovers the exact solution of a consistent tall system by the normal equations', () => {
    const rnd = seededRandom(1);
    const a = matrix(30, 6, () => rnd.normal());
    const x = [1, -2, 3e-3, 4e3, 0, -0.5];
    const { x: got, method } = solveLeastSquares(a, 30, 6, multiply(a, 30, 6, x));
    expect(method).toBe('normal-equations');
    for (let j = 0; j < 6; j++) expect(got[j]).toBeCloseTo(x[j]!, 9);
  });

  it('gives the residual orthogonal to every column for an inconsistent system', () => {
    const rnd = seededRandom(2);
    const a = matrix(40, 5, () => rnd.normal());
    const b = Float64Array.from({ length: 40 }, () => rnd.normal());
    const { x } = solveLeastSquares(a, 40, 5, b);
    const r = multiply(a, 40, 5, x).map((v, i) => b[i]! - v);
    for (let j = 0; j < 5; j++) {
      let dot = 0;
      for (let i = 0; i < 40; i++) dot += a[j * 40 + i]! * r[i]!;
      expect(Math.abs(dot)).toBeLessThan(1e-12);
    }
  });

  it('falls back to QR when columns are nearly dependent and still fits to full accuracy', () => {
    // Two columns differing by 1e-7: the normal equations would square a 1e7 condition number.
    const a = matrix(20, 3, (i, j) => (j === 2 ? i + 1e-7 * Math.sin(i) : j === 1 ? i : 1));
    const x = [0.5, 2, -1];
    const { x: got, method } = solveLeastSquares(a, 20, 3, multiply(a, 20, 3, x));
    expect(method).toBe('qr');
    for (let j = 0; j < 3; j++) expect(got[j]).toBeCloseTo(x[j]!, 5);
  });

  it('handles columns of very different scale (a 1/C column beside resistances)', () => {
    const a = matrix(12, 2, (i, j) => (j === 0 ? 1 : 1e-9 * (i + 1)));
    const { x } = solveLeastSquares(a, 12, 2, multiply(a, 12, 2, [3, 2e8]));
    expect(x[0]).toBeCloseTo(3, 9);
    expect(x[1]! / 2e8).toBeCloseTo(1, 9);
  });

  it('gives a dependent column a zero coefficient in QR instead of dividing by zero', () => {
    const a = matrix(5, 2, (i) => i + 1);
    const x = solveLeastSquaresQrInPlace(a, 5, 2, Float64Array.from([2, 4, 6, 8, 10]));
    expect(x[0]! + x[1]!).toBeCloseTo(2, 12);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it('solves given normal equations like the full system, and declines a dependent column', () => {
    const rnd = seededRandom(5);
    const a = matrix(25, 4, () => rnd.normal());
    const b = Float64Array.from({ length: 25 }, () => rnd.normal());
    const gram = new Float64Array(16);
    const rhs = new Float64Array(4);
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 25; i++) rhs[j]! += a[j * 25 + i]! * b[i]!;
      for (let k = 0; k < 4; k++)
        for (let i = 0; i < 25; i++) gram[j * 4 + k]! += a[j * 25 + i]! * a[k * 25 + i]!;
    }
    const x = solveNormalEquations(gram, rhs, 4);
    const reference = solveLeastSquares(a, 25, 4, b).x;
    for (let j = 0; j < 4; j++) expect(x![j]).toBeCloseTo(reference[j]!, 12);
    expect(solveNormalEquations(Float64Array.from([1, 1, 1, 1]), Float64Array.from([1, 1]), 2)).toBeNull();
  });

  it('refuses an under-determined system', () => {
    expect(() => solveLeastSquares(new Float64Array(6), 2, 3, new Float64Array(2))).toThrow(
      /2 equations cannot determine 3/,
    );
  });
});
