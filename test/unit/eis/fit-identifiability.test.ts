import { describe, expect, it } from 'vitest';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { dropInductive } from '../../../src/eis/drop-inductive';
import { FitInputError, fitCircuit, fitReport } from '../../../src/eis/fit';
import { MAX_FIT_STARTS, MAX_SPECTRUM_POINTS } from '../../../src/eis/limits';
import { parameterBounds, spectrumScale } from '../../../src/eis/parameter-bounds';
import { spectrum } from '../../../src/eis/spectrum';
import { logFrequencies, readShared } from './fit-fixtures';

const exampleData = () => dropInductive(readShared('exampleData.csv'));

describe('a fit from a guess that runs away', () => {
  // The case: LM from this guess drove R2 to 1.9e130 Ohm and called it converged.
  const circuit = parseCircuit('R0-p(R1,CPE1)-p(R2,CPE2)');
  const fit = fitCircuit(circuit, exampleData(), { initialGuess: [0.01, 0.005, 1, 0.9, 0.02, 10, 0.8] });
  const r2 = fit.parameters.find((p) => p.name === 'R2')!;

  it("reaches scipy's minimum: rmse <= 3.29e-4 Ohm and R2 within 1 % of 0.266 Ohm", () => {
    expect(fit.rmse).toBeLessThanOrEqual(3.29e-4);
    expect(Math.abs(r2.value / 0.266 - 1)).toBeLessThan(0.01);
    expect(fit.determined).toBe(true);
    expect(r2.stderr).toBeGreaterThan(0);
  });

  it('runs TRF from the guess, as scipy does, and LM on from its end; LM from the guess, which ran away, is not needed', () => {
    expect(fit.attempts.map((a) => `${a.method} ${a.start}`)).toEqual(['trf guess', 'lm trf-result']);
    expect(fit.attempts.every((a) => a.notDetermined.length === 0)).toBe(true);
    expect(fit.attempts[fit.chosenAttempt]!.rmse).toBe(fit.rmse);
  });

  it('says which runs from a guess ended undetermined and reports the automatic starts instead', () => {
    // One of the 1,000 stored guesses (fit-guesses.ts): TRF, LM on from it and LM from the guess all
    // end with parameters at a bound or without a standard error.
    const far = fitCircuit(circuit, exampleData(), {
      initialGuess: [1.426, 1.58499, 14.416, 0.720254, 2.30595, 90.8279, 0.527451],
    });
    expect(far.attempts.map((a) => `${a.method} ${a.start}`)).toEqual([
      'trf guess',
      'lm trf-result',
      'lm guess',
      'lm automatic',
    ]);
    for (const a of far.attempts.slice(0, 3)) expect(a.notDetermined.length).toBeGreaterThan(0);
    expect(far.chosenAttempt).toBe(3);
    expect(far.determined).toBe(true);
    expect(far.rmse).toBeLessThanOrEqual(3.29e-4);
  });

  it('keeps every parameter within bounds tied to the data, the first run included', () => {
    for (const p of fit.parameters) {
      expect(p.value).toBeGreaterThanOrEqual(p.lower);
      expect(p.value).toBeLessThanOrEqual(p.upper);
      expect(p.upper).toBeLessThan(1e30);
    }
  });
});

describe('identifiability of each parameter', () => {
  const fHz = logFrequencies(0.01, 1e5, 50);
  const oneArc = (() => {
    const z = circuitImpedance(parseCircuit('R0-p(R1,C1)'), [2, 10, 1e-4], fHz);
    return spectrum(fHz, z.re, z.im);
  })();

  it('flags two resistances in series, which only their sum can fix', () => {
    const fit = fitCircuit(parseCircuit('R0-R9-p(R1,C1)'), oneArc, { initialGuess: [1, 1, 8, 2e-4] });
    const r0 = fit.parameters.find((p) => p.name === 'R0')!;
    const r9 = fit.parameters.find((p) => p.name === 'R9')!;
    expect(r0.determined).toBe(false);
    expect(r9.determined).toBe(false);
    expect(r0.reasons.join(' ')).toMatch(/no finite standard error|correlation|standard error/);
    // The rest stay determined, with standard errors of their own.
    for (const name of ['R1', 'C1']) {
      const p = fit.parameters.find((q) => q.name === name)!;
      expect(p.determined).toBe(true);
      expect(p.stderr).not.toBeNull();
    }
    expect(fit.determined).toBe(false);
    expect(fit.notDetermined).toEqual(['R0', 'R9']);
    expect(Math.abs(r0.value + r9.value - 2)).toBeLessThan(1e-6);
  });

  it('flags an arc the spectrum does not have, at a bound or with its standard error above its value', () => {
    const fit = fitCircuit(parseCircuit('R0-p(R1,C1)-p(R2,C2)'), oneArc, { starts: 4 });
    expect(fit.rmsRelative).toBeLessThan(1e-6);
    expect(fit.determined).toBe(false);
    const flagged = fit.parameters.filter((p) => !p.determined);
    expect(flagged.length).toBeGreaterThan(0);
    for (const p of flagged) {
      expect(p.flags.length).toBeGreaterThan(0);
      expect(p.reasons.length).toBe(p.flags.length);
    }
  });

  it('keeps a determined fit clean: no flags, finite relative errors', () => {
    const fit = fitCircuit(parseCircuit('R0-p(R1,C1)'), oneArc);
    expect(fit.determined).toBe(true);
    for (const p of fit.parameters) {
      expect(p.flags).toEqual([]);
      expect(p.relativeStderr).toBeLessThan(1e-6);
    }
  });

  it('names a correlation above 0.99 when the trade-off leaves a value uncertain by over 10 %', () => {
    // Q and alpha of a CPE seen over half a decade with 10 % noise: the data fix a combination only.
    const f = logFrequencies(100, 300, 12);
    const cpe = parseCircuit('R0-CPE1');
    const z = circuitImpedance(cpe, [5, 1e-4, 0.8], f);
    const noisy = spectrum(
      f,
      Array.from(z.re, (v, i) => v * (1 + 0.1 * Math.sin(7 * i))),
      Array.from(z.im, (v, i) => v * (1 + 0.1 * Math.cos(5 * i))),
    );
    const fit = fitCircuit(cpe, noisy, { initialGuess: [5, 1e-4, 0.8] });
    const q = fit.parameters.find((p) => p.name === 'CPE1_0')!;
    expect(Math.abs(fit.correlation[1]![2]!)).toBeGreaterThan(0.99);
    expect(q.relativeStderr).toBeGreaterThan(0.1);
    expect(q.flags.find((x) => x.kind === 'correlated')).toMatchObject({ with: 'CPE1_1' });
    expect(q.reasons.join(' ')).toMatch(/correlation -?0\.99\d+ with CPE1_1/);
    expect(q.determined).toBe(false);
  });

  it('calls a CPE determined when its Q and alpha correlate above 0.99 yet each is known to 1e-10', () => {
    const f = logFrequencies(0.1, 1e5, 50);
    const c = parseCircuit('R0-p(R1,CPE1)-p(R2,CPE2)');
    const z = circuitImpedance(c, [5, 40, 2e-6, 0.9, 120, 1e-3, 0.8], f);
    const fit = fitCircuit(c, spectrum(f, z.re, z.im), { weighting: 'modulus' });
    expect(Math.abs(fit.correlation[2]![3]!)).toBeGreaterThan(0.99);
    expect(fit.parameters[2]!.relativeStderr).toBeLessThan(1e-10);
    expect(fit.determined).toBe(true);
  });

  it('puts identifiability in the JSON report, with null for numbers that are not finite', () => {
    const fit = fitCircuit(parseCircuit('R0-R9-p(R1,C1)'), oneArc, { initialGuess: [1, 1, 8, 2e-4] });
    const json = JSON.parse(JSON.stringify(fitReport(fit)));
    expect(json.determined).toBe(false);
    expect(json.notDetermined).toEqual(['R0', 'R9']);
    expect(json.parameters[0]).toMatchObject({ name: 'R0', determined: false });
    expect(json.parameters[0].reasons.length).toBeGreaterThan(0);
    expect(json.parameters[2]).toMatchObject({ name: 'R1', determined: true, reasons: [] });
    expect(JSON.stringify(fitReport(fit))).not.toMatch(/NaN|Infinity/);
  });
});

describe('bounds tied to the spectrum', () => {
  it('scale with |Z| and with frequency as each unit says', () => {
    const c = parseCircuit('R0-p(R1,C1)');
    const f = logFrequencies(1, 1e4, 20);
    const z = circuitImpedance(c, [1, 10, 1e-3], f);
    const base = parameterBounds(c, spectrumScale(spectrum(f, z.re, z.im)));
    const scaled = parameterBounds(
      c,
      spectrumScale(
        spectrum(
          f,
          Array.from(z.re, (v) => v * 1e6),
          Array.from(z.im, (v) => v * 1e6),
        ),
      ),
    );
    // R (Ohm) scales with |Z|, C (F = s/Ohm) against it.
    expect(scaled[0]!.upper / base[0]!.upper).toBeCloseTo(1e6, 3);
    expect(scaled[2]!.upper / base[2]!.upper).toBeCloseTo(1e-6, 9);
    for (const b of base) {
      expect(b.lower).toBeGreaterThan(0);
      expect(Number.isFinite(b.upper)).toBe(true);
    }
  });
});

describe('degenerate input and limits', () => {
  const circuit = parseCircuit('R0-p(R1,C1)');
  const f = logFrequencies(1, 1e4, 20);

  it('refuses an all-zero spectrum instead of "converging" with an infinite residual', () => {
    const zero = spectrum(
      f,
      f.map(() => 0),
      f.map(() => 0),
    );
    expect(() => fitCircuit(circuit, zero)).toThrowError(FitInputError);
    expect(() => fitCircuit(circuit, zero)).toThrowError(/point 0 .*\|Z\| is zero/);
  });

  it('refuses values at the edge of the float range, naming the point', () => {
    const z = circuitImpedance(circuit, [1, 10, 1e-3], f);
    const re = Array.from(z.re);
    re[3] = 1e308;
    expect(() => fitCircuit(circuit, spectrum(f, re, z.im))).toThrowError(
      /point 3 .*not a finite value below 1e\+100/,
    );
  });

  it('refuses more starts or points than its limits, naming them', () => {
    const z = circuitImpedance(circuit, [1, 10, 1e-3], f);
    const s = spectrum(f, z.re, z.im);
    expect(() => fitCircuit(circuit, s, { starts: 1_000_000 })).toThrowError(
      new RegExp(`from 1 to ${MAX_FIT_STARTS} \\(MAX_FIT_STARTS\\)`),
    );
    const n = MAX_SPECTRUM_POINTS + 1;
    const many = logFrequencies(1, 1e4, n);
    const zm = circuitImpedance(circuit, [1, 10, 1e-3], many);
    expect(() => fitCircuit(circuit, spectrum(many, zm.re, zm.im))).toThrowError(
      new RegExp(`${n} points; at most ${MAX_SPECTRUM_POINTS}`),
    );
  });
});
