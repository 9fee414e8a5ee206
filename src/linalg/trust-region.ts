/**
 * Building blocks of a bounded least-squares trust-region method, as scipy.optimize._lsq.common has them
 * (see src/eis/trust-region-reflective.ts): More's step on an SVD, the quadratic model along a line,
 * steps to the bounds and to the trust-region edge, and keeping a point strictly inside the bounds.
 */

const EPS = 2 ** -52;

/**
 * More's step for min |J p + f| with |p| <= delta, from the thin SVD J = U S V^T of the n-column Jacobian
 * of m residuals: the Gauss-Newton step if it fits, else p(alpha) = -(J^T J + alpha I)^-1 J^T f with
 * |p| = delta to 1 %, alpha found by his safeguarded Newton iteration from `initialAlpha`.
 * `suf` is S U^T f, `s` the singular values (descending), `v` V column-major.
 */
export function trustRegionStep(
  n: number,
  m: number,
  suf: Float64Array,
  s: Float64Array,
  v: Float64Array,
  delta: number,
  initialAlpha: number,
): { p: Float64Array; alpha: number } {
  const combine = (w: Float64Array) => {
    const p = new Float64Array(n);
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) p[j] = p[j]! - v[k * n + j]! * w[k]!;
    return p;
  };
  const phiAndSlope = (alpha: number) => {
    const w = suf.map((x, k) => x / (s[k]! ** 2 + alpha));
    const pNorm = norm(w);
    let sum = 0;
    for (let k = 0; k < n; k++) sum += suf[k]! ** 2 / (s[k]! ** 2 + alpha) ** 3;
    return { phi: pNorm - delta, slope: -sum / pNorm };
  };
  const fullRank = m >= n && s[n - 1]! > EPS * m * s[0]!;
  if (fullRank) {
    const p = combine(suf.map((x, k) => x / s[k]! / s[k]!));
    if (norm(p) <= delta) return { p, alpha: 0 };
  }
  let upper = norm(suf) / delta;
  let lower = 0;
  if (fullRank) {
    const at0 = phiAndSlope(0);
    lower = -at0.phi / at0.slope;
  }
  const fallback = () => Math.max(0.001 * upper, Math.sqrt(lower * upper));
  let alpha = !fullRank && initialAlpha === 0 ? fallback() : initialAlpha;
  for (let it = 0; it < 10; it++) {
    if (alpha < lower || alpha > upper) alpha = fallback();
    const { phi, slope } = phiAndSlope(alpha);
    if (phi < 0) upper = alpha;
    const ratio = phi / slope;
    lower = Math.max(lower, alpha - ratio);
    alpha -= ((phi + delta) * ratio) / delta;
    if (Math.abs(phi) < 0.01 * delta) break;
  }
  const p = combine(suf.map((x, k) => x / (s[k]! ** 2 + alpha)));
  // Exactly on the boundary, so rounding cannot put it outside (the reflection needs it inside).
  const scale = delta / norm(p);
  return { p: p.map((x) => x * scale), alpha };
}

/** 0.5 |J s|^2 + 0.5 s^T diag s + g^T s: the model's change for step s. */
export function quadratic(jac: Float64Array, g: Float64Array, s: Float64Array, diag: Float64Array): number {
  const js = times(jac, s);
  const sDiag = s.map((sk, k) => sk * diag[k]!);
  return 0.5 * (dot(js, js) + dot(sDiag, s)) + dot(s, g);
}

/** The same model along s0 + t s, as a t^2 + b t + c. */
export function lineQuadratic(
  jac: Float64Array,
  g: Float64Array,
  s: Float64Array,
  diag: Float64Array,
  s0?: Float64Array,
) {
  const js = times(jac, s);
  const sDiag = s.map((sk, k) => sk * diag[k]!);
  let a = dot(js, js);
  a += dot(sDiag, s);
  a *= 0.5;
  let b = dot(g, s);
  let c = 0;
  if (s0) {
    const u = times(jac, s0);
    b += dot(u, js);
    c = 0.5 * dot(u, u) + dot(g, s0);
    const s0Diag = s0.map((sk, k) => sk * diag[k]!);
    b += dot(s0Diag, s);
    c += 0.5 * dot(s0Diag, s0);
  }
  return { a, b, c };
}

/** Minimum of a t^2 + b t + c over [lo, hi]: an end or the vertex. */
export function minimizeOnInterval(a: number, b: number, lo: number, hi: number, c: number) {
  const ts = [lo, hi];
  if (a !== 0) {
    const vertex = (-0.5 * b) / a;
    if (lo < vertex && vertex < hi) ts.push(vertex);
  }
  let best = { t: ts[0]!, y: Number.POSITIVE_INFINITY };
  for (const t of ts) {
    const y = t * (a * t + b) + c;
    if (y < best.y) best = { t, y };
  }
  return best;
}

/** The largest t with x + t s within bounds, and which variables reach theirs there (sign of s). */
export function stepToBound(x: Float64Array, s: Float64Array, lb: Float64Array, ub: Float64Array) {
  const steps = Float64Array.from(x, (xk, k) => {
    const sk = s[k]!;
    return sk === 0 ? Number.POSITIVE_INFINITY : Math.max((lb[k]! - xk) / sk, (ub[k]! - xk) / sk);
  });
  const step = Math.min(...steps);
  const hits = Int8Array.from(steps, (t, k) => (t === step ? Math.sign(s[k]!) : 0));
  return { step, hits };
}

/** The positive t where |x + t s| = delta, computed without cancellation (Numerical Recipes). */
export function intersectTrustRegion(x: Float64Array, s: Float64Array, delta: number): number {
  const a = dot(s, s);
  const b = dot(x, s);
  // x lies inside by construction; rounding must not push c above 0.
  const c = Math.min(dot(x, x) - delta ** 2, 0);
  const d = Math.sqrt(b * b - a * c);
  const q = -(b + (b < 0 || Object.is(b, -0) ? -d : d));
  return Math.max(q / a, c / q);
}

/**
 * scipy's make_strictly_feasible: a variable on (or past) a bound moves just inside it, by rstep
 * relative, or to the next representable number when rstep is 0.
 */
export function strictlyFeasible(
  x: Float64Array,
  lb: Float64Array,
  ub: Float64Array,
  rstep: number,
): Float64Array {
  const out = Float64Array.from(x);
  for (let k = 0; k < x.length; k++) {
    const xk = x[k]!;
    const lo = lb[k]!;
    const hi = ub[k]!;
    let side = 0;
    if (rstep === 0) {
      if (xk <= lo) side = -1;
      if (xk >= hi) side = 1;
    } else {
      const below = xk - lo;
      const above = hi - xk;
      if (Number.isFinite(lo) && below <= Math.min(above, rstep * Math.max(1, Math.abs(lo)))) side = -1;
      if (Number.isFinite(hi) && above <= Math.min(below, rstep * Math.max(1, Math.abs(hi)))) side = 1;
    }
    if (side === -1) out[k] = rstep === 0 ? nextToward(lo, hi) : lo + rstep * Math.max(1, Math.abs(lo));
    if (side === 1) out[k] = rstep === 0 ? nextToward(hi, lo) : hi - rstep * Math.max(1, Math.abs(hi));
    if (out[k]! < lo || out[k]! > hi) out[k] = 0.5 * (lo + hi);
  }
  return out;
}

/** C's nextafter. */
function nextToward(from: number, to: number): number {
  if (from === to || Number.isNaN(from) || Number.isNaN(to)) return from === to ? to : Number.NaN;
  if (from === 0) return to > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const bits = new BigInt64Array(Float64Array.of(from).buffer);
  bits[0] = bits[0]! + (to > from === from > 0 ? 1n : -1n);
  return new Float64Array(bits.buffer)[0]!;
}

/** J s for a column-major J with s.length columns. */
export function times(jac: Float64Array, s: Float64Array): Float64Array {
  const m = jac.length / s.length;
  const out = new Float64Array(m);
  for (let k = 0; k < s.length; k++) for (let i = 0; i < m; i++) out[i] = out[i]! + jac[k * m + i]! * s[k]!;
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}
