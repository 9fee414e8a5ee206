/**
 * Thin singular value decomposition A = U S V^T of a tall matrix (rows >= cols, a few columns) by
 * one-sided Jacobi rotations (Hestenes 1958; Demmel & Veselic 1992). Chosen over the eigenvalues of
 * A^T A because it keeps the small singular values accurate: a least-squares Jacobian whose columns span
 * many decades (pF beside kOhm) would lose them to the squared condition number. A matrix much taller
 * than wide is first reduced to its triangular factor R by Householder QR (A = Q R), whose rotations
 * then cost cols instead of rows per column (Demmel & Veselic's preconditioning): a trust-region step
 * on 121 x 7 costs a sixth.
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
  if (rows <= 2 * cols) return jacobiSvd(Float64Array.from(a), rows, cols);
  const qr = householderQr(Float64Array.from(a), rows, cols);
  const small = jacobiSvd(qr.r, cols, cols);
  // A V = Q R V = Q (U_R S): the small factor's columns, padded with zeros, times Q.
  const us = new Float64Array(rows * cols);
  for (let k = 0; k < cols; k++) {
    const col = us.subarray(k * rows, (k + 1) * rows);
    col.set(small.us.subarray(k * cols, (k + 1) * cols));
    applyQ(qr, rows, cols, col);
  }
  return { values: small.values, v: small.v, us };
}

/**
 * The SVD's singular values and V, and (A V)^T b = S U^T b, without forming U: what a trust-region
 * step needs (trustRegionStep's `suf`). For a tall A this applies the QR reflectors to b alone.
 */
export function svdWithProjection(
  a: Float64Array,
  rows: number,
  cols: number,
  b: Float64Array,
): { values: Float64Array; v: Float64Array; projected: Float64Array } {
  if (rows <= 2 * cols) {
    const svd = jacobiSvd(Float64Array.from(a), rows, cols);
    const projected = new Float64Array(cols);
    for (let k = 0; k < cols; k++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += svd.us[k * rows + i]! * b[i]!;
      projected[k] = s;
    }
    return { values: svd.values, v: svd.v, projected };
  }
  const qr = householderQr(Float64Array.from(a), rows, cols);
  const qtb = Float64Array.from(b);
  applyQTransposed(qr, rows, cols, qtb);
  const small = jacobiSvd(qr.r, cols, cols);
  // (A V)^T b = (Q R V)^T b = (R V)^T (Q^T b), and R V is the small factor's U S.
  const projected = new Float64Array(cols);
  for (let k = 0; k < cols; k++) {
    let s = 0;
    for (let i = 0; i < cols; i++) s += small.us[k * cols + i]! * qtb[i]!;
    projected[k] = s;
  }
  return { values: small.values, v: small.v, projected };
}

type Qr = { readonly r: Float64Array; readonly reflectors: Float64Array; readonly betas: Float64Array };

/** Householder QR of w (column-major, overwritten by the reflectors): R column-major cols x cols. */
function householderQr(w: Float64Array, rows: number, cols: number): Qr {
  const r = new Float64Array(cols * cols);
  const betas = new Float64Array(cols);
  for (let k = 0; k < cols; k++) {
    const o = k * rows;
    let norm2 = 0;
    for (let i = k; i < rows; i++) norm2 += w[o + i]! ** 2;
    const norm = Math.sqrt(norm2);
    const x0 = w[o + k]!;
    const alpha = x0 > 0 ? -norm : norm;
    // v = x - alpha e_k, kept in place of x; beta = 2 / v^T v.
    const v0 = x0 - alpha;
    const vv = norm2 - x0 * x0 + v0 * v0;
    w[o + k] = v0;
    betas[k] = vv > 0 ? 2 / vv : 0;
    for (let j = k + 1; j < cols; j++) {
      const oj = j * rows;
      let dot = 0;
      for (let i = k; i < rows; i++) dot += w[o + i]! * w[oj + i]!;
      const f = betas[k]! * dot;
      for (let i = k; i < rows; i++) w[oj + i] = w[oj + i]! - f * w[o + i]!;
    }
    for (let i = 0; i < k; i++) r[k * cols + i] = w[o + i]!;
    r[k * cols + k] = vv > 0 ? alpha : x0;
  }
  return { r, reflectors: w, betas };
}

/** x := Q x for the Q of householderQr (x of length rows). */
function applyQ(qr: Qr, rows: number, cols: number, x: Float64Array): void {
  for (let k = cols - 1; k >= 0; k--) {
    const o = k * rows;
    let dot = 0;
    for (let i = k; i < rows; i++) dot += qr.reflectors[o + i]! * x[i]!;
    const f = qr.betas[k]! * dot;
    if (f === 0) continue;
    for (let i = k; i < rows; i++) x[i] = x[i]! - f * qr.reflectors[o + i]!;
  }
}

/** x := Q^T x for the Q of householderQr. */
function applyQTransposed(qr: Qr, rows: number, cols: number, x: Float64Array): void {
  for (let k = 0; k < cols; k++) {
    const o = k * rows;
    let dot = 0;
    for (let i = k; i < rows; i++) dot += qr.reflectors[o + i]! * x[i]!;
    const f = qr.betas[k]! * dot;
    if (f === 0) continue;
    for (let i = k; i < rows; i++) x[i] = x[i]! - f * qr.reflectors[o + i]!;
  }
}

/** One-sided Jacobi on w (overwritten). */
function jacobiSvd(w: Float64Array, rows: number, cols: number): ThinSvd {
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
