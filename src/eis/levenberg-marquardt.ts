/**
 * Levenberg-Marquardt for small dense least-squares problems (a handful of variables, a few hundred
 * residuals), as in Madsen, Nielsen & Tingleff, "Methods for non-linear least squares problems" (2004):
 * Marquardt's diagonal scaling, Nielsen's damping update, Cholesky on the normal equations, and one
 * addition: where the steps shrink by a steady share along one direction (creepingTail), one trial at
 * the sum of the steps still to come.
 *
 * The residual and its Jacobian come from one call at each trial point (an analytic Jacobian costs
 * little more than the residual), so an iteration is one model evaluation. All buffers live in the
 * solver, which is reused across starts: an iteration allocates nothing.
 */
import { choleskyInPlace, choleskySolveInPlace } from '../linalg/cholesky';
import { gramInPlace } from '../linalg/gram';

export type LeastSquaresProblem = {
  readonly nVars: number;
  readonly nResiduals: number;
  /** Writes r(x) into r and, column-major, dr_i/dx_k into jac[k * nResiduals + i]. */
  evaluate(x: Float64Array, r: Float64Array, jac: Float64Array): void;
};

export type StopReason = 'gradient' | 'step' | 'cost' | 'max-iterations' | 'not-finite';

export type LmOptions = {
  readonly maxIterations: number;
  /** Stop when an accepted step lowers the cost by less than ftol times the cost. */
  readonly ftol: number;
  /** Stop when the step is below xtol (|x| + xtol) in every variable. */
  readonly xtol: number;
  /** Stop when the scaled gradient's largest entry is below gtol. */
  readonly gtol: number;
};

export const DEFAULT_LM_OPTIONS: LmOptions = { maxIterations: 400, ftol: 1e-12, xtol: 1e-10, gtol: 1e-10 };

export type LmRun = {
  /** 0.5 * sum of squared residuals at x. */
  readonly cost: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly converged: boolean;
  readonly reason: StopReason;
};

/** Creeping (see creepingTail): successive steps this close in direction, each this share of the last. */
const CREEP_COSINE = 0.99;
const CREEP_SHARE_MIN = 0.5;
const CREEP_SHARE_MAX = 0.95;

export class LevenbergMarquardt {
  /** The current (best) point; read after run(). */
  readonly x: Float64Array;
  /** Residuals at x. */
  r: Float64Array;
  /** Jacobian at x, column-major. */
  jac: Float64Array;
  private rTrial: Float64Array;
  private jacTrial: Float64Array;
  private readonly xTrial: Float64Array;
  private readonly jtj: Float64Array;
  private readonly g: Float64Array;
  private readonly diag: Float64Array;
  private readonly a: Float64Array;
  private readonly step: Float64Array;
  private readonly previousStep: Float64Array;

  constructor(private readonly problem: LeastSquaresProblem) {
    const m = problem.nVars;
    const n = problem.nResiduals;
    this.x = new Float64Array(m);
    this.xTrial = new Float64Array(m);
    this.r = new Float64Array(n);
    this.rTrial = new Float64Array(n);
    this.jac = new Float64Array(n * m);
    this.jacTrial = new Float64Array(n * m);
    this.jtj = new Float64Array(m * m);
    this.g = new Float64Array(m);
    this.diag = new Float64Array(m);
    this.a = new Float64Array(m * m);
    this.step = new Float64Array(m);
    this.previousStep = new Float64Array(m);
  }

  run(x0: ArrayLike<number>, options: LmOptions = DEFAULT_LM_OPTIONS): LmRun {
    const m = this.problem.nVars;
    this.x.set(x0);
    this.problem.evaluate(this.x, this.r, this.jac);
    let evaluations = 1;
    let cost = halfSquaredNorm(this.r);
    if (!Number.isFinite(cost))
      return { cost, iterations: 0, evaluations, converged: false, reason: 'not-finite' };
    if (m === 0) return { cost, iterations: 0, evaluations, converged: true, reason: 'gradient' };
    this.normalEquations();
    this.previousStep.fill(0);
    let mu = 1e-3;
    let nu = 2;
    let iterations = 0;
    while (iterations < options.maxIterations) {
      if (this.scaledGradient() < options.gtol) {
        return { cost, iterations, evaluations, converged: true, reason: 'gradient' };
      }
      iterations++;
      if (!this.solveDamped(mu)) {
        mu *= nu;
        nu *= 2;
        continue;
      }
      let small = true;
      for (let k = 0; k < m; k++) {
        const xk = this.x[k]!;
        if (Math.abs(this.step[k]!) > options.xtol * (Math.abs(xk) + options.xtol)) small = false;
        this.xTrial[k] = xk + this.step[k]!;
      }
      if (small) return { cost, iterations, evaluations, converged: true, reason: 'step' };
      this.problem.evaluate(this.xTrial, this.rTrial, this.jacTrial);
      evaluations++;
      const trialCost = halfSquaredNorm(this.rTrial);
      // Gain ratio: actual over predicted reduction; predicted = 0.5 step . (mu D step - g).
      let predicted = 0;
      for (let k = 0; k < m; k++)
        predicted += this.step[k]! * (mu * this.diag[k]! * this.step[k]! - this.g[k]!);
      predicted *= 0.5;
      const rho = Number.isFinite(trialCost) && predicted > 0 ? (cost - trialCost) / predicted : -1;
      if (rho > 0) {
        this.acceptTrial();
        let reduction = cost - trialCost;
        cost = trialCost;
        const t = 2 * rho - 1;
        mu *= Math.max(1 / 3, 1 - t * t * t);
        nu = 2;
        const tail = this.creepingTail();
        if (tail > 0) {
          // The rest of the geometric series of steps in one trial, kept only if it lowers the cost.
          for (let k = 0; k < m; k++) this.xTrial[k] = this.x[k]! + tail * this.step[k]!;
          this.problem.evaluate(this.xTrial, this.rTrial, this.jacTrial);
          evaluations++;
          const jumpCost = halfSquaredNorm(this.rTrial);
          if (jumpCost < cost) {
            this.acceptTrial();
            reduction += cost - jumpCost;
            cost = jumpCost;
            this.previousStep.fill(0);
          }
        }
        this.normalEquations();
        if (reduction <= options.ftol * cost) {
          return { cost, iterations, evaluations, converged: true, reason: 'cost' };
        }
      } else {
        mu *= nu;
        nu *= 2;
        if (mu > 1e30) return { cost, iterations, evaluations, converged: true, reason: 'step' };
      }
    }
    return { cost, iterations, evaluations, converged: false, reason: 'max-iterations' };
  }

  /** The trial point becomes the current one, with its residuals and Jacobian (swapped, not copied). */
  private acceptTrial(): void {
    this.x.set(this.xTrial);
    [this.r, this.rTrial] = [this.rTrial, this.r];
    [this.jac, this.jacTrial] = [this.jacTrial, this.jac];
  }

  /** J^T J, g = J^T r and Marquardt's scaling diag(J^T J) with a floor. */
  private normalEquations(): void {
    const { nVars: m, nResiduals: n } = this.problem;
    const jtj = this.jtj;
    gramInPlace(this.jac, n, m, this.r, jtj, this.g);
    let maxDiag = 0;
    for (let a = 0; a < m; a++) maxDiag = Math.max(maxDiag, jtj[a * m + a]!);
    // A variable the data cannot see still gets damping, so the system stays positive definite.
    const floor = Math.max(maxDiag * 1e-12, 1e-300);
    for (let a = 0; a < m; a++) this.diag[a] = Math.max(jtj[a * m + a]!, floor);
  }

  /**
   * After an accepted step: where it points along the step before (cosine above CREEP_COSINE) and is
   * shorter by a steady share q, Gauss-Newton is creeping along a valley whose curvature the residuals'
   * own second derivatives set (a fit with a misfit of a few percent, along a flat direction), converging
   * linearly; the steps still to come then sum to q / (1 - q) of this one. Returns that multiple (0 when
   * not creeping) and keeps the step for the next call.
   */
  private creepingTail(): number {
    const m = this.problem.nVars;
    let ss = 0;
    let sp = 0;
    let pp = 0;
    for (let k = 0; k < m; k++) {
      const sk = this.step[k]!;
      const pk = this.previousStep[k]!;
      ss += sk * sk;
      sp += sk * pk;
      pp += pk * pk;
    }
    this.previousStep.set(this.step);
    if (!(pp > 0) || sp < CREEP_COSINE * Math.sqrt(ss * pp)) return 0;
    const q = Math.sqrt(ss / pp);
    return q >= CREEP_SHARE_MIN && q <= CREEP_SHARE_MAX ? q / (1 - q) : 0;
  }

  /** max_k |g_k| / sqrt(D_k (2 cost)): the gradient relative to the residual's size, scale-free. */
  private scaledGradient(): number {
    const m = this.problem.nVars;
    const rr = 2 * halfSquaredNorm(this.r);
    if (rr === 0) return 0;
    let worst = 0;
    for (let k = 0; k < m; k++) worst = Math.max(worst, Math.abs(this.g[k]!) / Math.sqrt(this.diag[k]! * rr));
    return worst;
  }

  /** Solves (J^T J + mu D) step = -g by Cholesky; false if the matrix is not positive definite. */
  private solveDamped(mu: number): boolean {
    const m = this.problem.nVars;
    const a = this.a;
    a.set(this.jtj);
    for (let k = 0; k < m; k++) a[k * m + k] = a[k * m + k]! + mu * this.diag[k]!;
    if (!choleskyInPlace(a, m)) return false;
    for (let k = 0; k < m; k++) this.step[k] = -this.g[k]!;
    choleskySolveInPlace(a, m, this.step);
    return true;
  }
}

function halfSquaredNorm(r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * r[i]!;
  return 0.5 * s;
}
