/**
 * Building blocks of a bounded least-squares trust-region method, as scipy.optimize._lsq.common has them
 * (see src/eis/trust-region-reflective.ts): More's step on an SVD, the quadratic model along a line,
 * steps to the bounds and to the trust-region edge, and keeping a point strictly inside the bounds.
 */

import { choleskyInPlace, choleskySolveInPlace, forwardSubstitute } from './cholesky';
import { negated, product, scaled } from './vectors';

const EPS = 2 ** -52;

/**
 * What More's iteration needs of the trust-region system min |J p + f|: whether J has full rank, |J^T f|,
 * the Gauss-Newton step, and for p(alpha) = -(J^T J + alpha I)^-1 J^T f its norm with
 * p^T (J^T J + alpha I)^-1 p (the norm's slope in alpha is minus that over the norm), and the step itself.
 */
type StepSystem = {
  readonly fullRank: boolean;
  readonly jtfNorm: number;
  gaussNewton(): Float64Array;
  normAndCurvature(alpha: number): { pNorm: number; curvature: number };
  step(alpha: number): Float64Array;
};

/**
 * More's step for min |J p + f| with |p| <= delta: the Gauss-Newton step if it fits, else p(alpha) with
 * |p| = delta to 1 %, alpha found by his safeguarded Newton iteration from `initialAlpha`.
 */
function moreStep(
  system: StepSystem,
  delta: number,
  initialAlpha: number,
): { p: Float64Array; alpha: number } {
  const phiAndSlope = (alpha: number) => {
    const { pNorm, curvature } = system.normAndCurvature(alpha);
    return { phi: pNorm - delta, slope: -curvature / pNorm };
  };
  const fullRank = system.fullRank;
  if (fullRank) {
    const p = system.gaussNewton();
    if (norm(p) <= delta) return { p, alpha: 0 };
  }
  let upper = system.jtfNorm / delta;
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
  const p = system.step(alpha);
  // Exactly on the boundary, so rounding cannot put it outside (the reflection needs it inside).
  const scale = delta / norm(p);
  return { p: scaled(p, scale), alpha };
}

/**
 * More's step from the thin SVD J = U S V^T of the n-column Jacobian of m residuals, as scipy computes
 * it. `suf` is S U^T f, `s` the singular values (descending), `v` V column-major.
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
  return moreStep(
    {
      fullRank: m >= n && s[n - 1]! > EPS * m * s[0]!,
      jtfNorm: norm(suf),
      gaussNewton: () => combine(suf.map((x, k) => x / s[k]! / s[k]!)),
      normAndCurvature: (alpha) => {
        const w = suf.map((x, k) => x / (s[k]! ** 2 + alpha));
        let sum = 0;
        for (let k = 0; k < n; k++) sum += suf[k]! ** 2 / (s[k]! ** 2 + alpha) ** 3;
        return { pNorm: norm(w), curvature: sum };
      },
      step: (alpha) => combine(suf.map((x, k) => x / (s[k]! ** 2 + alpha))),
    },
    delta,
    initialAlpha,
  );
}

/**
 * More's step from the normal equations: h = J^T J (row-major n x n) and jtf = J^T f, a Cholesky solve
 * per alpha instead of an SVD. Full rank is judged from the Cholesky pivots, not the singular values.
 */
export function trustRegionStepFromNormal(
  n: number,
  m: number,
  h: Float64Array,
  jtf: Float64Array,
  delta: number,
  initialAlpha: number,
): { p: Float64Array; alpha: number } {
  let largest = 0;
  for (let k = 0; k < n; k++) largest = Math.max(largest, h[k * n + k]!);
  const factor = new Float64Array(n * n);
  /** p(alpha) into a fresh array and L^-1 p into work; false when h + alpha I is not positive definite. */
  const solve = (alpha: number, pivotFloor: number, work: Float64Array | null) => {
    factor.set(h);
    for (let k = 0; k < n; k++) factor[k * n + k] = factor[k * n + k]! + alpha;
    if (!choleskyInPlace(factor, n, pivotFloor)) return null;
    const p = negated(jtf);
    choleskySolveInPlace(factor, n, p);
    if (work) {
      // |L^-1 p|^2 = p^T (h + alpha I)^-1 p.
      work.set(p);
      forwardSubstitute(factor, n, work);
    }
    return p;
  };
  // As the SVD's test s_min > eps m s_max, on the pivots: lambda_min > (eps m)^2 lambda_max.
  const gaussNewton = m >= n ? solve(0, (EPS * m) ** 2 * largest, null) : null;
  const work = new Float64Array(n);
  return moreStep(
    {
      fullRank: gaussNewton !== null,
      jtfNorm: norm(jtf),
      gaussNewton: () => gaussNewton!,
      normAndCurvature: (alpha) => {
        const p = solve(alpha, 0, work);
        return p
          ? { pNorm: norm(p), curvature: dot(work, work) }
          : { pNorm: Number.NaN, curvature: Number.NaN };
      },
      step: (alpha) => solve(alpha, 0, null) ?? new Float64Array(n).fill(Number.NaN),
    },
    delta,
    initialAlpha,
  );
}

/**
 * (J s) . (J t) for the model's Jacobian J: from J itself (jacobianProducts) or from J^T J
 * (gramProducts), which costs n^2 instead of m n per product.
 */
export type JacobianProducts = (s: Float64Array, t: Float64Array) => number;

/** Products through a column-major J with m rows; J s is formed once when s and t are the same. */
export function jacobianProducts(jac: Float64Array): JacobianProducts {
  return (s, t) => {
    const js = times(jac, s);
    return s === t ? dot(js, js) : dot(js, times(jac, t));
  };
}

/** Products through J^T J (row-major n x n) of J D for D = diag(d): (J D s) . (J D t). */
export function gramProducts(jtj: Float64Array, d: Float64Array): JacobianProducts {
  const n = d.length;
  return (s, t) => {
    let sum = 0;
    for (let a = 0; a < n; a++) {
      let row = 0;
      for (let b = 0; b < n; b++) row += jtj[a * n + b]! * d[b]! * t[b]!;
      sum += d[a]! * s[a]! * row;
    }
    return sum;
  };
}

/** 0.5 |J s|^2 + 0.5 s^T diag s + g^T s: the model's change for step s. */
export function quadratic(
  jac: JacobianProducts,
  g: Float64Array,
  s: Float64Array,
  diag: Float64Array,
): number {
  const sDiag = product(s, diag);
  return 0.5 * (jac(s, s) + dot(sDiag, s)) + dot(s, g);
}

/** The same model along s0 + t s, as a t^2 + b t + c. */
export function lineQuadratic(
  jac: JacobianProducts,
  g: Float64Array,
  s: Float64Array,
  diag: Float64Array,
  s0?: Float64Array,
) {
  const sDiag = product(s, diag);
  let a = jac(s, s);
  a += dot(sDiag, s);
  a *= 0.5;
  let b = dot(g, s);
  let c = 0;
  if (s0) {
    b += jac(s0, s);
    c = 0.5 * jac(s0, s0) + dot(g, s0);
    const s0Diag = product(s0, diag);
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
  const n = x.length;
  const steps = new Float64Array(n);
  let step = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    const xk = x[k]!;
    const sk = s[k]!;
    steps[k] = sk === 0 ? Number.POSITIVE_INFINITY : Math.max((lb[k]! - xk) / sk, (ub[k]! - xk) / sk);
    step = Math.min(step, steps[k]!);
  }
  const hits = new Int8Array(n);
  for (let k = 0; k < n; k++) hits[k] = steps[k] === step ? Math.sign(s[k]!) : 0;
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
