import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { distributionOfRelaxationTimes } from '../../../src/eis/drt';
import { drtBasis, penaltyMatrix, RbfKernelQuadrature, rbfEpsilon } from '../../../src/eis/drt-basis';
import { findPeaks } from '../../../src/eis/drt-peaks';
import { parseSpectrumFile } from '../../../src/eis/readers';
import { type Spectrum, spectrum } from '../../../src/eis/spectrum';
import { backSubstituteTransposed, choleskyInPlace, forwardSubstitute } from '../../../src/linalg/cholesky';
import { seededRandom } from '../../../src/random';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');
const real = (name: string) => parseSpectrumFile(name, readFileSync(path.join(dataDir, name))).spectrum;
const grid = Array.from({ length: 71 }, (_, k) => 1e5 * 10 ** (-k / 10));

function synthetic(circuit: string, params: number[], noiseOhm: number, seed = 3): Spectrum {
  const z = circuitImpedance(parseCircuit(circuit), params, grid);
  const rnd = seededRandom(seed);
  return spectrum(
    grid,
    Array.from(z.re, (v) => v + noiseOhm * rnd.normal()),
    Array.from(z.im, (v) => v + noiseOhm * rnd.normal()),
  );
}

/** Simpson's rule on [lo, hi] with many panels: slow, independent, accurate. */
function simpson(f: (x: number) => number, lo: number, hi: number, panels = 20000): number {
  const h = (hi - lo) / panels;
  let s = f(lo) + f(hi);
  for (let k = 1; k < panels; k++) s += (k % 2 ? 4 : 2) * f(lo + k * h);
  return (s * h) / 3;
}

describe('distribution of relaxation times', () => {
  // Two RC elements: R1 = 2 Ohm with tau1 = 2 ms, R2 = 3 Ohm with tau2 = 3 s, behind 1 Ohm and 100 nH.
  const twoRc = synthetic('L0-R0-p(R1,C1)-p(R2,C2)', [1e-7, 1, 2, 1e-3, 3, 1], 1e-3);

  it('finds two peaks at tau = RC with resistances matching R1 and R2', () => {
    const r = distributionOfRelaxationTimes(twoRc);
    expect(r.peaks).toHaveLength(2);
    const [fast, slow] = r.peaks;
    expect(fast!.tauS / 2e-3).toBeCloseTo(1, 1);
    expect(slow!.tauS / 3).toBeCloseTo(1, 1);
    expect(fast!.rOhm).toBeCloseTo(2, 1);
    expect(slow!.rOhm).toBeCloseTo(3, 1);
    expect(fast!.share).toBeCloseTo(0.4, 2);
    expect(slow!.share).toBeCloseTo(0.6, 2);
    expect(fast!.fHz).toBeCloseTo(1 / (2 * Math.PI * fast!.tauS), 10);
    expect(r.rInfOhm).toBeCloseTo(1, 2);
    expect(r.lH / 1e-7).toBeCloseTo(1, 2);
    expect(r.rPolOhm).toBeCloseTo(5, 1);
  });

  it('keeps gamma non-negative and reproduces the spectrum', () => {
    const r = distributionOfRelaxationTimes(twoRc);
    expect(r.nnlsConverged).toBe(true);
    expect(Math.min(...r.weights)).toBeGreaterThanOrEqual(0);
    expect(Math.min(...r.gammaOhm)).toBeGreaterThanOrEqual(0);
    // An ideal RC is a delta in tau; Gaussians of the grid's width leave under 0.3 % of |Z| max.
    expect(r.rmsResidualOhm).toBeLessThan(0.01);
    expect(r.tauS).toHaveLength(710);
  });

  it('chooses lambda at the true minimum of GCV, not at the starting value, and more for noisier data', () => {
    // pyDRTtools' SLSQP stays at its start (1e-3) on such spectra; GCV's minimum here is near 1e-5.
    const noisy = synthetic('R0-p(R1,C1)-p(R2,C2)', [1, 2, 1e-3, 3, 1], 0.01);
    const r = distributionOfRelaxationTimes(noisy);
    expect(r.lambdaSource).toBe('gcv');
    expect(r.lambdaAtBound).toBe(false);
    expect(Math.abs(Math.log10(r.lambda) + 3)).toBeGreaterThan(1.5);
    for (const score of r.gcvScores) expect(r.gcvScore).toBeLessThanOrEqual(score * (1 + 1e-12));
    expect(r.gcvEvaluations).toBeGreaterThan(r.gcvScores.length);
    const noisier = distributionOfRelaxationTimes(
      synthetic('R0-p(R1,C1)-p(R2,C2)', [1, 2, 1e-3, 3, 1], 0.05),
    );
    expect(noisier.lambda).toBeGreaterThan(10 * r.lambda);
    expect(noisier.peaks.map((p) => Math.round(p.rOhm))).toEqual([2, 3]);
  });

  it('computes GCV exactly as the dense formula n |(I-H) b|^2 / tr(I-H)^2 does', () => {
    const s = synthetic('R0-p(R1,C1)-p(R2,C2)', [1, 2, 1e-3, 3, 1], 0.05);
    const r = distributionOfRelaxationTimes(s);
    const basis = drtBasis(s.fHz, { penalty: 1, fwhmCoefficient: 0.5 });
    const n = s.fHz.length;
    const rows = 2 * n;
    const cols = n + 2;
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, Math.hypot(s.reOhm[i]!, s.imOhm[i]!));
    const b = [...Array.from(s.reOhm, (v) => v / scale), ...Array.from(s.imOhm, (v) => v / scale)];
    for (const k of [0, 10, 20, 28]) {
      const lambda = r.gcvLambdas[k]!;
      const h = Float64Array.from(basis.normal);
      for (let p = 0; p < n; p++)
        for (let q = 0; q < n; q++) h[(p + 2) * cols + q + 2]! += lambda * basis.penaltyMatrix[p * n + q]!;
      expect(choleskyInPlace(h, cols)).toBe(true);
      const solve = (v: Float64Array) => {
        forwardSubstitute(h, cols, v);
        backSubstituteTransposed(h, cols, v);
        return v;
      };
      const column = (j: number) => basis.a.subarray(j * rows, (j + 1) * rows);
      const x = solve(
        Float64Array.from({ length: cols }, (_, j) => column(j).reduce((acc, v, i) => acc + v * b[i]!, 0)),
      );
      let rss = 0;
      for (let i = 0; i < rows; i++) {
        let fit = 0;
        for (let j = 0; j < cols; j++) fit += basis.a[j * rows + i]! * x[j]!;
        rss += (b[i]! - fit) ** 2;
      }
      let traceH = 0;
      for (let j = 0; j < cols; j++)
        traceH += solve(Float64Array.from(basis.normal.subarray(j * cols, (j + 1) * cols)))[j]!;
      const dense = rss / rows / ((rows - traceH) / rows) ** 2;
      expect(r.gcvScores[k]! / dense).toBeCloseTo(1, 6);
    }
  });

  it('uses a given lambda as is, and a 2nd-derivative penalty finds the same two processes', () => {
    const fixed = distributionOfRelaxationTimes(twoRc, { lambda: 1e-4 });
    expect(fixed.lambda).toBe(1e-4);
    expect(fixed.lambdaSource).toBe('given');
    const second = distributionOfRelaxationTimes(twoRc, { penalty: 2 });
    expect(second.peaks.map((p) => Math.round(Math.log10(p.tauS)))).toEqual([-3, 0]);
  });

  it('builds the matrices once per frequency grid', () => {
    const first = drtBasis(twoRc.fHz, { penalty: 1, fwhmCoefficient: 0.5 });
    const again = drtBasis(Float64Array.from(grid), { penalty: 1, fwhmCoefficient: 0.5 });
    const other = drtBasis(twoRc.fHz, { penalty: 2, fwhmCoefficient: 0.5 });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('rejects a bad lambda and a malformed spectrum with a clear error', () => {
    expect(() => distributionOfRelaxationTimes(twoRc, { lambda: 0 })).toThrow(
      /lambda must be a positive number/,
    );
    expect(() => distributionOfRelaxationTimes(twoRc, { lambda: Number.NaN })).toThrow(RangeError);
    const bad = spectrum([1, 2, 3, 4, 5], [1, 1, Number.POSITIVE_INFINITY, 1, 1], [0, 0, 0, 0, 0]);
    expect(() => distributionOfRelaxationTimes(bad)).toThrow(/DRT: point 2 \(3 Hz\): impedance Infinity/);
  });
});

describe('DRT on the pyDRTtools reference spectrum LIB_data.txt', () => {
  it("matches pyDRTtools' formulation at its default lambda 1e-3", () => {
    // Reference: pyDRTtools' simple_run formulas (Gaussian, FWHM 0.5, 1st order, R_inf and L, combined
    // Re-Im) solved at lambda = 1e-3 with scipy: R_inf 0.11288, L 5.86e-7 H, R_pol 0.06595, peaks at
    // tau 1.017e-3, 8.80e-3, 0.150, 1.80 and 84.9 s.
    const r = distributionOfRelaxationTimes(real('LIB_data.txt'), { lambda: 1e-3 });
    expect(r.rInfOhm).toBeCloseTo(0.11288, 4);
    expect(r.lH / 5.8595e-7).toBeCloseTo(1, 2);
    expect(r.rPolOhm).toBeCloseTo(0.06595, 4);
    const expected = [1.017e-3, 8.8e-3, 0.15, 1.8, 84.9];
    expect(r.peaks).toHaveLength(expected.length);
    for (const [k, p] of r.peaks.entries()) expect(Math.log10(p.tauS / expected[k]!)).toBeCloseTo(0, 1);
  });

  it('flags that GCV keeps falling at the lower end of the searched range', () => {
    const r = distributionOfRelaxationTimes(real('LIB_data.txt'));
    expect(r.lambdaAtBound).toBe(true);
    expect(r.lambda).toBeLessThan(1.1e-7);
    const wider = distributionOfRelaxationTimes(real('LIB_data.txt'), { logLambdaRange: [-12, 0] });
    expect(wider.lambda).toBeLessThan(r.lambda);
  });
});

describe('DRT building blocks', () => {
  it('integrates each Gaussian RBF against the Debye kernel to 1e-10', () => {
    const eps = 3.6;
    const quad = new RbfKernelQuadrature(eps);
    for (const wTau of [1e-3, 0.1, 1, 7, 1e3]) {
      const [re, im] = quad.evaluate(wTau);
      const g = (u: number) => Math.exp(-((eps * u) ** 2));
      const reRef = simpson((u) => g(u) / (1 + (wTau * Math.exp(u)) ** 2), -5, 5);
      const imRef = simpson((u) => (-g(u) * wTau * Math.exp(u)) / (1 + (wTau * Math.exp(u)) ** 2), -5, 5);
      expect(Math.abs(re - reRef)).toBeLessThan(1e-10);
      expect(Math.abs(im - imRef)).toBeLessThan(1e-10);
    }
  });

  it('gives penalty entries equal to the integrals of products of RBF derivatives', () => {
    const lnTau = Float64Array.from([0, 0.23, 0.9]);
    const eps = rbfEpsilon(Float64Array.from([0, 0.23, 0.46]), 0.5);
    const d1 = (c: number) => (y: number) => -2 * eps * eps * (y - c) * Math.exp(-((eps * (y - c)) ** 2));
    const d2 = (c: number) => (y: number) => {
      const u = eps * (y - c);
      return 2 * eps * eps * (2 * u * u - 1) * Math.exp(-u * u);
    };
    for (const [order, d] of [
      [1, d1],
      [2, d2],
    ] as const) {
      const m = penaltyMatrix(lnTau, eps, order);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const ref = simpson((y) => d(lnTau[i]!)(y) * d(lnTau[j]!)(y), -6, 7);
          expect(m[i * 3 + j]! / ref).toBeCloseTo(1, 8);
        }
      }
    }
  });

  it("sets the RBF width from pyDRTtools' FWHM coefficient", () => {
    // FWHM of exp(-(eps x)^2) is 2 sqrt(ln 2)/eps; with coefficient 0.5 it is twice the mean spacing.
    const eps = rbfEpsilon(Float64Array.from([0, 0.5, 1, 1.5]), 0.5);
    expect((2 * Math.sqrt(Math.LN2)) / eps).toBeCloseTo(1, 12);
  });

  it('reports one peak for a split top and integrates each peak between its minima', () => {
    const n = 200;
    const tau = Float64Array.from({ length: n }, (_, k) => 10 ** (-3 + (6 * k) / (n - 1)));
    const y = Array.from(tau, Math.log);
    const dy = y[1]! - y[0]!;
    // Two separated Gaussians of area 1 and 2, the second with a 0.1 % ripple on top.
    const bump = (c: number, area: number) => (v: number) =>
      (area / Math.sqrt(Math.PI)) * Math.exp(-((v - c) ** 2));
    const gamma = Float64Array.from(
      y,
      (v, k) => bump(-3, 1)(v) + bump(4, 2)(v) * (1 + 1e-3 * Math.sin(40 * k)),
    );
    const peaks = findPeaks(tau, gamma, 3, 0.01);
    expect(peaks).toHaveLength(2);
    expect(Math.log(peaks[0]!.tauS)).toBeCloseTo(-3, 1);
    expect(peaks[0]!.rOhm).toBeCloseTo(1, 2);
    expect(peaks[1]!.rOhm).toBeCloseTo(2, 2);
    expect(peaks[1]!.share).toBeCloseTo(2 / 3, 2);
    expect(dy).toBeGreaterThan(0);
  });
});
