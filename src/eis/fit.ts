/**
 * Complex nonlinear least squares: fits a circuit to a spectrum by Levenberg-Marquardt on the stacked
 * real and imaginary residuals, w_re (Re Z_fit - Re Z) and w_im (Im Z_fit - Im Z), in internal variables
 * that keep every parameter within bounds tied to the spectrum's scale (parameter-bounds.ts,
 * parameter-transform.ts), and says which parameters the data determine (identifiability.ts). Without an initial guess, it scouts from guesses
 * read off the spectrum plus seeded random starts (initial-guess.ts) and polishes the best.
 * With method 'trf' the polish is scipy's bounded Trust Region Reflective (trust-region-reflective.ts)
 * in parameter space instead, to reproduce impedance.py's results.
 */
import { seededRandom } from '../random';
import { angularFrequencies, type Circuit, CircuitEvaluator, type CircuitNode } from './circuit';
import { type FrequencyGrid, frequencyGrid, type ParamKind } from './elements';
import { describeFlag, type IdentifiabilityFlag, identifiability } from './identifiability';
import { arcCount, arcVariants, guessParameters, perturbed } from './initial-guess';
import { DEFAULT_LM_OPTIONS, LevenbergMarquardt, type StopReason } from './levenberg-marquardt';
import { MAX_FIT_ITERATIONS, MAX_FIT_STARTS, MAX_SPECTRUM_POINTS } from './limits';
import { type ParameterBound, parameterBounds, spectrumScale } from './parameter-bounds';
import { clampToBound, outOfBounds, parameterSlope, toInternal, toParameter } from './parameter-transform';
import type { Spectrum } from './spectrum';
import { pointProblem } from './spectrum-checks';
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
  /** Starts scouted when there is no initial guess (default 12), or after a guess that led nowhere determined (default 48). */
  readonly starts?: number;
  readonly seed?: number;
  /** The final run's method ('lm' by default); scouting without a guess is always LM. */
  readonly method?: FitMethod;
  /** LM: iterations (default 400). TRF: scipy's max_nfev, trial points (default 100 per free parameter). */
  readonly maxIterations?: number;
  /**
   * When a fit from a guess goes on to the automatic starts, after the runs from the guess:
   * 'not-determined' (default: no run from the guess left every parameter determined) or 'runaway' only
   * (a positive parameter at a bound, no standard error, or one 100 times its value): for a caller that
   * warm-starts every spectrum of a series and has a fallback of its own.
   */
  readonly retry?: 'not-determined' | 'runaway';
};

export type FittedParameter = {
  readonly name: string;
  readonly value: number;
  /** Standard error from the Jacobian at the solution; null when fixed, at a bound or not seen by the data. */
  readonly stderr: number | null;
  /** stderr / |value|; null with stderr. */
  readonly relativeStderr: number | null;
  readonly unit: string;
  readonly fixed: boolean;
  /** The bounds the fit kept it within (parameter-bounds.ts); a fixed parameter's are its value. */
  readonly lower: number;
  readonly upper: number;
  /**
   * False when the data do not determine the value: at a bound, standard error above the value, no
   * finite standard error, or |correlation| > 0.99 with another parameter (identifiability.ts). A fixed
   * parameter is not estimated and counts as determined.
   */
  readonly determined: boolean;
  readonly flags: readonly IdentifiabilityFlag[];
  /** The flags as phrases ("at its upper bound 5.39e+4 Ohm"), empty when determined. */
  readonly reasons: readonly string[];
};

/** One run the fit made and how it ended; the result is the best of them. */
export type FitAttempt = {
  readonly method: FitMethod;
  /** guess: from the initial guess; automatic: scouted starts, best polished; trf-result: LM on from TRF's end. */
  readonly start: 'guess' | 'automatic' | 'trf-result';
  readonly rmse: number;
  readonly converged: boolean;
  readonly reason: FitStopReason;
  /** Free parameters the data did not determine at its end. */
  readonly notDetermined: readonly string[];
};

export type FitResult = {
  readonly circuit: string;
  readonly weighting: Weighting;
  readonly method: FitMethod;
  readonly parameters: readonly FittedParameter[];
  /** All parameter values in parameterNames order, fixed ones included. */
  readonly values: Float64Array;
  /** Correlation matrix of the free parameters, in order; NaN where a standard error is missing. */
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
  /** The chosen attempt stopped by a convergence test (not its iteration limit). */
  readonly converged: boolean;
  readonly reason: FitStopReason;
  /** Every free parameter determined by the data (see FittedParameter.determined). */
  readonly determined: boolean;
  /** Names of the free parameters not determined. */
  readonly notDetermined: readonly string[];
  /**
   * The runs made, in order: from a guess TRF and LM on from its end, then as needed LM from the guess
   * and the automatic starts (see fitCircuit).
   */
  readonly attempts: readonly FitAttempt[];
  /** Index in attempts of the run reported. */
  readonly chosenAttempt: number;
};

/** Scouting without a guess: iterations for every start in the first round, doubling for each half kept. */
const SCOUT_FIRST_ITERATIONS = 8;
const SCOUT_FINALISTS = 4;
const SCOUT_ITERATIONS = 40;
const DEFAULT_STARTS = 12;
/**
 * Automatic starts after a guess that led nowhere determined (LM, TRF and LM on from TRF): four times the
 * default, as this path is dominated by TRF's finite differences anyway. With 12, three of 1,000 random
 * guesses on MPT_example.mpt ended 2.6 % above scipy's TRF from the same guess (a minimum 12 starts miss).
 */
const RETRY_STARTS = 48;

export class FitInputError extends Error {
  override name = 'FitInputError';
}

/** A run's end, before it is summarised. */
type Candidate = {
  values: Float64Array;
  cost: number;
  converged: boolean;
  reason: FitStopReason;
  method: FitMethod;
  start: FitAttempt['start'];
};

/**
 * Fits the circuit. With an initial guess and method 'lm', TRF with the exact Jacobian from the guess,
 * then LM on from TRF's end, and LM from the guess itself only if neither end leaves every parameter
 * determined (none at a bound, standard errors below the values); with method 'trf', TRF as scipy's
 * curve_fit runs it, then LM from its end and from the guess if it ends undetermined. If every run from
 * the guess ends undetermined, the automatic starts; the lowest sum of squares wins. A run that ends at
 * a user-set iteration limit is reported as it is. Without a guess the automatic starts are scouted and
 * the best polished by the chosen method.
 */
export function fitCircuit(circuit: Circuit, spectrum: Spectrum, options: FitOptions = {}): FitResult {
  const names = circuit.parameterNames;
  const kinds = circuit.parameterKinds;
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
  checkSpectrum(spectrum, free.length);
  if (
    options.starts !== undefined &&
    !(Number.isInteger(options.starts) && options.starts >= 1 && options.starts <= MAX_FIT_STARTS)
  ) {
    throw new FitInputError(
      `starts = ${options.starts}: must be a whole number from 1 to ${MAX_FIT_STARTS} (MAX_FIT_STARTS)`,
    );
  }
  if (
    options.maxIterations !== undefined &&
    !(
      Number.isInteger(options.maxIterations) &&
      options.maxIterations >= 1 &&
      options.maxIterations <= MAX_FIT_ITERATIONS
    )
  ) {
    throw new FitInputError(
      `maxIterations = ${options.maxIterations}: must be a whole number from 1 to ${MAX_FIT_ITERATIONS} (MAX_FIT_ITERATIONS)`,
    );
  }

  const bounds = parameterBounds(circuit, spectrumScale(spectrum));
  const weighting = options.weighting ?? 'unit';
  const method = options.method ?? 'lm';
  const problem = new CircuitProblem(circuit, spectrum, free, weighting, bounds);
  problem.fixedParams.fill(0);
  for (const [k, v] of fixedValues) problem.fixedParams[k] = v;

  let guess: Float64Array | undefined;
  if (options.initialGuess) {
    const g = options.initialGuess;
    if (g.length !== free.length) {
      throw new FitInputError(
        `initial guess has ${g.length} values; ${circuit.text} has ${free.length} free parameters (${free.map((k) => names[k]).join(', ')})`,
      );
    }
    guess = Float64Array.from(problem.fixedParams);
    free.forEach((k, j) => {
      // Any value scipy could start from is taken; LM starts a value beyond its bound at the bound.
      const why = outOfBounds(kinds[k]!, g[j]!);
      if (why) throw new FitInputError(`initial guess for ${names[k]} = ${g[j]} ${why}`);
      guess![k] = g[j]!;
    });
  }

  const run = new FitRuns(problem, options);
  if (guess) run.starts = 1;
  const results: { candidate: Candidate; summary: FitResult }[] = [];
  /** Records a run's end; its summary, or null for no run or a non-finite end. */
  const attempt = (c: Candidate | null): FitResult | null => {
    if (!c || !Number.isFinite(c.cost)) return null;
    const summary = summarise(circuit, problem, c, fixedValues, weighting, method);
    results.push({ candidate: c, summary });
    return summary;
  };
  const userLimited = (c: Candidate) =>
    options.maxIterations !== undefined && (c.reason === 'max-iterations' || c.reason === 'max-evaluations');
  const runawayOnly = options.retry === 'runaway';
  const retryWanted = (r: FitResult) => (runawayOnly ? ranAway(r, kinds) : needsRetry(r));
  const troubled = () => results.every((r) => retryWanted(r.summary) && !userLimited(r.candidate));

  if (guess) {
    if (method === 'trf') {
      const trf = run.trf(guess, 'guess');
      if (trf && problem.insideBounds(trf.values)) attempt(trf);
      if (troubled()) {
        if (trf) attempt(run.lm(problem.clamped(trf.values), 'trf-result', 'stall'));
        attempt(run.lm(guess, 'guess'));
      }
    } else {
      // TRF first, with the exact Jacobian: stepping in the parameters themselves, it keeps to the guess's
      // basin where LM in its log-scaled variables can run away (the guess drove R2 to 1.9e130
      // Ohm) or end in another one (three of the 1,000 stored guesses on exampleData.csv's
      // R0-p(R1,C1)-p(R2-Wo1,C2) ended 35-39 % above scipy's cost). LM then finishes from TRF's end, which
      // scipy's gtol test leaves creeping along a flat valley. LM from the guess itself runs only when
      // neither end is determined: running it always as well cost twice the evaluations for a lower end
      // on 20 of those 1,000 guesses, by 0.69 % on one and at most 3e-7 on the rest, all below scipy's.
      const trf = run.trf(guess, 'guess', 'analytic');
      if (trf) {
        const trfEnd = problem.insideBounds(trf.values) ? attempt(trf) : null;
        const stop = trfEnd?.determined ? 'statistical' : 'stall';
        if (!userLimited(trf)) attempt(run.lm(problem.clamped(trf.values), 'trf-result', stop));
      }
      if (troubled()) attempt(run.lm(guess, 'guess'));
    }
    if (troubled()) attempt(run.automatic(circuit, spectrum, method, RETRY_STARTS));
  } else {
    attempt(run.automatic(circuit, spectrum, method));
  }
  if (results.length === 0) {
    throw new FitInputError(
      `${circuit.text} cannot be evaluated on this spectrum from the starting values (try an initial guess)`,
    );
  }
  // Lowest sum of squares; within rounding of it, the fewest parameters left undetermined.
  let best = 0;
  for (let i = 1; i < results.length; i++) {
    const a = results[i]!;
    const b = results[best]!;
    const tie = Math.abs(a.candidate.cost - b.candidate.cost) <= 1e-12 * b.candidate.cost;
    if (
      (tie && a.summary.notDetermined.length < b.summary.notDetermined.length) ||
      (!tie && a.candidate.cost < b.candidate.cost)
    )
      best = i;
  }
  const attempts = results.map(({ candidate: c, summary: s }) => ({
    method: c.method,
    start: c.start,
    rmse: s.rmse,
    converged: c.converged,
    reason: c.reason,
    notDetermined: s.notDetermined,
  }));
  return {
    ...results[best]!.summary,
    iterations: run.iterations,
    evaluations: run.evaluations,
    starts: run.starts,
    attempts,
    chosenAttempt: best,
  };
}

/**
 * A result worth retrying: a parameter at a bound (a runaway, or a CPE exponent driven to 1 by a basin
 * the data do not want), without a standard error, or with one above its value. A strong correlation
 * alone is not retried: another start finds the same valley.
 */
/** A standard error this many times the value marks a parameter drifting off, as a runaway does. */
const RUNAWAY_RELATIVE_STDERR = 100;

/** The narrower retry ('runaway'): a positive parameter at a bound, no standard error, or a huge one. */
function ranAway(fit: FitResult, kinds: readonly ParamKind[]): boolean {
  return fit.parameters.some((p, k) =>
    p.flags.some(
      (f) =>
        // An exponent at 1 is a capacitor-like element, not a runaway.
        (f.kind === 'at-bound' && kinds[k] === 'positive') ||
        f.kind === 'no-standard-error' ||
        (f.kind === 'relative-stderr' && !(f.relativeStderr <= RUNAWAY_RELATIVE_STDERR)),
    ),
  );
}

function needsRetry(fit: FitResult): boolean {
  return fit.parameters.some((p) => p.flags.some((f) => f.kind !== 'correlated'));
}

/** The checks a spectrum must pass before any fit: sizes, the float range, and something to fit. */
function checkSpectrum(spectrum: Spectrum, nFree: number): void {
  const n = spectrum.fHz.length;
  if (spectrum.reOhm.length !== n || spectrum.imOhm.length !== n) {
    throw new FitInputError(
      `f, re and im differ in length (${n}, ${spectrum.reOhm.length}, ${spectrum.imOhm.length})`,
    );
  }
  if (n === 0) throw new FitInputError('the spectrum has no points');
  if (n > MAX_SPECTRUM_POINTS) {
    throw new FitInputError(
      `the spectrum has ${n} points; at most ${MAX_SPECTRUM_POINTS} are fitted (MAX_SPECTRUM_POINTS)`,
    );
  }
  if (2 * n < nFree) throw new FitInputError(`${n} points cannot determine ${nFree} parameters`);
  for (let i = 0; i < n; i++) {
    const problem = pointProblem(spectrum, i);
    if (problem) throw new FitInputError(problem);
  }
}

/** The runs one fit makes, sharing one solver and counting iterations and evaluations over all of them. */
class FitRuns {
  iterations = 0;
  evaluations = 0;
  starts = 0;
  private readonly solver: LevenbergMarquardt;
  private readonly maxIterations: number;
  private readonly tolerances: ReturnType<typeof lmTolerances>;

  constructor(
    private readonly problem: CircuitProblem,
    private readonly options: FitOptions,
  ) {
    this.solver = new LevenbergMarquardt(problem);
    this.maxIterations = options.maxIterations ?? 400;
    this.tolerances = lmTolerances(problem.nResiduals, problem.nVars);
  }

  /**
   * Levenberg-Marquardt in the bounded internal variables, from full parameter vector p. It stops at the
   * statistical tolerance (lmTolerances), or with 'stall' only when the cost stalls in relative terms:
   * on from a TRF end the data do not determine, a runaway's valley, so that it ends at least as low as
   * scipy's TRF would along it.
   */
  lm(p: Float64Array, start: Candidate['start'], stop: 'statistical' | 'stall' = 'statistical'): Candidate {
    const tolerances = stop === 'stall' ? DEFAULT_LM_OPTIONS : this.tolerances;
    const r = this.solver.run(this.problem.internalOf(p), {
      ...tolerances,
      maxIterations: this.maxIterations,
    });
    this.iterations += r.iterations;
    this.evaluations += r.evaluations;
    return {
      values: this.problem.parametersOf(this.solver.x),
      cost: r.cost,
      converged: r.converged,
      reason: r.reason,
      method: 'lm',
      start,
    };
  }

  /**
   * scipy's bounded TRF in parameter space with impedance.py's bounds, from full parameter vector p: with
   * scipy's forward differences to reproduce its fits, or with the exact Jacobian.
   */
  trf(
    p: Float64Array,
    start: Candidate['start'],
    jacobian: 'forward-differences' | 'analytic' = 'forward-differences',
  ): Candidate | null {
    const free = this.problem.free;
    const r = trustRegionReflective(
      this.problem,
      free.map((k) => p[k]!),
      { ...this.problem.referenceBounds(), maxEvaluations: this.options.maxIterations, jacobian },
    );
    this.iterations += r.iterations;
    this.evaluations += r.evaluations + r.jacobians * free.length;
    if (!Number.isFinite(r.cost)) return null;
    return {
      values: this.problem.withFree(r.x),
      cost: r.cost,
      converged: r.converged,
      reason: r.reason,
      method: 'trf',
      start,
    };
  }

  /** Scouts the automatic starts by successive halving and polishes the best with the method asked for. */
  automatic(
    circuit: Circuit,
    spectrum: Spectrum,
    method: FitMethod,
    count = DEFAULT_STARTS,
  ): Candidate | null {
    const problem = this.problem;
    const starts = automaticStarts(
      circuit,
      spectrum,
      this.options.starts ?? count,
      this.options.seed ?? 1,
    ).map((p) => {
      for (let k = 0; k < p.length; k++) if (!problem.free.includes(k)) p[k] = problem.fixedParams[k]!;
      return p;
    });
    this.starts += starts.length;
    let best: { cost: number; p: Float64Array } | null = null;
    if (starts.length > 1) {
      // Successive halving: every start gets a few iterations, the better half a few more, and so on;
      // LM sorts out within a handful of steps which basin a start lies in.
      let pool = starts.map((p) => ({ cost: Number.POSITIVE_INFINITY, p }));
      for (let round = 0; pool.length > 0; round++) {
        const budget = round === 0 ? SCOUT_FIRST_ITERATIONS : SCOUT_FIRST_ITERATIONS * 2 ** round;
        for (const entry of pool) {
          const r = this.solver.run(problem.internalOf(entry.p), {
            ...this.tolerances,
            maxIterations: budget,
          });
          this.iterations += r.iterations;
          this.evaluations += r.evaluations;
          entry.cost = Number.isFinite(r.cost) ? r.cost : Number.POSITIVE_INFINITY;
          entry.p = problem.parametersOf(this.solver.x);
          if (Number.isFinite(r.cost) && (!best || r.cost < best.cost)) best = { cost: r.cost, p: entry.p };
        }
        if (pool.length <= SCOUT_FINALISTS || budget >= SCOUT_ITERATIONS) break;
        pool = pool
          .filter((e) => Number.isFinite(e.cost))
          .sort((a, b) => a.cost - b.cost)
          .slice(0, Math.max(SCOUT_FINALISTS, Math.ceil(pool.length / 2)));
      }
    }
    const from = best ? orderArcsByFrequency(circuit, best.p, spectrum) : starts[0]!;
    if (method === 'lm') {
      const c = this.lm(from, 'automatic');
      return c;
    }
    const trf = this.trf(from, 'automatic');
    if (trf && problem.insideBounds(trf.values)) return trf;
    const c = this.lm(problem.clamped(trf ? trf.values : from), 'automatic');
    return c;
  }
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
  readonly grid: FrequencyGrid;
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** Weights of the stacked residuals: w_re for the first N, w_im for the last N. */
  readonly weights: Float64Array;
  /** Every weight 1 (unit weighting): a column with slope 1 is then copied, not multiplied. */
  private readonly unitWeights: boolean;
  /** The data stacked alike: Re Z, then Im Z. */
  private readonly data: Float64Array;
  private readonly jacP: Float64Array;
  private readonly p: Float64Array;
  /** dp/du per free parameter, for the chain rule into internal variables (LM's view). */
  private readonly slopes: Float64Array;

  constructor(
    readonly circuit: Circuit,
    readonly spectrum: Spectrum,
    readonly free: readonly number[],
    weighting: Weighting,
    /** Per parameter, in parameterNames order. */
    readonly bounds: readonly ParameterBound[],
  ) {
    const n = spectrum.fHz.length;
    const m = circuit.parameterNames.length;
    this.nVars = free.length;
    this.nResiduals = 2 * n;
    this.fixedParams = new Float64Array(m);
    this.p = new Float64Array(m);
    this.slopes = new Float64Array(free.length);
    this.evaluator = new CircuitEvaluator(circuit);
    this.grid = frequencyGrid(angularFrequencies(spectrum.fHz));
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
    this.jacP = new Float64Array(2 * n * m);
    this.weights = new Float64Array(2 * n);
    this.data = new Float64Array(2 * n);
    this.unitWeights = weighting === 'unit';
    for (let i = 0; i < n; i++) {
      const zr = spectrum.reOhm[i]!;
      const zi = spectrum.imOhm[i]!;
      this.data[i] = zr;
      this.data[n + i] = zi;
      const mod = Math.hypot(zr, zi);
      if (weighting === 'unit') {
        this.weights[i] = 1;
        this.weights[n + i] = 1;
      } else if (weighting === 'modulus') {
        this.weights[i] = 1 / mod;
        this.weights[n + i] = 1 / mod;
      } else {
        this.weights[i] = 1 / Math.max(Math.abs(zr), 0.01 * mod);
        this.weights[n + i] = 1 / Math.max(Math.abs(zi), 0.01 * mod);
      }
    }
  }

  /** Internal variables of the free entries of full parameter vector p (clamped into the bounds). */
  internalOf(p: Float64Array): Float64Array {
    return Float64Array.from(this.free, (k) => toInternal(this.bounds[k]!, p[k]!));
  }

  parametersOf(u: Float64Array): Float64Array {
    const p = Float64Array.from(this.fixedParams);
    this.free.forEach((k, j) => {
      p[k] = toParameter(this.bounds[k]!, u[j]!);
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

  insideBounds(p: Float64Array): boolean {
    return this.free.every((k) => p[k]! >= this.bounds[k]!.lower && p[k]! <= this.bounds[k]!.upper);
  }

  /** p with every free entry moved inside its bound. */
  clamped(p: Float64Array): Float64Array {
    const out = Float64Array.from(p);
    for (const k of this.free) out[k] = clampToBound(this.bounds[k]!, p[k]!);
    return out;
  }

  /**
   * Bounds of the free parameters in parameter space as impedance.py gives them to scipy: lower 0, upper
   * 1 for exponents, else infinite. TRF with these reproduces impedance.py's fits; fitCircuit then keeps
   * its result only when it lies within the spectrum's bounds.
   */
  referenceBounds(): { lower: Float64Array; upper: Float64Array } {
    const kinds = this.circuit.parameterKinds;
    return {
      lower: new Float64Array(this.nVars),
      upper: Float64Array.from(this.free, (k) => (kinds[k] === 'exponent' ? 1 : Number.POSITIVE_INFINITY)),
    };
  }

  /** Weighted residuals at free parameters x in parameter space (the trust-region solver's view). */
  residuals(x: Float64Array, r: Float64Array): void {
    this.evaluator.evaluate(this.withFreeInPlace(x), this.grid, this.re, this.im);
    this.weightedResiduals(r);
  }

  /** As residuals, with the weighted Jacobian in parameter space (free columns, column-major). */
  residualsAndJacobian(x: Float64Array, r: Float64Array, jac: Float64Array): void {
    this.evaluator.evaluate(this.withFreeInPlace(x), this.grid, this.re, this.im, this.jacP);
    this.weightedResiduals(r);
    this.weightedColumns(jac);
  }

  /**
   * The weighted Jacobian in parameter space at the full vector p, free columns only, column-major; leaves
   * Z(p) in re and im.
   */
  parameterJacobian(p: Float64Array): Float64Array {
    this.evaluator.evaluate(p, this.grid, this.re, this.im, this.jacP);
    const jac = new Float64Array(this.nResiduals * this.nVars);
    this.weightedColumns(jac);
    return jac;
  }

  /** Weighted residuals and Jacobian in the internal variables u (Levenberg-Marquardt's view). */
  evaluate(u: Float64Array, r: Float64Array, jac: Float64Array): void {
    const p = this.p;
    const bounds = this.bounds;
    const free = this.free;
    p.set(this.fixedParams);
    for (let j = 0; j < free.length; j++) {
      const k = free[j]!;
      p[k] = toParameter(bounds[k]!, u[j]!);
      this.slopes[j] = parameterSlope(bounds[k]!, p[k]!);
    }
    this.evaluator.evaluate(p, this.grid, this.re, this.im, this.jacP);
    this.weightedResiduals(r);
    this.weightedColumns(jac, this.slopes);
  }

  private withFreeInPlace(x: ArrayLike<number>): Float64Array {
    const p = this.p;
    p.set(this.fixedParams);
    for (let j = 0; j < this.free.length; j++) p[this.free[j]!] = x[j]!;
    return p;
  }

  private weightedResiduals(r: Float64Array): void {
    const n = this.re.length;
    const { re, im, weights: w, data } = this;
    for (let i = 0; i < n; i++) {
      r[i] = w[i]! * (re[i]! - data[i]!);
      r[n + i] = w[n + i]! * (im[i]! - data[n + i]!);
    }
  }

  /**
   * Free columns of jacP, weighted and times their slopes (none: parameter space), into jac
   * (column-major).
   */
  private weightedColumns(jac: Float64Array, slopes?: Float64Array): void {
    const rows = this.nResiduals;
    const { jacP, weights: w, free } = this;
    for (let j = 0; j < free.length; j++) {
      const src = free[j]! * rows;
      const dst = j * rows;
      const slope = slopes ? slopes[j]! : 1;
      if (this.unitWeights && slope === 1) jac.set(jacP.subarray(src, src + rows), dst);
      else for (let i = 0; i < rows; i++) jac[dst + i] = jacP[src + i]! * w[i]! * slope;
    }
  }
}

function summarise(
  circuit: Circuit,
  problem: CircuitProblem,
  run: Candidate,
  fixedValues: Map<number, number>,
  weighting: Weighting,
  method: FitMethod,
): FitResult {
  const values = run.values;
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
  const free = problem.free;
  const id = identifiability({
    names: free.map((k) => circuit.parameterNames[k]!),
    values: free.map((k) => values[k]!),
    bounds: free.map((k) => problem.bounds[k]!),
    jac,
    nResiduals: problem.nResiduals,
    cost: run.cost,
  });
  let j = 0;
  const parameters = circuit.parameterNames.map((name, k): FittedParameter => {
    const unit = circuit.parameterUnits[k]!;
    const value = values[k]!;
    if (fixedValues.has(k)) {
      return {
        name,
        value,
        stderr: null,
        relativeStderr: null,
        unit,
        fixed: true,
        lower: value,
        upper: value,
        determined: true,
        flags: [],
        reasons: [],
      };
    }
    const se = id.stderr[j]!;
    const flags = id.flags[j++]!;
    return {
      name,
      value,
      stderr: se,
      relativeStderr: se === null ? null : se / Math.abs(value),
      unit,
      fixed: false,
      lower: problem.bounds[k]!.lower,
      upper: problem.bounds[k]!.upper,
      determined: flags.length === 0,
      flags,
      reasons: flags.map((f) => describeFlag(f, unit)),
    };
  });
  const notDetermined = parameters.filter((p) => !p.determined).map((p) => p.name);
  return {
    circuit: circuit.text,
    weighting,
    method,
    parameters,
    values,
    correlation: id.correlation,
    residualRe,
    residualIm,
    rmse: Math.sqrt(sumSq / (2 * n)),
    rmsRelative: Math.sqrt(sumRel / (2 * n)),
    iterations: 0,
    evaluations: 0,
    starts: 0,
    converged: run.converged,
    reason: run.reason,
    determined: notDetermined.length === 0,
    notDetermined,
    attempts: [],
    chosenAttempt: 0,
  };
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
  const grid = frequencyGrid(logGrid(spectrum, 240));
  const re = new Float64Array(grid.omega.length);
  const im = new Float64Array(grid.omega.length);
  for (const blocks of groups.values()) {
    if (blocks.length < 2) continue;
    const apex = blocks.map((b) => {
      evaluator.evaluateNode(b, params, grid, re, im);
      let best = 0;
      for (let i = 1; i < re.length; i++) if (-im[i]! > -im[best]!) best = i;
      return grid.omega[best]!;
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

/** The fit as plain JSON for the CLI's --json and the node's msg.payload (no typed arrays, no NaN). */
export function fitReport(fit: FitResult) {
  const finiteOrNull = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  return {
    circuit: fit.circuit,
    weighting: fit.weighting,
    method: fit.method,
    parameters: fit.parameters.map((p) => ({
      name: p.name,
      value: p.value,
      stderr: finiteOrNull(p.stderr),
      relativeStderr: finiteOrNull(p.relativeStderr),
      unit: p.unit,
      fixed: p.fixed,
      lower: p.lower,
      upper: p.upper,
      determined: p.determined,
      flags: p.flags.map((f) =>
        f.kind === 'relative-stderr' ? { ...f, relativeStderr: finiteOrNull(f.relativeStderr) } : f,
      ),
      reasons: p.reasons,
    })),
    determined: fit.determined,
    notDetermined: fit.notDetermined,
    rmse: fit.rmse,
    rmsRelative: fit.rmsRelative,
    converged: fit.converged,
    reason: fit.reason,
    iterations: fit.iterations,
    evaluations: fit.evaluations,
    starts: fit.starts,
    attempts: fit.attempts,
    chosenAttempt: fit.chosenAttempt,
    correlation: fit.correlation.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))),
    residuals: { re: Array.from(fit.residualRe), im: Array.from(fit.residualIm) },
  };
}

export type FitReport = ReturnType<typeof fitReport>;
