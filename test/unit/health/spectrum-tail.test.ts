import { describe, expect, it } from 'vitest';
import { cellFrequenciesHz, cpeQForApex } from '../../../devices/sim/models/cell-spectrum';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { spectrum } from '../../../src/eis/spectrum';
import { lowFrequencyTailSlope } from '../../../src/health/spectrum-tail';

const shorted = parseCircuit('p(R0-p(R1,CPE1)-p(R2,CPE2)-W1,R3)');
const tail = (leakOhm: number) => {
  const params = [42, 8, cpeQForApex(8, 20_000, 0.9), 0.9, 100, cpeQForApex(30, 300, 0.8), 0.8, 45, leakOhm];
  const z = circuitImpedance(shorted, params, cellFrequenciesHz);
  return lowFrequencyTailSlope(spectrum(cellFrequenciesHz, z.re, z.im));
};

describe('low-frequency tail slope', () => {
  it('is about 1 for a diffusion tail and falls as a parallel leak gets smaller', () => {
    expect(tail(1e9)).toBeGreaterThan(0.99);
    expect(tail(30_000)).toBeGreaterThan(0.97);
    // Under 80 % of the healthy slope, the spectrum-plateau sign: leaks of about 2 kOhm and below here.
    expect(tail(2_000)).toBeGreaterThan(0.8);
    expect(tail(1_000)).toBeLessThan(0.8);
  });

  it('is NaN when the lowest decade has fewer than 3 points', () => {
    expect(lowFrequencyTailSlope(spectrum([1000, 100, 10], [1, 2, 3], [-1, -2, -3]))).toBeNaN();
  });
});
