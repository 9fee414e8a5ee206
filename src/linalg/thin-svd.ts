/**
 * Thin singular value decomposition A = U S V^T of a tall matrix (rows >= cols, a few columns) by
 * one-sided Jacobi rotations (Hestenes 1958; Demmel & Veselic 1992). Chosen over the eigenvalues of
 * A^T A because it keeps the small singular values accurate: a least-squares Jacobian whose columns span
 * many decades (pF beside kOhm) would lose them to the squared condition number.
 */

export type ThinSvd = {
  /** Singular values, descending. */
  readonly values: Float64Array;
  /** Column-major cols x cols; column k is the right singular vector of values[k]. */
  readonly v: Float64Array;
  /** Column-major rows x cols: A V = U S, so column k is values[k] times the left singular vector. */
  readonly us: Float64Array;
};

/** Pairs whose cosine is below this are orthogonal to working precision. */
const ORTHOGONAL = 1e-15;
/** Jacobi converges quadratically: a handful of sweeps; the cap only guards against a NaN input. */
const MAX_SWEEPS = 60;

/** `a` is column-major rows x cols (column k at a[k * rows + i]); it is not modified. */
export function thinSvd(a: Float64Array, rows: number, cols: number): ThinSvd {
  const w = Float64Array.from(a);
  const v = new Float64Array(cols * cols);
  for (let k = 0; k < cols; k++) v[k * cols + k] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = w[p * rows + i]!;
          const y = w[q * rows + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (!(Math.abs(gamma) > ORTHOGONAL * Math.sqrt(alpha * beta))) continue;
        rotated = true;
        // The rotation that makes columns p and q orthogonal, its tangent the smaller root (stable).
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.hypot(1, zeta));
        const c = 1 / Math.hypot(1, t);
        const s = c * t;
        rotate(w, rows, p, q, c, s);
        rotate(v, cols, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: cols }, (_, k) => {
    let s = 0;
    for (let i = 0; i < rows; i++) s += w[k * rows + i]! ** 2;
    return Math.sqrt(s);
  });
  const order = norms.map((_, k) => k).sort((x, y) => norms[y]! - norms[x]!);
  const values = Float64Array.from(order, (k) => norms[k]!);
  const vOut = new Float64Array(cols * cols);
  const usOut = new Float64Array(rows * cols);
  order.forEach((k, slot) => {
    vOut.set(v.subarray(k * cols, (k + 1) * cols), slot * cols);
    usOut.set(w.subarray(k * rows, (k + 1) * rows), slot * rows);
  });
  return { values, v: vOut, us: usOut };
}

function rotate(m: Float64Array, rows: number, p: number, q: number, c: number, s: number): void {
  for (let i = 0; i < rows; i++) {
    const x = m[p * rows + i]!;
    const y = m[q * rows + i]!;
    m[p * rows + i] = c * x - s * y;
    m[q * rows + i] = s * x + c * y;
  }
}
