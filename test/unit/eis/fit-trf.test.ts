import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../app/cli/eis';
import {
  angularFrequencies,
  CircuitEvaluator,
  circuitImpedance,
  parseCircuit,
} from '../../../src/eis/circuit';
import { dropInductive } from '../../../src/eis/drop-inductive';
import { FitInputError, type FitResult, fitCircuit } from '../../../src/eis/fit';
import { spectrum } from '../../../src/eis/spectrum';
import { trustRegionReflective } from '../../../src/eis/trust-region-reflective';
import { seededRandom } from '../../../src/random';
import { runCli } from '../../support/cli';
import {
  dataDir,
  GETTING_STARTED,
  logFrequencies,
  type Mutation,
  mutatedSpectrum,
  readShared,
  robustnessCircuits,
} from './fit-fixtures';

const example = path.join(dataDir, GETTING_STARTED.file);

const value = (fit: FitResult, name: string) => fit.parameters.find((p) => p.name === name)!;
/** Sum of squared residuals, from rmse over the 2N stacked residuals. */
const ssr = (fit: FitResult) => fit.rmse ** 2 * 2 * fit.residualRe.length;

describe('trust region reflective against impedance.py / scipy curve_fit', () => {
  const { documented, guess } = GETTING_STARTED;
  const circuit = parseCircuit(GETTING_STARTED.circuit);
  const data = dropInductive(readShared(GETTING_STARTED.file));
  const trf = fitCircuit(circuit, data, { initialGuess: guess, method: 'trf' });

  it('reproduces all seven documented values and standard errors to 3 significant figures', () => {
    expect(trf.method).toBe('trf');
    for (const [name, [v, se]] of Object.entries(documented)) {
      expect(Number(value(trf, name).value.toPrecision(3))).toBe(v);
      expect(Number(value(trf, name).stderr!.toPrecision(3))).toBe(se);
    }
  });

  it("stops where scipy does: by the gradient test after 16 iterations, at scipy's sum of squares", () => {
    // scipy 1.17: status 1 (gtol), nit 16, nfev 18 (+ 17 Jacobians of 7 differences), SSR 1.943017e-5.
    expect(trf.converged).toBe(true);
    expect(trf.reason).toBe('gradient');
    expect(trf.iterations).toBe(16);
    expect(trf.evaluations).toBe(18 + 17 * 7);
    expect(ssr(trf) / 1.943017e-5 - 1).toBeLessThan(1e-6);
    expect(ssr(trf) / 1.943017e-5 - 1).toBeGreaterThan(-1e-6);
  });

  it('stops short of the least-squares minimum that LM reaches', () => {
    const lm = fitCircuit(circuit, data, { initialGuess: guess });
    expect(lm.method).toBe('lm');
    expect(ssr(lm)).toBeLessThan(ssr(trf));
    expect(value(lm, 'Wo1_1').value).toBeGreaterThan(value(trf, 'Wo1_1').value);
  });

  it('polishes the scouted best with TRF when there is no guess', () => {
    const auto = fitCircuit(circuit, data, { method: 'trf' });
    expect(auto.method).toBe('trf');
    expect(auto.converged).toBe(true);
    expect(auto.rmsRelative).toBeLessThan(0.02);
  });
});

describe('trust region reflective on synthetic problems', () => {
  it('recovers the parameters of a noise-free spectrum from a guess off by up to a factor of 2', () => {
    const circuit = parseCircuit('R0-p(R1,CPE1)-p(R2,C2)');
    const truth = [10, 100, 1e-5, 0.85, 50, 1e-3];
    const fHz = logFrequencies(0.1, 1e5, 50);
    const { re, im } = circuitImpedance(circuit, truth, fHz);
    const fit = fitCircuit(circuit, spectrum(fHz, re, im), {
      initialGuess: [15, 60, 2e-5, 0.7, 80, 5e-4],
      method: 'trf',
    });
    expect(fit.converged).toBe(true);
    truth.forEach((t, k) => {
      expect(Math.abs(fit.values[k]! / t - 1)).toBeLessThan(1e-4);
    });
  });

  // r = (x0 + 1, x1 - 2): the optimum (-1, 2) is outside 0 <= x0, x1 <= 1; the bounded one is (0, 1).
  const shifted = (x: ArrayLike<number>, r: Float64Array) => {
    r[0] = x[0]! + 1;
    r[1] = x[1]! - 2;
  };
  const bounds = { lower: [0, 0], upper: [Number.POSITIVE_INFINITY, 1] };
  const expectBoundedOptimum = (x: ArrayLike<number>) => {
    expect(x[0]).toBeGreaterThanOrEqual(0);
    expect(x[0]).toBeLessThan(1e-6);
    expect(x[1]).toBeLessThanOrEqual(1);
    expect(x[1]).toBeGreaterThan(1 - 1e-6);
  };

  it('keeps every variable within its bounds when the unconstrained optimum lies outside', () => {
    const run = trustRegionReflective({ nVars: 2, nResiduals: 2, residuals: shifted }, [0.5, 0.5], bounds);
    expect(run.converged).toBe(true);
    expectBoundedOptimum(run.x);
  });

  it('keeps them within bounds with the exact Jacobian and its normal-equation steps too', () => {
    const run = trustRegionReflective(
      {
        nVars: 2,
        nResiduals: 2,
        residuals: shifted,
        residualsAndJacobian: (x, r, jac) => {
          shifted(x, r);
          jac.set([1, 0, 0, 1]);
        },
      },
      [0.5, 0.5],
      { ...bounds, jacobian: 'analytic' },
    );
    expect(run.converged).toBe(true);
    expect(run.jacobians).toBe(0);
    expectBoundedOptimum(run.x);
  });

  it("with the exact Jacobian, takes scipy's path on the getting-started example to its stop", () => {
    // The same run as scipy's (16 iterations, SSR 1.943017e-5), but no finite differences: 18 model
    // evaluations in all instead of 18 + 17 * 7.
    const circuit = parseCircuit(GETTING_STARTED.circuit);
    const data = dropInductive(readShared(GETTING_STARTED.file));
    const evaluator = new CircuitEvaluator(circuit);
    const omega = angularFrequencies(data.fHz);
    const n = omega.length;
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    const residuals = (x: Float64Array, r: Float64Array, jac?: Float64Array) => {
      evaluator.evaluate(x, omega, re, im, jac);
      for (let i = 0; i < n; i++) {
        r[i] = re[i]! - data.reOhm[i]!;
        r[n + i] = im[i]! - data.imOhm[i]!;
      }
    };
    const upper = circuit.parameterKinds.map((k) => (k === 'exponent' ? 1 : Number.POSITIVE_INFINITY));
    const run = trustRegionReflective(
      { nVars: 7, nResiduals: 2 * n, residuals, residualsAndJacobian: residuals },
      GETTING_STARTED.guess,
      { lower: new Array(7).fill(0), upper, jacobian: 'analytic' },
    );
    expect(run.reason).toBe('gradient');
    expect(run.iterations).toBe(16);
    expect(run.evaluations).toBe(18);
    expect(Math.abs((2 * run.cost) / 1.943017e-5 - 1)).toBeLessThan(1e-6);
  });

  it('holds a circuit parameter at its lower bound when the data call for a negative one', () => {
    // The spectrum of R0-p(R1,C1) shifted 5 Ohm to the left: the best unbounded R0 would be -5 Ohm.
    const circuit = parseCircuit('R0-p(R1,C1)');
    const fHz = logFrequencies(1, 1e5, 40);
    const { re, im } = circuitImpedance(circuit, [2, 100, 1e-6], fHz);
    const shifted = spectrum(
      fHz,
      Array.from(re, (x) => x - 7),
      im,
    );
    const fit = fitCircuit(circuit, shifted, { initialGuess: [1, 50, 2e-6], method: 'trf' });
    expect(fit.values[0]).toBeGreaterThanOrEqual(0);
    expect(fit.values[0]).toBeLessThan(0.1);
    expect(fit.values[1]).toBeGreaterThan(0);
    expect(fit.values[2]).toBeGreaterThan(0);
  });
});

describe('cellrig eis fit --method', () => {
  const cli = (...argv: string[]) => runCli(main, argv);
  const args = ['fit', example, '--circuit', 'R0-p(R1,C1)-p(R2-Wo1,C2)', '--drop-inductive'];

  it('runs TRF with --method trf and says so, with reason and iterations, in the JSON', async () => {
    const { code, out } = await cli(
      ...args,
      '--guess',
      '.01,.01,100,.01,.05,100,1',
      '--method',
      'trf',
      '--json',
    );
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.method).toBe('trf');
    expect(json.reason).toBe('gradient');
    expect(json.iterations).toBe(16);
    const wo = json.parameters.find((p: { name: string }) => p.name === 'Wo1_1');
    expect(Number(wo.value.toPrecision(3))).toBe(233);
  });

  it('refuses an unknown method as a usage error', async () => {
    const { code, err } = await cli(...args, '--method', 'dogbox');
    expect(code).toBe(2);
    expect(err).toMatch(/option '--method <m>' argument 'dogbox' is invalid/);
  });
});

describe('trust region reflective on hostile spectra', () => {
  it('answers 300 mutated spectra with finite positive values or a FitInputError, never a crash or a hang', () => {
    const { circuits, f0, base } = robustnessCircuits();
    const random = seededRandom(7);
    let results = 0;
    for (let t = 0; t < 300; t++) {
      const hows: Mutation[] = ['scale-re', 'noise', 'flip-im', 'zero'];
      const { f, re, im } = mutatedSpectrum(hows[random.int(0, 3)]!, random, f0, base);
      const circuit = circuits[random.int(0, circuits.length - 1)]!;
      const guess = circuit.parameterNames.map((_, k) =>
        circuit.parameterKinds[k] === 'exponent' ? random.uniform(0.3, 1) : 10 ** random.uniform(-6, 6),
      );
      try {
        // starts: 2 also bounds the automatic starts a runaway from the guess is retried with.
        const fit = fitCircuit(circuit, spectrum(f, re, im), {
          method: 'trf',
          starts: 2,
          ...(t % 2 ? { initialGuess: guess } : {}),
        });
        for (const p of fit.parameters) expect(Number.isFinite(p.value) && p.value > 0).toBe(true);
        expect(Number.isFinite(fit.rmse)).toBe(true);
        results++;
      } catch (err) {
        expect(err).toBeInstanceOf(FitInputError);
      }
    }
    expect(results).toBeGreaterThan(150);
  });
});
