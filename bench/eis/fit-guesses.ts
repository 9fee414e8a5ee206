/**
 * Fits from random guesses against scipy's bounded TRF from the same guesses: a seeded batch over every
 * shared spectrum with its case circuit (fit-cases.ts) and the issue's R0-p(R1,CPE1)-p(R2,CPE2) on
 * exampleData.csv. Each guess is the no-guess fit's values times 10^U(-2, 2) for positive parameters
 * and U(0.3, 1) for exponents. The reference is the TRF port (src/eis/trust-region-reflective.ts, which
 * follows scipy 1.17's iterates to 8 digits) with impedance.py's bounds (0 to infinity, exponents to 1)
 * on the same weighted residuals, written out here apart from fit.ts. Prints how many fits end above
 * TRF's sum of squares, how many leave a parameter beyond its bound or report an infinite residual as
 * converged, and the time per fit.
 *
 *   npm run build && node dist/bench/eis/fit-guesses.js [count] [seed]
 */
import { readFileSync } from 'node:fs';
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

/** scipy's curve_fit with impedance.py's bounds: TRF from the guess on the weighted residuals. */
export function scipyTrf(
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
  readonly fitMs: number;
};

function load(file: string, drop: boolean): Spectrum {
  if (!eisDataDir) throw new Error('../shared/data/eis not found');
  const s = parseSpectrumFile(file, readFileSync(path.join(eisDataDir, file))).spectrum;
  return drop ? dropInductive(s) : s;
}

export function runGuessBatch(count: number, seed: number): GuessOutcome[] {
  const random = seededRandom(seed);
  const prepared = GUESS_CASES.map((c) => {
    const data = load(c.file, c.dropInductive);
    const circuit = parseCircuit(c.circuit);
    return { c, data, circuit, centre: fitCircuit(circuit, data, { weighting: c.weighting }).values };
  });
  const out: GuessOutcome[] = [];
  for (let t = 0; t < count; t++) {
    const { c, data, circuit, centre } = prepared[t % prepared.length]!;
    const guess = circuit.parameterKinds.map((kind, k) =>
      kind === 'exponent' ? random.uniform(0.3, 1) : centre[k]! * 10 ** random.uniform(-2, 2),
    );
    const ref = scipyTrf(c.circuit, data, c.weighting, guess);
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
      fitMs,
    });
  }
  return out;
}

function main(): void {
  const count = Number(process.argv[2]) || 1000;
  const seed = Number(process.argv[3]) || 12;
  const t0 = Date.now();
  const outcomes = runGuessBatch(count, seed);
  const above = (tol: number) => outcomes.filter((o) => o.excess > tol);
  const lines = [
    `fits from ${count} random guesses (seed ${seed}) over ${GUESS_CASES.length} spectrum/circuit cases, against scipy's bounded TRF from each guess (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`,
    `  ending above TRF's sum of squares: ${above(1e-9).length} by more than 1e-9 relative, ${above(1e-6).length} by more than 1e-6, ${above(1e-3).length} by more than 1e-3`,
    `  ending below it by more than 1e-6: ${outcomes.filter((o) => o.excess < -1e-6).length}`,
    `  a parameter beyond its bound: ${outcomes.filter((o) => o.beyondBound).length}; "converged" with a residual that is not finite: ${outcomes.filter((o) => o.convergedNotFinite).length}`,
    `  every parameter determined: ${outcomes.filter((o) => o.determined).length}; retried (more than one run): ${outcomes.filter((o) => o.attempts > 1).length}`,
    `  time per fit: median ${median(outcomes.map((o) => o.fitMs)).toFixed(2)} ms, max ${Math.max(...outcomes.map((o) => o.fitMs)).toFixed(0)} ms`,
  ];
  for (const o of above(1e-9)) {
    lines.push(
      `  above: ${o.file} ${o.circuit} by ${o.excess.toExponential(2)} from ${JSON.stringify(o.guess)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) main();
