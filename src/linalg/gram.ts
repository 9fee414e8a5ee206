/**
 * J^T J and J^T r of a tall column-major J (rows x cols): the normal equations of a least-squares step,
 * in the inner loop of every iteration. Two columns go against two per pass over the rows, so four sums
 * run independently and the adds need not wait on each other (about twice as fast as one pair at a time
 * on the fitter's 114 x 7). Each entry is still a plain sum in row order.
 */
export function gramInPlace(
  jac: Float64Array,
  rows: number,
  cols: number,
  r: Float64Array,
  /** Row-major cols x cols, written in full (symmetric). */
  jtj: Float64Array,
  /** cols entries. */
  g: Float64Array,
): void {
  const n = rows;
  const m = cols;
  for (let a = 0; a < m; a += 2) {
    const oa = a * n;
    if (a + 1 === m) {
      let saa = 0;
      let ga = 0;
      for (let i = 0; i < n; i++) {
        const x = jac[oa + i]!;
        saa += x * x;
        ga += x * r[i]!;
      }
      jtj[a * m + a] = saa;
      g[a] = ga;
      break;
    }
    const oa1 = oa + n;
    let s00 = 0;
    let s01 = 0;
    let s11 = 0;
    let g0 = 0;
    let g1 = 0;
    for (let i = 0; i < n; i++) {
      const x0 = jac[oa + i]!;
      const x1 = jac[oa1 + i]!;
      const ri = r[i]!;
      s00 += x0 * x0;
      s01 += x0 * x1;
      s11 += x1 * x1;
      g0 += x0 * ri;
      g1 += x1 * ri;
    }
    jtj[a * m + a] = s00;
    jtj[a * m + a + 1] = s01;
    jtj[(a + 1) * m + a] = s01;
    jtj[(a + 1) * m + a + 1] = s11;
    g[a] = g0;
    g[a + 1] = g1;
    for (let b = a + 2; b < m; b += 2) {
      const ob = b * n;
      if (b + 1 === m) {
        let t0 = 0;
        let t1 = 0;
        for (let i = 0; i < n; i++) {
          const y = jac[ob + i]!;
          t0 += jac[oa + i]! * y;
          t1 += jac[oa1 + i]! * y;
        }
        jtj[a * m + b] = t0;
        jtj[b * m + a] = t0;
        jtj[(a + 1) * m + b] = t1;
        jtj[b * m + a + 1] = t1;
        break;
      }
      const ob1 = ob + n;
      let t00 = 0;
      let t01 = 0;
      let t10 = 0;
      let t11 = 0;
      for (let i = 0; i < n; i++) {
        const x0 = jac[oa + i]!;
        const x1 = jac[oa1 + i]!;
        const y0 = jac[ob + i]!;
        const y1 = jac[ob1 + i]!;
        t00 += x0 * y0;
        t01 += x0 * y1;
        t10 += x1 * y0;
        t11 += x1 * y1;
      }
      jtj[a * m + b] = t00;
      jtj[b * m + a] = t00;
      jtj[a * m + b + 1] = t01;
      jtj[(b + 1) * m + a] = t01;
      jtj[(a + 1) * m + b] = t10;
      jtj[b * m + a + 1] = t10;
      jtj[(a + 1) * m + b + 1] = t11;
      jtj[(b + 1) * m + a + 1] = t11;
    }
  }
}
