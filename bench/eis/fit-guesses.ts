/**
 * Fits from random guesses against scipy's bounded TRF from the same guesses: a seeded batch over every
 * shared spectrum with its case circuit (fit-cases.ts) and the R0-p(R1,CPE1)-p(R2,CPE2) on
 * exampleData.csv. Each guess is the no-guess fit's values times 10^U(-2, 2) for positive parameters
 * and U(0.3, 1) for exponents, rounded to 6 digits. The reference is scipy itself: the guesses and the
 * spectra are written out (--requests), test/support/scipy-trf/reference.py runs scipy's least_squares
 * from each as curve_fit runs it with impedance.py's bounds and stores the costs in
 * test/unit/eis/fixtures/scipy-trf-guesses.json; this bench fits from each stored guess and compares.
 * It also runs our port of TRF (src/eis/trust-region-reflective.ts) from each, to show how closely the
 * port follows scipy. Prints how many fits end above scipy's sum of squares, how many leave a parameter
 * beyond its bound or report an infinite residual as converged, and the time per fit.
 *
 *   npm run build && node dist/bench/eis/fit-guesses.js
 *   node dist/bench/eis/fit-guesses.js --requests requests.json 1000 12   # then reference.py (its header)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { angularFrequencies, CircuitEvaluator, parseCircuit } from '../../src/eis/circuit';
import { dropInductive } from '../../src/eis/drop-inductive';
import { type FitResult, fitCircuit, type Weighting } from '../../src/eis/fit';
import { parseSpectrumFile } from '../../src/eis/readers';
import type { Spectrum } from '../../src/eis/spectrum';
import { trustRegionReflective } from '../../src/eis/trust-region-reflective';
import { seededRandom } from '../../src/random';
import { eisDataDir, median } from './common';
import { FIT_CASES } from './fit-cases';

export const GUESS_CASES = [
  ...FIT_CASES,
  {
    file: 'exampleData.csv',
    circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)',
    weighting: 'unit' as Weighting,
    dropInductive: true,
    why: "the issue's runaway",
  },
];

/** Half the weighted sum of squares, as both solvers minimise it. */
type Reference = { cost: number; costOf(fit: FitResult): number };

/** Our port of scipy's TRF, as curve_fit runs it with impedance.py's bounds, from the guess on the weighted residuals. */
export function portTrf(
  circuitText: string,
  data: Spectrum,
  weighting: Weighting,
  guess: number[],
): Reference {
  if (weighting === 'proportional') throw new Error('reference: unit and modulus weighting only');
  const circuit = parseCircuit(circuitText);
  const evaluator = new CircuitEvaluator(circuit);
  const omega = angularFrequencies(data.fHz);
  const n = omega.length;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const w = Float64Array.from(data.fHz, (_, i) =>
    weighting === 'modulus' ? 1 / Math.hypot(data.reOhm[i]!, data.imOhm[i]!) : 1,
  );
  const run = trustRegionReflective(
    {
      nVars: guess.length,
      nResiduals: 2 * n,
      residuals: (x, r) => {
        evaluator.evaluate(x, omega, re, im);
        for (let i = 0; i < n; i++) {
          r[i] = w[i]! * (re[i]! - data.reOhm[i]!);
          r[n + i] = w[i]! * (im[i]! - data.imOhm[i]!);
        }
      },
    },
    guess,
    {
      lower: guess.map(() => 0),
      upper: circuit.parameterKinds.map((k) => (k === 'exponent' ? 1 : Number.POSITIVE_INFINITY)),
    },
  );
  return {
    cost: run.cost,
    costOf: (fit) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (w[i]! * fit.residualRe[i]!) ** 2 + (w[i]! * fit.residualIm[i]!) ** 2;
      return s / 2;
    },
  };
}

export type GuessOutcome = {
  readonly file: string;
  readonly circuit: string;
  readonly guess: number[];
  /** fit's weighted cost / TRF's - 1 (negative: the fit ends lower). */
  readonly excess: number;
  readonly beyondBound: boolean;
  readonly convergedNotFinite: boolean;
  readonly determined: boolean;
  readonly attempts: number;
  /** The automatic starts ran: no run from the guess ended with every parameter determined. */
  readonly automatic: boolean;
  readonly fitMs: number;
};

function load(file: string, drop: boolean): Spectrum {
  if (!eisDataDir) throw new Error('../shared/data/eis not found');
  const s = parseSpectrumFile(file, readFileSync(path.join(eisDataDir, file))).spectrum;
  return drop ? dropInductive(s) : s;
}

/** Six significant digits: a guess as it is written to the scipy requests and the reference file. */
const sixDigits = (v: number) => Number(v.toPrecision(6));

/** The seeded guesses, case by case in turn (case = index into GUESS_CASES). */
export function guessBatch(count: number, seed: number): { case: number; guess: number[] }[] {
  const random = seededRandom(seed);
  const centres = GUESS_CASES.map((c) => {
    const circuit = parseCircuit(c.circuit);
    return {
      circuit,
      centre: fitCircuit(circuit, load(c.file, c.dropInductive), { weighting: c.weighting }).values,
    };
  });
  return Array.from({ length: count }, (_, t) => {
    const { circuit, centre } = centres[t % centres.length]!;
    const guess = circuit.parameterKinds.map((kind, k) =>
      sixDigits(kind === 'exponent' ? random.uniform(0.3, 1) : centre[k]! * 10 ** random.uniform(-2, 2)),
    );
    return { case: t % centres.length, guess };
  });
}

/** What test/support/scipy-trf/reference.py wrote: scipy's own TRF from each guess. */
export type ScipyReference = {
  readonly scipy: string;
  readonly cases: readonly { file: string; circuit: string; weighting: Weighting; dropInductive: boolean }[];
  readonly runs: readonly {
    case: number;
    guess: number[];
    cost: number | null;
    status?: number;
    nfev?: number;
  }[];
};

export const SCIPY_REFERENCE_FILE = path.join(
  __dirname,
  ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..', '..', '..'] : ['..', '..']),
  'test',
  'unit',
  'eis',
  'fixtures',
  'scipy-trf-guesses.json',
);

export function loadScipyReference(): ScipyReference {
  return JSON.parse(readFileSync(SCIPY_REFERENCE_FILE, 'utf8')) as ScipyReference;
}

export type ScipyComparison = GuessOutcome & {
  /** scipy's cost (half the weighted sum of squares) from the guess; null where scipy could not start. */
  readonly scipyCost: number | null;
  /** Our fit's cost / scipy's - 1 (negative: ours ends lower). */
  readonly excessOverScipy: number;
  /** Our TRF port's cost / scipy's - 1 from the same guess. */
  readonly portExcessOverScipy: number;
};

/** Our fit and our TRF port from each stored guess, against scipy's stored cost. */
export function compareWithScipy(
  ref: ScipyReference,
  which: (run: number) => boolean = () => true,
): ScipyComparison[] {
  const prepared = ref.cases.map((c) => ({
    c,
    data: load(c.file, c.dropInductive),
    circuit: parseCircuit(c.circuit),
  }));
  const out: ScipyComparison[] = [];
  ref.runs.forEach((run, r) => {
    if (!which(r)) return;
    const { c, data, circuit } = prepared[run.case]!;
    const port = portTrf(c.circuit, data, c.weighting, run.guess);
    const t0 = process.hrtime.bigint();
    const fit = fitCircuit(circuit, data, { initialGuess: run.guess, weighting: c.weighting });
    const fitMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cost = port.costOf(fit);
    const scipyCost = run.cost;
    out.push({
      file: c.file,
      circuit: c.circuit,
      guess: run.guess,
      excess: cost / port.cost - 1,
      beyondBound: fit.parameters.some((p) => !(p.value >= p.lower && p.value <= p.upper)),
      convergedNotFinite: fit.converged && !(Number.isFinite(fit.rmse) && Number.isFinite(fit.rmsRelative)),
      determined: fit.determined,
      attempts: fit.attempts.length,
      automatic: fit.attempts.some((a) => a.start === 'automatic'),
      fitMs,
      scipyCost,
      excessOverScipy: scipyCost === null ? Number.NaN : cost / scipyCost - 1,
      portExcessOverScipy: scipyCost === null ? Number.NaN : port.cost / scipyCost - 1,
    });
  });
  return out;
}

export function runGuessBatch(count: number, seed: number): GuessOutcome[] {
  const prepared = GUESS_CASES.map((c) => ({
    c,
    data: load(c.file, c.dropInductive),
    circuit: parseCircuit(c.circuit),
  }));
  const out: GuessOutcome[] = [];
  for (const { case: k, guess } of guessBatch(count, seed)) {
    const { c, data, circuit } = prepared[k]!;
    const ref = portTrf(c.circuit, data, c.weighting, guess);
    const t0 = process.hrtime.bigint();
    const fit = fitCircuit(circuit, data, { initialGuess: guess, weighting: c.weighting });
    const fitMs = Number(process.hrtime.bigint() - t0) / 1e6;
    out.push({
      file: c.file,
      circuit: c.circuit,
      guess,
      excess: ref.costOf(fit) / ref.cost - 1,
      beyondBound: fit.parameters.some((p) => !(p.value >= p.lower && p.value <= p.upper)),
      convergedNotFinite: fit.converged && !(Number.isFinite(fit.rmse) && Number.isFinite(fit.rmsRelative)),
      determined: fit.determined,
      attempts: fit.attempts.length,
      automatic: fit.attempts.some((a) => a.start === 'automatic'),
      fitMs,
    });
  }
  return out;
}

function writeRequests(file: string, count: number, seed: number): void {
  const cases = GUESS_CASES.map((c) => {
    const data = load(c.file, c.dropInductive);
    return {
      file: c.file,
      circuit: c.circuit,
      weighting: c.weighting,
      dropInductive: c.dropInductive,
      fHz: Array.from(data.fHz),
      reOhm: Array.from(data.reOhm),
      imOhm: Array.from(data.imOhm),
    };
  });
  writeFileSync(file, JSON.stringify({ seed, cases, guesses: guessBatch(count, seed) }));
  process.stdout.write(`${count} guesses over ${cases.length} cases written to ${file}\n`);
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--requests') {
    writeRequests(args[1]!, Number(args[2]) || 1000, Number(args[3]) || 12);
    return;
  }
  const ref = loadScipyReference();
  const t0 = Date.now();
  const outcomes = compareWithScipy(ref);
  const started = outcomes.filter((o) => o.scipyCost !== null);
  const above = (tol: number) => started.filter((o) => o.excessOverScipy > tol);
  const lines = [
    `fits from the ${outcomes.length} stored guesses over ${ref.cases.length} spectrum/circuit cases, against scipy ${ref.scipy}'s bounded TRF from each guess (${SCIPY_REFERENCE_FILE}; ${((Date.now() - t0) / 1000).toFixed(0)} s in all)`,
    `  scipy could not start from ${outcomes.length - started.length}`,
    `  ending above scipy's sum of squares: ${above(1e-9).length} by more than 1e-9 relative, ${above(1e-6).length} by more than 1e-6, ${above(1e-3).length} by more than 1e-3`,
    `  ending below it by more than 1e-6: ${started.filter((o) => o.excessOverScipy < -1e-6).length}`,
    `  our TRF port against scipy: ${started.filter((o) => Math.abs(o.portExcessOverScipy) <= 1e-6).length} within 1e-6, ${started.filter((o) => o.portExcessOverScipy > 1e-6).length} above, ${started.filter((o) => o.portExcessOverScipy < -1e-6).length} below`,
    `  a parameter beyond its bound: ${outcomes.filter((o) => o.beyondBound).length}; "converged" with a residual that is not finite: ${outcomes.filter((o) => o.convergedNotFinite).length}`,
    `  every parameter determined: ${outcomes.filter((o) => o.determined).length}; automatic starts after the runs from the guess: ${outcomes.filter((o) => o.automatic).length}`,
    `  time per fit: median ${median(outcomes.map((o) => o.fitMs)).toFixed(2)} ms, max ${Math.max(...outcomes.map((o) => o.fitMs)).toFixed(0)} ms`,
  ];
  for (const o of above(1e-9)) {
    lines.push(
      `  above: ${o.file} ${o.circuit} by ${o.excessOverScipy.toExponential(2)} from ${JSON.stringify(o.guess)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) main();
