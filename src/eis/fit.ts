/**
 * Complex nonlinear least squares: fits a circuit to a spectrum by Levenberg-Marquardt on the stacked
 * real and imaginary residuals, w_re (Re Z_fit - Re Z) and w_im (Im Z_fit - Im Z), in internal variables
 * that enforce the bounds (parameter-transform.ts). Without an initial guess, it scouts from guesses
 * read off the spectrum plus seeded random starts (initial-guess.ts) and polishes the best.
 * With method 'trf' the polish is scipy's bounded Trust Region Reflective (trust-region-reflective.ts)
 * in parameter space instead, to reproduce impedance.py's results.
 */
import { choleskyInPlace, choleskySolveInPlace } from '../linalg/cholesky';
import { seededRandom } from '../random';
import { angularFrequencies, type Circuit, CircuitEvaluator, type CircuitNode } from './circuit';
import { arcCount, arcVariants, guessParameters, perturbed } from './initial-guess';
import { LevenbergMarquardt, type StopReason } from './levenberg-marquardt';
import { outOfBounds, parameterSlope, toInternal, toParameter } from './parameter-transform';
import type { Spectrum } from './spectrum';
import { spectrumFeatures } from './spectrum-features';
import { type TrfStopReason, trustRegionReflective } from './trust-region-reflective';

/**
 * unit: w = 1 (impedance.py's default). modulus: w = 1/|Z|, so every decade of |Z| counts alike.
 * proportional: w_re = 1/|Re Z| and w_im = 1/|Im Z|, each floored at 1 % of |Z| so a point on the real
 * axis does not take all the weight.
 */
export type Weighting = 'unit' | 'modulus' | 'proportional';

/**
 * lm: Levenberg-Marquardt to the least-squares minimum. trf: scipy's least_squares(method='trf') as
 * curve_fit runs it with bounds, so impedance.py's default fit, including where its gtol test stops.
 */
export type FitMethod = 'lm' | 'trf';

export type FitStopReason = StopReason | TrfStopReason;

export type FitOptions = {
  /** One value per free parameter, in parameterNames order (fixed ones left out, as impedance.py does). */
  readonly initialGuess?: ArrayLike<number>;
  /** Parameters held at a value, by name. */
  readonly fixed?: Readonly<Record<string, number>>;
  readonly weighting?: Weighting;
  /** Starts scouted when there is no initial guess. */
  readonly starts?: number;
  readonly seed?: number;
  /** The final run's method ('lm' by default); scouting without a guess is always LM. */
  readonly method?: FitMethod;
  /** LM: iterations (default 400). TRF: scipy's max_nfev, trial points (default 100 per free parameter). */
  readonly maxIterations?: number;
};

export type FittedParameter = {
  readonly name: string;
  readonly value: number;
  /** Standard error from the Jacobian at the solution; null when fixed or not identifiable. */
  readonly stderr: number | null;
  readonly unit: string;
  readonly fixed: boolean;
};

export type FitResult = {
  readonly circuit: string;
  readonly weighting: Weighting;
  readonly method: FitMethod;
  readonly parameters: readonly FittedParameter[];
  /** All parameter values in parameterNames order, fixed ones included. */
  readonly values: Float64Array;
  /** Correlation matrix of the free parameters, in order; NaN where not identifiable. */
  readonly correlation: readonly (readonly number[])[];
  /** Z_fit - Z at each data point (Ohm). */
  readonly residualRe: Float64Array;
  readonly residualIm: Float64Array;
  /** Root mean square of the stacked real and imaginary residuals (Ohm, unweighted). */
  readonly rmse: number;
  /**
   * Root mean square of the stacked relative residuals (Re Z_fit - Re Z)/|Z| and (Im Z_fit - Im Z)/|Z|:
   * the fit's error relative to the data, scale-free, stacked like rmse and the KK test's residuals.
   */
  readonly rmsRelative: number;
  readonly iterations: number;
  /**
   * Model evaluations over all starts: LM's each come with the analytic Jacobian; TRF's include the one
   * per free parameter that each finite-difference Jacobian takes.
   */
  readonly evaluations: number;
  readonly starts: number;
  readonly converged: boolean;
  readonly reason: FitStopReason;
};

/** Scouting without a guess: iterations for every start in the first round, doubling for each half kept. */
const SCOUT_FIRST_ITERATIONS = 8;
const SCOUT_FINALISTS = 4;
const SCOUT_ITERATIONS = 40;

/**
 * What a fit accepts: far beyond any instrument (uHz to THz, 1e100 Ohm) yet inside the range where
 * omega, |Z|^2 and their products stay finite in double precision.
 */
const MIN_FREQUENCY_HZ = 1e-12;
const MAX_FREQUENCY_HZ = 1e15;
const MAX_IMPEDANCE_OHM = 1e100;

export class FitInputError extends Error {
  override name = 'FitInputError';
}

export function fitCircuit(circuit: Circuit, spectrum: Spectrum, options: FitOptions = {}): FitResult {
  const names = circuit.parameterNames;
  const kinds = circuit.parameterKinds;
  const n = spectrum.fHz.length;
  const fixedValues = new Map<number, number>();
  for (const [name, value] of Object.entries(options.fixed ?? {})) {
    const k = names.indexOf(name);
    if (k < 0)
      throw new FitInputError(`fixed parameter '${name}' is not in ${circuit.text} (${names.join(', ')})`);
    const why = outOfBounds(kinds[k]!, value);
    if (why) throw new FitInputError(`fixed ${name} = ${value} ${why}`);
    fixedValues.set(k, value);
  }
  const free = names.map((_, k) => k).filter((k) => !fixedValues.has(k));
  if (n === 0) throw new FitInputError('the spectrum has no points');
  if (2 * n < free.length) {
    throw new FitInputError(`${n} points cannot determine ${free.length} parameters`);
  }
  for (let i = 0; i < n; i++) {
    const f = spectrum.fHz[i]!;
    if (!(f >= MIN_FREQUENCY_HZ && f <= MAX_FREQUENCY_HZ)) {
      throw new FitInputError(
        `point ${i}: frequency ${f} Hz is outside ${MIN_FREQUENCY_HZ} to ${MAX_FREQUENCY_HZ} Hz`,
      );
    }
    const zr = spectrum.reOhm[i]!;
    const zi = spectrum.imOhm[i]!;
    if (!(Math.abs(zr) <= MAX_IMPEDANCE_OHM && Math.abs(zi) <= MAX_IMPEDANCE_OHM)) {
      throw new FitInputError(
        `point ${i} (${f} Hz): impedance ${zr} ${zi >= 0 ? '+' : '-'} ${Math.abs(zi)}j Ohm is not a finite value below ${MAX_IMPEDANCE_OHM} Ohm`,
      );
    }
  }

  const weighting = options.weighting ?? 'unit';
  const method = options.method ?? 'lm';
  const problem = new CircuitProblem(circuit, spectrum, free, weighting);
  const solver = new LevenbergMarquardt(problem);
  const withFixed = (p: Float64Array): Float64Array => {
    for (const [k, v] of fixedValues) p[k] = v;
    problem.fixedParams.set(p);
    return p;
  };
  const fullStart = (p: Float64Array): Float64Array =>
    Float64Array.from(free, (k) => toInternal(kinds[k]!, withFixed(p)[k]!));

  let starts: Float64Array[];
  if (options.initialGuess) {
    const guess = options.initialGuess;
    if (guess.length !== free.length) {
      throw new FitInputError(
        `initial guess has ${guess.length} values; ${circuit.text} has ${free.length} free parameters (${free.map((k) => names[k]).join(', ')})`,
      );
    }
    const p = new Float64Array(names.length);
    free.forEach((k, j) => {
      const why = outOfBounds(kinds[k]!, guess[j]!);
      if (why) throw new FitInputError(`initial guess for ${names[k]} = ${guess[j]} ${why}`);
      p[k] = guess[j]!;
    });
    starts = [p];
  } else {
    starts = automaticStarts(circuit, spectrum, options.starts ?? 12, options.seed ?? 1);
  }

  let iterations = 0;
  let evaluations = 0;
  let best: { cost: number; p: Float64Array } | null = null;
  const maxIterations = options.maxIterations ?? 400;
  const LM_TOLERANCES = lmTolerances(problem.nResiduals, free.length);
  if (starts.length > 1) {
    // Successive halving: every start gets a few iterations, the better half a few more, and so on;
    // LM sorts out within a handful of steps which basin a start lies in.
    let pool = starts.map((p) => ({ cost: Number.POSITIVE_INFINITY, p }));
    for (let round = 0; pool.length > 0; round++) {
      const budget = round === 0 ? SCOUT_FIRST_ITERATIONS : SCOUT_FIRST_ITERATIONS * 2 ** round;
      for (const entry of pool) {
        const run = solver.run(fullStart(entry.p), { ...LM_TOLERANCES, maxIterations: budget });
        iterations += run.iterations;
        evaluations += run.evaluations;
        entry.cost = Number.isFinite(run.cost) ? run.cost : Number.POSITIVE_INFINITY;
        entry.p = problem.parametersOf(solver.x);
        if (Number.isFinite(run.cost) && (!best || run.cost < best.cost))
          best = { cost: run.cost, p: entry.p };
      }
      if (pool.length <= SCOUT_FINALISTS || budget >= SCOUT_ITERATIONS) break;
      pool = pool
        .filter((e) => Number.isFinite(e.cost))
        .sort((a, b) => a.cost - b.cost)
        .slice(0, Math.max(SCOUT_FINALISTS, Math.ceil(pool.length / 2)));
    }
  }
  const polishFrom = best ? orderArcsByFrequency(circuit, best.p, spectrum) : starts[0]!;
  let run: { cost: number; converged: boolean; reason: FitStopReason };
  let values: Float64Array;
  if (method === 'trf') {
    const p = withFixed(Float64Array.from(polishFrom));
    const trf = trustRegionReflective(
      problem,
      free.map((k) => p[k]!),
      { ...problem.bounds(), maxEvaluations: options.maxIterations },
    );
    run = trf;
    values = problem.withFree(trf.x);
    iterations += trf.iterations;
    evaluations += trf.evaluations + trf.jacobians * free.length;
  } else {
    const lm = solver.run(fullStart(polishFrom), { ...LM_TOLERANCES, maxIterations });
    run = lm;
    values = problem.parametersOf(solver.x);
    iterations += lm.iterations;
    evaluations += lm.evaluations;
  }
  if (!Number.isFinite(run.cost)) {
    throw new FitInputError(
      `${circuit.text} cannot be evaluated on this spectrum from the starting values (try an initial guess)`,
    );
  }
  return summarise(circuit, problem, values, fixedValues, {
    weighting,
    method,
    iterations,
    evaluations,
    starts: starts.length,
    converged: run.converged,
    reason: run.reason,
    cost: run.cost,
  });
}

/**
 * Stop when an iteration lowers the sum of squares by less than STATISTICAL_TOLERANCE times the residual
 * variance s^2 = SSR / (2N - m): the parameters are then within about a hundredth of a standard error of
 * the minimum, even when LM creeps along a curved valley at a fifth of the remaining way per iteration.
 * Tighter than that only moves digits the data cannot support (and costs twice the iterations).
 */
const STATISTICAL_TOLERANCE = 1e-5;

function lmTolerances(nResiduals: number, nFree: number) {
  return { ftol: STATISTICAL_TOLERANCE / Math.max(1, nResiduals - nFree), xtol: 1e-10, gtol: 1e-10 };
}

function automaticStarts(circuit: Circuit, spectrum: Spectrum, total: number, seed: number): Float64Array[] {
  const features = spectrumFeatures(spectrum);
  const count = arcCount(circuit);
  // Arc sets from the -Im apexes and from the relaxation-time distribution: each sees what the other
  // can miss (a shoulder; a depressed arc the coarse distribution splits in two).
  const arcSets = [
    ...arcVariants(features.arcs, features, count),
    ...arcVariants(features.relaxationArcs, features, count),
  ];
  const seen = new Set<string>();
  const bases = arcSets
    .filter((arcs) => {
      const key = arcs.map((a) => `${a.fHz.toPrecision(2)}:${a.rOhm.toPrecision(2)}`).join(',');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((arcs) => guessParameters(circuit, features, arcs));
  const random = seededRandom(seed);
  const starts = [...bases];
  for (let i = 0; starts.length < Math.max(total, bases.length); i++) {
    starts.push(perturbed(circuit, bases[i % bases.length]!, random, 1));
  }
  return starts;
}

/** The weighted residual problem in internal variables u (one per free parameter). */
class CircuitProblem {
  readonly nVars: number;
  readonly nResiduals: number;
  /** Full parameter vector; free entries are overwritten from u on every evaluation. */
  readonly fixedParams: Float64Array;
  readonly evaluator: CircuitEvaluator;
  readonly omega: Float64Array;
  readonly re: Float64Array;
  readonly im: Float64Array;
  readonly wRe: Float64Array;
  readonly wIm: Float64Array;
  private readonly jacP: Float64Array;
  private readonly p: Float64Array;

  constructor(
    readonly circuit: Circuit,
    readonly spectrum: Spectrum,
    readonly free: readonly number[],
    weighting: Weighting,
  ) {
    const n = spectrum.fHz.length;
    const m = circuit.parameterNames.length;
    this.nVars = free.length;
    this.nResiduals = 2 * n;
    this.fixedParams = new Float64Array(m);
    this.p = new Float64Array(m);
    this.evaluator = new CircuitEvaluator(circuit);
    this.omega = angularFrequencies(spectrum.fHz);
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
    this.jacP = new Float64Array(2 * n * m);
    this.wRe = new Float64Array(n);
    this.wIm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const zr = spectrum.reOhm[i]!;
      const zi = spectrum.imOhm[i]!;
      const mod = Math.hypot(zr, zi) || 1;
      if (weighting === 'unit') {
        this.wRe[i] = 1;
        this.wIm[i] = 1;
      } else if (weighting === 'modulus') {
        this.wRe[i] = 1 / mod;
        this.wIm[i] = 1 / mod;
      } else {
        this.wRe[i] = 1 / Math.max(Math.abs(zr), 0.01 * mod);
        this.wIm[i] = 1 / Math.max(Math.abs(zi), 0.01 * mod);
      }
    }
  }

  parametersOf(u: Float64Array): Float64Array {
    const p = Float64Array.from(this.fixedParams);
    this.free.forEach((k, j) => {
      p[k] = toParameter(this.circuit.parameterKinds[k]!, u[j]!);
    });
    return p;
  }

  /** The full parameter vector with these values (parameter space, in order) for the free ones. */
  withFree(x: ArrayLike<number>): Float64Array {
    const p = Float64Array.from(this.fixedParams);
    this.free.forEach((k, j) => {
      p[k] = x[j]!;
    });
    return p;
  }

  /** Bounds of the free parameters in parameter space, as impedance.py's: lower 0, upper 1 for exponents. */
  bounds(): { lower: Float64Array; upper: Float64Array } {
    const kinds = this.circuit.parameterKinds;
    return {
      lower: new Float64Array(this.nVars),
      upper: Float64Array.from(this.free, (k) => (kinds[k] === 'exponent' ? 1 : Number.POSITIVE_INFINITY)),
    };
  }

  /** Weighted residuals at free parameters x in parameter space (the trust-region solver's view). */
  residuals(x: Float64Array, r: Float64Array): void {
    const p = this.p;
    p.set(this.fixedParams);
    for (let j = 0; j < this.free.length; j++) p[this.free[j]!] = x[j]!;
    this.evaluator.evaluate(p, this.omega, this.re, this.im);
    this.weightedResiduals(r);
  }

  /**
   * The weighted Jacobian in parameter space at the full vector p, free columns only, column-major; leaves
   * Z(p) in re and im.
   */
  parameterJacobian(p: Float64Array): Float64Array {
    this.evaluator.evaluate(p, this.omega, this.re, this.im, this.jacP);
    const n = this.re.length;
    const jac = new Float64Array(2 * n * this.nVars);
    this.free.forEach((k, j) => {
      for (let i = 0; i < n; i++) {
        jac[j * 2 * n + i] = this.jacP[k * 2 * n + i]! * this.wRe[i]!;
        jac[j * 2 * n + n + i] = this.jacP[k * 2 * n + n + i]! * this.wIm[i]!;
      }
    });
    return jac;
  }

  private weightedResiduals(r: Float64Array): void {
    const n = this.re.length;
    for (let i = 0; i < n; i++) {
      r[i] = this.wRe[i]! * (this.re[i]! - this.spectrum.reOhm[i]!);
      r[n + i] = this.wIm[i]! * (this.im[i]! - this.spectrum.imOhm[i]!);
    }
  }

  evaluate(u: Float64Array, r: Float64Array, jac: Float64Array): void {
    const p = this.p;
    const kinds = this.circuit.parameterKinds;
    const free = this.free;
    p.set(this.fixedParams);
    for (let j = 0; j < free.length; j++) p[free[j]!] = toParameter(kinds[free[j]!]!, u[j]!);
    this.evaluator.evaluate(p, this.omega, this.re, this.im, this.jacP);
    const n = this.re.length;
    this.weightedResiduals(r);
    for (let j = 0; j < free.length; j++) {
      const k = free[j]!;
      const slope = parameterSlope(kinds[k]!, p[k]!);
      const src = k * 2 * n;
      const dst = j * 2 * n;
      for (let i = 0; i < n; i++) {
        jac[dst + i] = this.jacP[src + i]! * this.wRe[i]! * slope;
        jac[dst + n + i] = this.jacP[src + n + i]! * this.wIm[i]! * slope;
      }
    }
  }
}

type RunSummary = {
  weighting: Weighting;
  method: FitMethod;
  iterations: number;
  evaluations: number;
  starts: number;
  converged: boolean;
  reason: FitStopReason;
  cost: number;
};

function summarise(
  circuit: Circuit,
  problem: CircuitProblem,
  values: Float64Array,
  fixedValues: Map<number, number>,
  run: RunSummary,
): FitResult {
  // The analytic Jacobian at the solution, whichever method got there; this also fills the model's Z.
  const jac = problem.parameterJacobian(values);
  const n = problem.re.length;
  const residualRe = new Float64Array(n);
  const residualIm = new Float64Array(n);
  let sumSq = 0;
  let sumRel = 0;
  for (let i = 0; i < n; i++) {
    const dr = problem.re[i]! - problem.spectrum.reOhm[i]!;
    const di = problem.im[i]! - problem.spectrum.imOhm[i]!;
    residualRe[i] = dr;
    residualIm[i] = di;
    sumSq += dr * dr + di * di;
    const z2 = problem.spectrum.reOhm[i]! ** 2 + problem.spectrum.imOhm[i]! ** 2;
    sumRel += (dr * dr + di * di) / z2;
  }
  const { stderr, correlation } = covariance(problem, jac, run.cost);
  let j = 0;
  const parameters = circuit.parameterNames.map((name, k) => {
    const fixed = fixedValues.has(k);
    const se = fixed ? null : stderr[j++]!;
    return {
      name,
      value: values[k]!,
      stderr: se !== null && Number.isFinite(se) ? se : null,
      unit: circuit.parameterUnits[k]!,
      fixed,
    };
  });
  return {
    circuit: circuit.text,
    weighting: run.weighting,
    method: run.method,
    parameters,
    values,
    correlation,
    residualRe,
    residualIm,
    rmse: Math.sqrt(sumSq / (2 * n)),
    rmsRelative: Math.sqrt(sumRel / (2 * n)),
    iterations: run.iterations,
    evaluations: run.evaluations,
    starts: run.starts,
    converged: run.converged,
    reason: run.reason,
  };
}

/**
 * Covariance of the free parameters, s^2 (J^T J)^-1 with s^2 = SSR / (2N - m) and J the weighted
 * Jacobian in parameter space, as scipy's curve_fit reports it (and so impedance.py's conf_).
 */
function covariance(
  problem: CircuitProblem,
  jac: Float64Array,
  cost: number,
): { stderr: number[]; correlation: number[][] } {
  const m = problem.nVars;
  const nRes = problem.nResiduals;
  const a = new Float64Array(m * m);
  for (let x = 0; x < m; x++) {
    for (let y = x; y < m; y++) {
      let s = 0;
      for (let i = 0; i < nRes; i++) s += jac[x * nRes + i]! * jac[y * nRes + i]!;
      a[x * m + y] = s;
      a[y * m + x] = s;
    }
  }
  const nan = () => ({
    stderr: new Array<number>(m).fill(Number.NaN),
    correlation: Array.from({ length: m }, () => new Array<number>(m).fill(Number.NaN)),
  });
  if (nRes <= m || !choleskyInPlace(a, m)) return nan();
  const s2 = (2 * cost) / (nRes - m);
  const cov = Array.from({ length: m }, (_, col) => {
    const e = new Float64Array(m);
    e[col] = 1;
    choleskySolveInPlace(a, m, e);
    return Array.from(e, (v) => v * s2);
  });
  const stderr = cov.map((row, k) => Math.sqrt(row[k]!));
  const correlation = cov.map((row, x) => row.map((v, y) => v / (stderr[x]! * stderr[y]!)));
  return { stderr, correlation };
}

/**
 * Top-level arc blocks of the same shape (say p(R1,CPE1) and p(R2,CPE2)) can trade places without
 * changing Z. Ordering them by apex frequency, highest first as the circuit is written, keeps R1 the
 * bulk and R2 the grain boundary from one spectrum to the next, whichever start won.
 */
export function orderArcsByFrequency(
  circuit: Circuit,
  params: Float64Array,
  spectrum: Spectrum,
): Float64Array {
  const terms = circuit.root.kind === 'series' ? circuit.root.children : [circuit.root];
  const groups = new Map<string, CircuitNode[]>();
  for (const t of terms) {
    if (t.kind === 'element' && ['R', 'L', 'C', 'CPE', 'W', 'Wo', 'Ws', 'La'].includes(t.def.symbol))
      continue;
    const key = shapeOf(t);
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const out = Float64Array.from(params);
  const evaluator = new CircuitEvaluator(circuit);
  const grid = logGrid(spectrum, 240);
  const re = new Float64Array(grid.length);
  const im = new Float64Array(grid.length);
  for (const blocks of groups.values()) {
    if (blocks.length < 2) continue;
    const apex = blocks.map((b) => {
      evaluator.evaluateNode(b, params, grid, re, im);
      let best = 0;
      for (let i = 1; i < grid.length; i++) if (-im[i]! > -im[best]!) best = i;
      return grid[best]!;
    });
    const order = blocks.map((_, i) => i).sort((x, y) => apex[y]! - apex[x]!);
    blocks.forEach((b, slot) => {
      const from = blocks[order[slot]!]!;
      const width = rangeOf(b)[1] - rangeOf(b)[0];
      out.set(params.subarray(rangeOf(from)[0], rangeOf(from)[0] + width), rangeOf(b)[0]);
    });
  }
  return out;
}

function shapeOf(node: CircuitNode): string {
  if (node.kind === 'element') return node.def.symbol;
  return `${node.kind}(${node.children.map(shapeOf).join(',')})`;
}

function rangeOf(node: CircuitNode): [number, number] {
  return node.kind === 'element'
    ? [node.paramStart, node.paramStart + node.def.params.length]
    : [node.paramStart, node.paramEnd];
}

/** Angular frequencies spanning three decades beyond the data on each side. */
function logGrid(spectrum: Spectrum, count: number): Float64Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const f of spectrum.fHz) {
    lo = Math.min(lo, f);
    hi = Math.max(hi, f);
  }
  const a = Math.log(lo / 1e3);
  const b = Math.log(hi * 1e3);
  return Float64Array.from(
    { length: count },
    (_, i) => 2 * Math.PI * Math.exp(a + ((b - a) * i) / (count - 1)),
  );
}

/** The fit as plain JSON for the CLI's --json and the node's msg.payload (no typed arrays). */
export function fitReport(fit: FitResult) {
  return {
    circuit: fit.circuit,
    weighting: fit.weighting,
    method: fit.method,
    parameters: fit.parameters.map(({ name, value, stderr, unit, fixed }) => ({
      name,
      value,
      stderr,
      unit,
      fixed,
    })),
    rmse: fit.rmse,
    rmsRelative: fit.rmsRelative,
    converged: fit.converged,
    reason: fit.reason,
    iterations: fit.iterations,
    evaluations: fit.evaluations,
    starts: fit.starts,
    correlation: fit.correlation.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))),
    residuals: { re: Array.from(fit.residualRe), im: Array.from(fit.residualIm) },
  };
}

export type FitReport = ReturnType<typeof fitReport>;
