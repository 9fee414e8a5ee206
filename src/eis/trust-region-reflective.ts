/**
 * Trust Region Reflective least squares within bounds, ported from scipy.optimize.least_squares
 * (method 'trf': scipy/optimize/_lsq/trf.py trf_bounds and common.py) with the settings curve_fit, and so
 * impedance.py, uses by default: x_scale 1, linear loss, the exact trust-region solver on an SVD, and a
 * forward-difference Jacobian. Branch, Coleman & Li (1999) for the scaling and reflection; More (1977)
 * for the trust-region step.
 *
 * It is here to reproduce impedance.py's fits, where they stop included: scipy's gtol test can end the
 * run while it still creeps along a flat valley. levenberg-marquardt.ts goes on to the minimum.
 * It works in parameter space, so the steps, the bounds and the finite differences are scipy's.
 */
import { gramInPlace } from '../linalg/gram';
import { svdWithProjection } from '../linalg/thin-svd';
import {
  dot,
  gramProducts,
  intersectTrustRegion,
  type JacobianProducts,
  jacobianProducts,
  lineQuadratic,
  minimizeOnInterval,
  norm,
  quadratic,
  stepToBound,
  strictlyFeasible,
  trustRegionStep,
  trustRegionStepFromNormal,
} from '../linalg/trust-region';
import { negated, product, scaled, scaledSum, sum } from '../linalg/vectors';

export type ResidualProblem = {
  readonly nVars: number;
  readonly nResiduals: number;
  /** Writes r(x) into r. */
  residuals(x: Float64Array, r: Float64Array): void;
  /** Writes r(x) into r and dr_i/dx_k into jac[k * nResiduals + i]: needed for jacobian 'analytic'. */
  residualsAndJacobian?(x: Float64Array, r: Float64Array, jac: Float64Array): void;
};

export type TrfOptions = {
  readonly lower: ArrayLike<number>;
  readonly upper: ArrayLike<number>;
  /** scipy's defaults: 1e-8 each. */
  readonly ftol?: number;
  readonly xtol?: number;
  readonly gtol?: number;
  /** scipy's max_nfev: the start and trial points, not the Jacobian's; 100 per variable by default. */
  readonly maxEvaluations?: number;
  /**
   * 'forward-differences' (default): scipy's own, so its iterates and its early stops are reproduced.
   * 'analytic': the problem's exact Jacobian, evaluated with the residual at every trial point, for a
   * run that takes scipy's path through the parameters at a fraction of the cost (no nVars extra
   * evaluations per Jacobian), if not to the last digit.
   */
  readonly jacobian?: 'forward-differences' | 'analytic';
};

export type TrfStopReason = 'gradient' | 'cost' | 'step' | 'max-evaluations' | 'not-finite';

export type TrfRun = {
  readonly x: Float64Array;
  /** 0.5 * sum of squared residuals at x. */
  readonly cost: number;
  readonly iterations: number;
  /** Residuals at the start and at trial points (scipy's nfev). */
  readonly evaluations: number;
  /** Finite-difference Jacobians (scipy's njev), nVars residual evaluations each; 0 with an analytic Jacobian. */
  readonly jacobians: number;
  readonly converged: boolean;
  readonly reason: TrfStopReason;
};

const EPS = 2 ** -52;
/** scipy's relative step for 2-point differences. */
const DIFF_STEP = Math.sqrt(EPS);

export function trustRegionReflective(
  problem: ResidualProblem,
  x0: ArrayLike<number>,
  options: TrfOptions,
): TrfRun {
  const n = problem.nVars;
  const m = problem.nResiduals;
  const lb = Float64Array.from(options.lower);
  const ub = Float64Array.from(options.upper);
  const ftol = options.ftol ?? 1e-8;
  const xtol = options.xtol ?? 1e-8;
  const gtol = options.gtol ?? 1e-8;
  const maxNfev = options.maxEvaluations ?? 100 * n;

  // least_squares moves a start on a bound just inside before it begins.
  let x = strictlyFeasible(Float64Array.from(x0), lb, ub, 1e-10);
  let f = new Float64Array(m);
  let fNew = new Float64Array(m);
  let jac = new Float64Array(m * n);
  let jacNew = new Float64Array(m * n);
  const exact = options.jacobian === 'analytic' ? problem.residualsAndJacobian?.bind(problem) : undefined;
  if (options.jacobian === 'analytic' && !exact)
    throw new Error('an analytic Jacobian needs residualsAndJacobian');
  if (exact) exact(x, f, jac);
  else problem.residuals(x, f);
  let nfev = 1;
  let cost = 0.5 * dot(f, f);
  const stop = (reason: TrfStopReason, iterations: number, njev: number): TrfRun => ({
    x,
    cost,
    iterations,
    evaluations: nfev,
    jacobians: njev,
    converged: reason === 'gradient' || reason === 'cost' || reason === 'step',
    reason,
  });
  if (!Number.isFinite(cost)) return stop('not-finite', 0, 0);
  // The SVD's buffers, or with J^T J the normal matrix of the step.
  const jacH = exact ? null : new Float64Array(m * n);
  const augmented = exact ? null : new Float64Array((m + n) * n);
  const fAugmented = exact ? null : new Float64Array(m + n);
  const h = new Float64Array(n * n);
  const d = new Float64Array(n);
  let njev = 0;
  if (!exact) {
    forwardDifferences(problem, x, f, lb, ub, jac, fNew);
    njev++;
  }
  // With the exact Jacobian, J^T J as well: the steps then come from the normal equations.
  const jtj = exact ? new Float64Array(n * n) : null;
  let g: Float64Array = new Float64Array(n);
  if (jtj) gramInPlace(jac, m, n, f, jtj, g);
  else g = gradient(jac, f, n);

  let v = scalingVector(x, g, lb, ub).v;
  let delta = norm(x.map((xk, k) => xk / Math.sqrt(v[k]!)));
  if (delta === 0) delta = 1;
  let alpha = 0; // the Levenberg-Marquardt parameter, carried between trust-region solves
  let reason: TrfStopReason | null = null;
  let iteration = 0;
  for (;;) {
    const cl = scalingVector(x, g, lb, ub);
    v = cl.v;
    let gNorm = 0;
    for (let k = 0; k < n; k++) gNorm = Math.max(gNorm, Math.abs(g[k]! * v[k]!));
    if (gNorm < gtol) reason = 'gradient';
    if (reason !== null || nfev >= maxNfev) break;

    // "Hat" space: x = D x_h with D = diag(v^0.5); J_h = J D, and diag_h = g dv from the derivative of v.
    for (let k = 0; k < n; k++) d[k] = Math.sqrt(v[k]!);
    const diagH = product(g, cl.dv);
    const gH = product(g, d);
    // The trust-region step in hat space, for min |[J_h; diag(diag_h)^0.5] p + [f; 0]|: scipy's SVD of
    // the augmented matrix, or, with J^T J at hand, Cholesky solves of its normal equations.
    let products: JacobianProducts;
    let trStep: (delta: number, alpha: number) => { p: Float64Array; alpha: number };
    if (jtj) {
      products = gramProducts(jtj, d);
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) h[a * n + b] = d[a]! * jtj[a * n + b]! * d[b]!;
        h[a * n + a] = h[a * n + a]! + diagH[a]!;
      }
      trStep = (delta, alpha) => trustRegionStepFromNormal(n, m, h, gH, delta, alpha);
    } else {
      const [jh, aug, fAug] = [jacH!, augmented!, fAugmented!];
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < m; i++) jh[k * m + i] = jac[k * m + i]! * d[k]!;
      }
      products = jacobianProducts(jh);
      aug.fill(0);
      for (let k = 0; k < n; k++) {
        aug.set(jh.subarray(k * m, (k + 1) * m), k * (m + n));
        aug[k * (m + n) + m + k] = Math.sqrt(diagH[k]!);
      }
      // s * U^T [f; 0]: the columns of U S against f.
      fAug.set(f);
      const svd = svdWithProjection(aug, m + n, n, fAug);
      trStep = (delta, alpha) => trustRegionStep(n, m, svd.projected, svd.values, svd.v, delta, alpha);
    }
    // How far short of a bound a step stops: closer once the gradient is nearly zero.
    const theta = Math.max(0.995, 1 - gNorm);

    let actualReduction = -1;
    let xNew = x;
    let costNew = cost;
    while (actualReduction <= 0 && nfev < maxNfev) {
      const tr = trStep(delta, alpha);
      alpha = tr.alpha;
      const p = product(tr.p, d);
      const chosen = selectStep(x, products, diagH, gH, p, tr.p, d, delta, lb, ub, theta);
      xNew = strictlyFeasible(sum(x, chosen.step), lb, ub, 0);
      if (exact) exact(xNew, fNew, jacNew);
      else problem.residuals(xNew, fNew);
      nfev++;
      const stepHNorm = norm(chosen.stepH);
      if (!allFinite(fNew)) {
        delta = 0.25 * stepHNorm;
        continue;
      }
      costNew = 0.5 * dot(fNew, fNew);
      actualReduction = cost - costNew;
      const updated = updateRadius(
        delta,
        actualReduction,
        chosen.predicted,
        stepHNorm,
        stepHNorm > 0.95 * delta,
      );
      reason = termination(actualReduction, cost, norm(chosen.step), norm(x), updated.ratio, ftol, xtol);
      if (reason !== null) break;
      alpha *= delta / updated.delta;
      delta = updated.delta;
    }
    if (actualReduction > 0) {
      x = xNew;
      [f, fNew] = [fNew, f];
      cost = costNew;
      if (jtj) {
        [jac, jacNew] = [jacNew, jac];
        gramInPlace(jac, m, n, f, jtj, g);
      } else {
        forwardDifferences(problem, x, f, lb, ub, jac, fNew);
        njev++;
        g = gradient(jac, f, n);
      }
    }
    iteration++;
  }
  return stop(reason ?? 'max-evaluations', iteration, njev);
}

/**
 * scipy's approx_derivative, '2-point' with bounds: step sqrt(eps) max(1, |x|) with the sign of x,
 * turned round when it would leave the bounds, divided by the step as actually represented.
 */
function forwardDifferences(
  problem: ResidualProblem,
  x: Float64Array,
  f: Float64Array,
  lb: Float64Array,
  ub: Float64Array,
  jac: Float64Array,
  work: Float64Array,
): void {
  const m = f.length;
  const xh = Float64Array.from(x);
  for (let k = 0; k < x.length; k++) {
    const xk = x[k]!;
    let h = DIFF_STEP * (xk >= 0 ? 1 : -1) * Math.max(1, Math.abs(xk));
    const below = xk - lb[k]!;
    const above = ub[k]! - xk;
    if (Math.abs(h) <= Math.max(below, above)) {
      if (xk + h < lb[k]! || xk + h > ub[k]!) h = -h;
    } else {
      h = above >= below ? above : -below;
    }
    xh[k] = xk + h;
    problem.residuals(xh, work);
    const dx = xk + h - xk;
    for (let i = 0; i < m; i++) jac[k * m + i] = (work[i]! - f[i]!) / dx;
    xh[k] = xk;
  }
}

/**
 * The Coleman-Li scaling: v is the distance to the bound the anti-gradient points at (1 if there is none),
 * dv its derivative in x.
 */
function scalingVector(x: Float64Array, g: Float64Array, lb: Float64Array, ub: Float64Array) {
  const v = new Float64Array(x.length).fill(1);
  const dv = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) {
    if (g[k]! < 0 && Number.isFinite(ub[k]!)) {
      v[k] = ub[k]! - x[k]!;
      dv[k] = -1;
    }
    if (g[k]! > 0 && Number.isFinite(lb[k]!)) {
      v[k] = x[k]! - lb[k]!;
      dv[k] = 1;
    }
  }
  return { v, dv };
}

type Step = { step: Float64Array; stepH: Float64Array; predicted: number };

/**
 * The best of three, by the model's predicted reduction: the trust-region step (stopped short of the
 * first bound it crosses), that step reflected off the bound, and the Cauchy step along -g_h.
 */
function selectStep(
  x: Float64Array,
  jacH: JacobianProducts,
  diagH: Float64Array,
  gH: Float64Array,
  p: Float64Array,
  pH: Float64Array,
  d: Float64Array,
  delta: number,
  lb: Float64Array,
  ub: Float64Array,
  theta: number,
): Step {
  const n = x.length;
  const xp = sum(x, p);
  let inside = true;
  for (let k = 0; k < n; k++) if (!(xp[k]! >= lb[k]! && xp[k]! <= ub[k]!)) inside = false;
  if (inside) {
    return { step: p, stepH: pH, predicted: -quadratic(jacH, gH, pH, diagH) };
  }
  const toFirst = stepToBound(x, p, lb, ub);
  let rH: Float64Array = Float64Array.from(pH);
  for (let k = 0; k < n; k++) if (toFirst.hits[k] !== 0) rH[k] = -rH[k]!;
  let r = product(rH, d);
  const pStride = toFirst.step;
  const pc = scaled(p, pStride);
  const pHc = scaled(pH, pStride);
  const onBound = sum(x, pc);

  // The reflected direction leaves either the feasible region or the trust region first.
  const toTr = intersectTrustRegion(pHc, rH, delta);
  const toBound = stepToBound(onBound, r, lb, ub).step;
  const rStride = Math.min(toBound, toTr);
  let rLower = 0;
  let rUpper = -1;
  if (rStride > 0) {
    rLower = ((1 - theta) * pStride) / rStride;
    rUpper = rStride === toBound ? theta * toBound : toTr;
  }
  let rValue = Number.POSITIVE_INFINITY;
  if (rLower <= rUpper) {
    const q = lineQuadratic(jacH, gH, rH, diagH, pHc);
    const best = minimizeOnInterval(q.a, q.b, rLower, rUpper, q.c);
    rH = scaledSum(rH, best.t, pHc);
    r = product(rH, d);
    rValue = best.y;
  }

  // The trust-region step, pulled back from the bound so the iterate stays strictly inside.
  const pt = scaled(pc, theta);
  const pHt = scaled(pHc, theta);
  const pValue = quadratic(jacH, gH, pHt, diagH);

  const agH = negated(gH);
  const ag = product(agH, d);
  const agToTr = delta / norm(agH);
  const agToBound = stepToBound(x, ag, lb, ub).step;
  const agLimit = agToBound < agToTr ? theta * agToBound : agToTr;
  const q = lineQuadratic(jacH, gH, agH, diagH);
  const agBest = minimizeOnInterval(q.a, q.b, 0, agLimit, 0);
  const agValue = agBest.y;

  if (pValue < rValue && pValue < agValue) return { step: pt, stepH: pHt, predicted: -pValue };
  if (rValue < pValue && rValue < agValue) return { step: r, stepH: rH, predicted: -rValue };
  return { step: scaled(ag, agBest.t), stepH: scaled(agH, agBest.t), predicted: -agValue };
}

/** Trust-region radius: a quarter of the step after a poor one, doubled after a good one that reached the edge. */
function updateRadius(delta: number, actual: number, predicted: number, stepNorm: number, boundHit: boolean) {
  let ratio = 0;
  if (predicted > 0) ratio = actual / predicted;
  else if (predicted === 0 && actual === 0) ratio = 1;
  if (ratio < 0.25) return { delta: 0.25 * stepNorm, ratio };
  if (ratio > 0.75 && boundHit) return { delta: delta * 2, ratio };
  return { delta, ratio };
}

/** scipy's check_termination; when ftol and xtol hold at once (its status 4) this says 'cost'. */
function termination(
  reduction: number,
  cost: number,
  stepNorm: number,
  xNorm: number,
  ratio: number,
  ftol: number,
  xtol: number,
): TrfStopReason | null {
  if (reduction < ftol * cost && ratio > 0.25) return 'cost';
  if (stepNorm < xtol * (xtol + xNorm)) return 'step';
  return null;
}

/** As every(Number.isFinite), without a call per residual. */
function allFinite(f: Float64Array): boolean {
  for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i]!)) return false;
  return true;
}

/** J^T f for a column-major J. */
function gradient(jac: Float64Array, f: Float64Array, n: number): Float64Array {
  const m = f.length;
  return Float64Array.from({ length: n }, (_, k) => dot(jac.subarray(k * m, (k + 1) * m), f));
}
