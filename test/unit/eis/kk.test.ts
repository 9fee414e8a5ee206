import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { dropInductive } from '../../../src/eis/drop-inductive';
import { kramersKronigTest, muCriterion, timeConstants } from '../../../src/eis/kk';
import { parseSpectrumFile } from '../../../src/eis/readers';
import { type Spectrum, spectrum } from '../../../src/eis/spectrum';
import { SpectrumInputError } from '../../../src/eis/spectrum-checks';
import { solveLeastSquaresQrInPlace } from '../../../src/linalg/least-squares';
import { seededRandom } from '../../../src/random';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');
const real = (name: string) => parseSpectrumFile(name, readFileSync(path.join(dataDir, name))).spectrum;

/** 10 points per decade from 100 kHz down to 10 mHz, swept high to low as a potentiostat does. */
const grid = Array.from({ length: 71 }, (_, k) => 1e5 * 10 ** (-k / 10));

/** A circuit's spectrum with seeded 0.1 % proportional noise and an optional drift of R0 during the sweep. */
function synthetic(
  circuit: string,
  params: number[],
  options: { noise?: number; driftOhm?: number } = {},
): Spectrum {
  const z = circuitImpedance(parseCircuit(circuit), params, grid);
  const rnd = seededRandom(7);
  const noise = options.noise ?? 1e-3;
  const re = Array.from(z.re);
  const im = Array.from(z.im);
  for (let i = 0; i < grid.length; i++) {
    const m = Math.hypot(re[i]!, im[i]!);
    re[i] = re[i]! + noise * m * rnd.normal() + (options.driftOhm ?? 0) * (i / (grid.length - 1));
    im[i] = im[i]! + noise * m * rnd.normal();
  }
  return spectrum(grid, re, im);
}

// A battery-like Randles circuit with a semi-infinite Warburg diffusion tail (|Z| keeps rising at LF).
const battery = ['R0-p(R1,CPE1)-p(R2-W1,CPE2)', [0.1, 0.05, 1, 0.9, 0.2, 0.05, 0.5, 0.85]] as const;

describe('linear Kramers-Kronig test', () => {
  it('calls a battery spectrum with a Warburg diffusion tail valid', () => {
    const r = kramersKronigTest(synthetic(battery[0], [...battery[1]]));
    expect(r.valid).toBe(true);
    expect(r.selection).toBe('chi-square');
    expect(Math.max(r.maxResidualRealPct, r.maxResidualImagPct)).toBeLessThan(0.5);
    expect(r.inverseSeriesCPerF).toBeGreaterThan(0);
  });

  it('needs the series capacitance for a blocking electrode: without it the capacitive spur fails', () => {
    // A Warburg tail within the range is followed by the chain's slowest elements (the old mu rule's
    // short chains needed the C there too); an ideally blocking electrode's 1/(j w C) is not.
    const blocking = synthetic('R0-p(R1,C1)-C2', [100, 1e4, 1e-9, 1e-6]);
    expect(kramersKronigTest(blocking).valid).toBe(true);
    const r = kramersKronigTest(blocking, { seriesCapacitance: false });
    expect(r.valid).toBe(false);
    expect(r.inverseSeriesCPerF).toBe(0);
  });

  it('needs the series inductance for a lead inductance: without it the inductive tail fails', () => {
    const leads = synthetic('L0-R0-p(R1,C1)', [1e-6, 0.1, 0.05, 0.2]);
    expect(kramersKronigTest(leads).valid).toBe(true);
    const r = kramersKronigTest(leads, { seriesInductance: false });
    expect(r.valid).toBe(false);
    expect(r.seriesLH).toBe(0);
  });

  it('flags a spectrum whose resistance drifts during the sweep as invalid', () => {
    // 30 mOhm of drift over a 10-minute sweep: Z(f) is no longer one linear time-invariant system.
    const r = kramersKronigTest(synthetic(battery[0], [...battery[1]], { driftOhm: 0.03 }));
    expect(r.valid).toBe(false);
    expect(Math.max(r.maxResidualRealPct, r.maxResidualImagPct)).toBeGreaterThan(1.5);
  });

  it('calls a blocking-electrode pellet spectrum (capacitive spur) valid', () => {
    const r = kramersKronigTest(synthetic('R0-p(R1,CPE1)-CPE2', [100, 1e4, 1e-9, 0.9, 1e-6, 0.8]));
    expect(r.valid).toBe(true);
  });

  it("fits a noise-free two-RC spectrum where impedance.py's first-M rule stops at 6 % residuals", () => {
    const s = synthetic('R0-p(R1,C1)-p(R2,C2)', [1, 2, 1e-3, 3, 1], { noise: 0 });
    const first = kramersKronigTest(s, { selection: 'first' });
    expect(first.M).toBe(11);
    expect(first.maxResidualImagPct).toBeGreaterThan(5);
    expect(kramersKronigTest(s).maxResidualImagPct).toBeLessThan(0.2);
  });

  it('fits a noise-free two-RC spectrum with an inductance to within 0.1 %', () => {
    const r = kramersKronigTest(synthetic('L0-R0-p(R1,C1)-p(R2,C2)', [1e-7, 1, 2, 1e-3, 3, 1], { noise: 0 }));
    expect(r.valid).toBe(true);
    expect(r.rmsResidualPct).toBeLessThan(0.1);
    expect(r.seriesLH).toBeCloseTo(1e-7, 8);
  });

  it('reports the threshold it used and obeys a looser one', () => {
    const s = synthetic(battery[0], [...battery[1]], { driftOhm: 0.03 });
    const strict = kramersKronigTest(s);
    const loose = kramersKronigTest(s, { thresholdPct: 5 });
    expect(strict.thresholdPct).toBe(1);
    expect(loose.thresholdPct).toBe(5);
    expect(loose.valid).toBe(true);
  });

  it('fits real and imaginary parts alone as well as both', () => {
    const s = synthetic('R0-p(R1,C1)-p(R2,C2)', [1, 2, 1e-3, 3, 1]);
    for (const fitType of ['real', 'complex'] as const) {
      const r = kramersKronigTest(s, { fitType });
      expect(r.fitType).toBe(fitType);
      expect(r.valid).toBe(true);
    }
    // Fitted to Im(Z) alone, a series C competes with the slowest RC for the low-frequency Im(Z); with
    // the chain the chi-square rule picks, Re(Z) is left within 0.6 % either way (the old mu rule's
    // shorter chain left it 4 % off with the C).
    for (const seriesCapacitance of [true, false]) {
      const imag = kramersKronigTest(s, { fitType: 'imag', seriesCapacitance });
      expect(imag.valid).toBe(true);
      expect(imag.maxResidualRealPct).toBeLessThan(0.7);
    }
  });

  it('uses exactly the requested M when asked', () => {
    const r = kramersKronigTest(synthetic(battery[0], [...battery[1]]), { fixedM: 7 });
    expect(r.M).toBe(7);
    expect(r.tauS).toHaveLength(7);
  });
});

describe('linear Kramers-Kronig test on the real spectra', () => {
  it.each([
    'LIB_data.txt',
    'data_1.csv',
    'exampleData.csv',
    'DAHN_TXT_example.txt',
    's04147-140deg.txt',
    's04147-200deg.txt',
  ])('calls the battery and pellet spectrum %s valid', (name) => {
    const r = kramersKronigTest(real(name));
    expect(r.valid).toBe(true);
    expect(r.M).toBeLessThanOrEqual(r.maxM);
    expect(r.reason).toMatch(new RegExp(`^M = ${r.M}: `));
  });

  it('flags the noisy thin-film spectrum and the drifting Gamry spectrum as invalid', () => {
    // exampleDataBioLogic.mpt: Im(Z) changes sign from point to point above 90 Hz (noise, max 7.6 %).
    // exampleDataGamry.DTA: the points below 1 Hz leave the chain by up to 10 % (drift).
    for (const name of ['exampleDataBioLogic.mpt', 'exampleDataGamry.DTA']) {
      const r = kramersKronigTest(real(name));
      expect(r.valid).toBe(false);
      expect(Math.max(r.maxResidualRealPct, r.maxResidualImagPct)).toBeGreaterThan(4);
    }
  });

  it("passes over the mu criterion's under-fitting dip that stops impedance.py's rule too early", () => {
    // DAHN_TXT_example.txt: mu dips below 0.85 at M = 8..11 while the fit is still poor (10 % residuals).
    const s = real('DAHN_TXT_example.txt');
    const first = kramersKronigTest(s, { selection: 'first' });
    expect(first.M).toBe(8);
    expect(first.valid).toBe(false);
    for (const selection of ['sustained', 'chi-square'] as const) {
      const r = kramersKronigTest(s, { selection });
      expect(r.M).toBeGreaterThan(20);
      expect(Math.max(r.maxResidualRealPct, r.maxResidualImagPct)).toBeLessThan(1);
    }
  });

  it("with the 'first' rule reproduces impedance.py's linKK (complex, add_cap) M and mu on LIB_data.txt", () => {
    // Reference: impedance.py 1.x linKK(f, Z, c=0.85, max_M=50, fit_type='complex', add_cap=True) gives
    // M = 24, mu = 0.612, max |residual| 0.09 % (real) and 0.13 % (imaginary).
    const r = kramersKronigTest(real('LIB_data.txt'), { selection: 'first' });
    expect(r.M).toBe(24);
    expect(r.mu).toBeCloseTo(0.612, 3);
    expect(r.maxResidualRealPct).toBeCloseTo(0.09, 2);
    expect(r.maxResidualImagPct).toBeCloseTo(0.13, 2);
  });

  it('accepts the Autolab spectrum once its inductive points are dropped', () => {
    const r = kramersKronigTest(dropInductive(real('exampleDataAutolab.txt')));
    expect(r.valid).toBe(true);
  });
});

describe('Kramers-Kronig building blocks and input checks', () => {
  it('spaces the time constants logarithmically from 1/(2 pi f_max) to 1/(2 pi f_min)', () => {
    const tau = timeConstants(Float64Array.from([1, 10, 100, 1000]), 4);
    expect(tau[0]).toBeCloseTo(1 / (2 * Math.PI * 1000), 15);
    expect(tau[3]).toBeCloseTo(1 / (2 * Math.PI), 12);
    expect(tau[2]! / tau[1]!).toBeCloseTo(10, 10);
  });

  it('solves the chain exactly as QR on the stacked, 1/|Z|-weighted system does', () => {
    // The fast path builds the normal equations by partial fractions; this is the textbook system.
    const s = real('LIB_data.txt');
    const r = kramersKronigTest(s, { fixedM: 12 });
    const n = s.fHz.length;
    const rows = 2 * n;
    const cols = 12 + 3;
    const a = new Float64Array(rows * cols);
    const b = new Float64Array(rows);
    for (let i = 0; i < n; i++) {
      const g = 1 / Math.hypot(s.reOhm[i]!, s.imOhm[i]!);
      const w = 2 * Math.PI * s.fHz[i]!;
      a[i] = g;
      for (let k = 0; k < 12; k++) {
        const wt = w * r.tauS[k]!;
        a[(k + 1) * rows + i] = g / (1 + wt * wt);
        a[(k + 1) * rows + n + i] = (-g * wt) / (1 + wt * wt);
      }
      a[13 * rows + n + i] = w * g;
      a[14 * rows + n + i] = -g / w;
      b[i] = s.reOhm[i]! * g;
      b[n + i] = s.imOhm[i]! * g;
    }
    const x = solveLeastSquaresQrInPlace(a, rows, cols, b);
    expect(r.seriesROhm).toBeCloseTo(x[0]!, 9);
    for (let k = 0; k < 12; k++) expect(r.rcOhm[k]! / x[k + 1]!).toBeCloseTo(1, 6);
    expect(r.seriesLH / x[13]!).toBeCloseTo(1, 6);
    expect(r.inverseSeriesCPerF / x[14]!).toBeCloseTo(1, 6);
  });

  it('computes mu as one minus negative over positive resistance mass', () => {
    expect(muCriterion(Float64Array.from([1, 2, 3]))).toBe(1);
    expect(muCriterion(Float64Array.from([4, -1, 0]))).toBeCloseTo(0.75, 15);
  });

  it('rejects NaN, repeated frequencies, too few points and zero impedance with a clear error', () => {
    const ok = synthetic('R0-p(R1,C1)', [1, 2, 1e-3]);
    const withNaN = spectrum(
      ok.fHz,
      ok.reOhm.map((v, i) => (i === 3 ? Number.NaN : v)),
      ok.imOhm,
    );
    expect(() => kramersKronigTest(withNaN)).toThrow(/point 3 .*impedance NaN .*is not a finite value/);
    const repeated = spectrum([1, 1, 2, 3, 4], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]);
    expect(() => kramersKronigTest(repeated)).toThrow(/appears twice/);
    expect(() => kramersKronigTest(spectrum([1, 2], [1, 1], [0, 0]))).toThrow(SpectrumInputError);
    const zero = spectrum([1, 2, 3, 4, 5], [1, 0, 1, 1, 1], [0, 0, 0, 0, 0]);
    expect(() => kramersKronigTest(zero)).toThrow(/point 1 .*\|Z\| is zero/);
  });
});
