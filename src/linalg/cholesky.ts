/** Cholesky factorisation and solves for small dense symmetric positive definite matrices (row-major n x n). */

/**
 * Overwrites the lower triangle of a with L (a = L L^T). Returns false if a is not positive definite,
 * or if a pivot (before its square root) is not above `pivotFloor`.
 */
export function choleskyInPlace(a: Float64Array, n: number, pivotFloor = 0): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! ** 2;
    if (!(d > pivotFloor)) return false;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L y = b in place (L lower triangle of l). */
export function forwardSubstitute(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
}

/** Solves L^T x = y in place. */
export function backSubstituteTransposed(l: Float64Array, n: number, y: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
}

/** Solves L L^T x = b with the factor from choleskyInPlace; b is overwritten by x. */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): void {
  forwardSubstitute(l, n, b);
  backSubstituteTransposed(l, n, b);
}
