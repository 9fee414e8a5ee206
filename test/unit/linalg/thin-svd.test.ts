import { describe, expect, it } from 'vitest';
import { thinSvd } from '../../../src/linalg/thin-svd';
import { seededRandom } from '../../../src/random';

/** Column-major rows x cols with normal entries, column k scaled by 10^(scales[k]). */
function randomMatrix(seed: number, rows: number, scales: number[]): Float64Array {
  const rnd = seededRandom(seed);
  const a = new Float64Array(rows * scales.length);
  scales.forEach((e, k) => {
    for (let i = 0; i < rows; i++) a[k * rows + i] = rnd.normal() * 10 ** e;
  });
  return a;
}

describe('thin SVD by one-sided Jacobi', () => {
  it('gives A V = U S with orthonormal V, orthogonal columns of U S and descending values', () => {
    for (const [rows, scales] of [
      [1, [0]],
      [5, [0, 0, 0]],
      [121, [-3, 0, 2, -2, -1, 2, 0]],
      [40, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ] as [number, number[]][]) {
      const n = scales.length;
      const a = randomMatrix(rows + n, rows, scales);
      const { values, v, us } = thinSvd(a, rows, n);
      for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]!);
      for (let p = 0; p < n; p++) {
        for (let q = 0; q < n; q++) {
          let vv = 0;
          let uu = 0;
          for (let j = 0; j < n; j++) vv += v[p * n + j]! * v[q * n + j]!;
          for (let i = 0; i < rows; i++) uu += us[p * rows + i]! * us[q * rows + i]!;
          expect(vv).toBeCloseTo(p === q ? 1 : 0, 12);
          expect(uu / (values[p]! * values[q]!)).toBeCloseTo(p === q ? 1 : 0, 12);
        }
        for (let i = 0; i < rows; i++) {
          let av = 0;
          for (let j = 0; j < n; j++) av += a[j * rows + i]! * v[p * n + j]!;
          expect(Math.abs(av - us[p * rows + i]!)).toBeLessThan(1e-12 * values[0]!);
        }
      }
    }
  });

  it('keeps a tiny singular value to full relative accuracy where A^T A would lose it', () => {
    // A = [[1, 1], [0, e]]: A^T A = [[1, 1], [1, 1 + e^2]] holds no trace of e^2 = 1e-18 in doubles.
    const e = 1e-9;
    const { values } = thinSvd(Float64Array.of(1, 0, 1, e), 2, 2);
    // sigma_max * sigma_min = |det A| = e, and sigma_max^2 + sigma_min^2 = 2 + e^2.
    expect((values[0]! * values[1]!) / e).toBeCloseTo(1, 12);
    expect(values[0]).toBeCloseTo(Math.SQRT2, 14);
  });

  it('returns zero singular values for zero columns', () => {
    const { values } = thinSvd(Float64Array.of(1, 2, 3, 0, 0, 0), 3, 2);
    expect(values[0]).toBeCloseTo(Math.sqrt(14), 14);
    expect(values[1]).toBe(0);
  });
});

describe('thin SVD of a tall matrix (Householder QR first)', () => {
  it('keeps singular values spanning 12 decades to the relative accuracy their size allows', () => {
    // A = U diag(s) V^T with orthonormal U (121 x 3, Gram-Schmidt of random columns) and a rotation V.
    const rows = 121;
    const s = [1, 1e-6, 1e-12];
    const rnd = seededRandom(3);
    const u: number[][] = [];
    for (let k = 0; k < 3; k++) {
      const col = Array.from({ length: rows }, () => rnd.normal());
      for (const q of u) {
        const d = col.reduce((acc, x, i) => acc + x * q[i]!, 0);
        for (let i = 0; i < rows; i++) col[i]! -= d * q[i]!;
      }
      const norm = Math.hypot(...col);
      u.push(col.map((x) => x / norm));
    }
    const c = Math.cos(0.7);
    const sn = Math.sin(0.7);
    const v = [
      [c, -sn, 0],
      [sn, c, 0],
      [0, 0, 1],
    ];
    const a = new Float64Array(rows * 3);
    for (let j = 0; j < 3; j++)
      for (let i = 0; i < rows; i++)
        for (let k = 0; k < 3; k++) a[j * rows + i]! += u[k]![i]! * s[k]! * v[j]![k]!;
    const { values } = thinSvd(a, rows, 3);
    expect(values[0]! / 1 - 1).toBeCloseTo(0, 14);
    expect(values[1]! / 1e-6 - 1).toBeCloseTo(0, 8);
    expect(values[2]! / 1e-12 - 1).toBeCloseTo(0, 2);
  });
});
