import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCircuit } from '../../../src/eis/circuit';
import { fitCircuit } from '../../../src/eis/fit';
import { arcVariants } from '../../../src/eis/initial-guess';
import { parseSpectrumFile } from '../../../src/eis/readers';
import type { SpectrumFeatures } from '../../../src/eis/spectrum-features';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');
const read = (name: string) => parseSpectrumFile(name, readFileSync(path.join(dataDir, name))).spectrum;

/** Features of a spectrum from fMinHz to fMaxHz spanning 1000 Ohm; only what arcVariants reads matters. */
const features = (fMinHz: number, fMaxHz: number): SpectrumFeatures => ({
  rHfOhm: 10,
  rSpanOhm: 1000,
  zMaxOhm: 1000,
  fMinHz,
  fMaxHz,
  arcs: [],
  relaxationArcs: [],
  lowOmega: 2 * Math.PI * fMinHz,
  lowMinusImOhm: 100,
  inductanceH: 0,
});

const frequencies = (variants: { fHz: number }[][]) => variants.map((v) => v.map((a) => a.fHz));

describe('arc variants for arcs the spectrum shows no apex for', () => {
  it('tries a missing arc at the midpoint of a gap of up to 5 decades', () => {
    // Edges 1e5 (a decade above the top), the apex at 1e3, and 0.1 Hz (a decade below the bottom).
    const variants = arcVariants([{ fHz: 1e3, rOhm: 500 }], features(1, 1e4), 2);
    const f = frequencies(variants);
    expect(f).toHaveLength(2);
    expect(f[0]![0]).toBeCloseTo(1e4, 6);
    expect(f[1]![1]).toBeCloseTo(10, 9);
  });

  it('tries a gap wider than 5 decades at its quarter points, so an arc near either end is found', () => {
    // exampleDataGamry.DTA: the only apex at 100 kHz, then -Im rising down to 16 mHz. The gap below the
    // apex spans 7.8 decades; its midpoint (13 Hz) lies 4 decades from the large low-frequency arc.
    const variants = arcVariants([{ fHz: 1e5, rOhm: 3350 }], features(0.0159, 2e5), 3);
    const lowest = variants.map((v) => Math.min(...v.map((a) => a.fHz)));
    expect(Math.min(...lowest)).toBeLessThan(0.2);
    expect(lowest.some((f) => Math.abs(Math.log10(f / Math.sqrt(1e5 * 0.00159))) < 0.01)).toBe(false);
    for (const v of variants) {
      expect(v).toHaveLength(3);
      expect(v.some((a) => a.fHz === 1e5)).toBe(true);
    }
  });
});

describe('no-guess fit of the measured Gamry spectrum', () => {
  it('reaches the global minimum of R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3): 3.76 %, with the small mid arc', () => {
    // scipy least_squares from 150 random starts (modulus weights) finds no lower point than 3.763 %;
    // the old midpoint-only gaps stopped at 3.93 % with the mid arc missing. Still over 2 %: the points
    // below 0.4 Hz drift (see the README), which no passive circuit follows.
    const fit = fitCircuit(
      parseCircuit('R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)'),
      read('exampleDataGamry.DTA'),
      {
        weighting: 'modulus',
      },
    );
    expect(fit.rmsRelative).toBeLessThan(0.0377);
    const r = (name: string) => fit.parameters.find((p) => p.name === name)!.value;
    expect(r('R1')).toBeGreaterThan(3e3);
    expect(r('R2')).toBeLessThan(1e3);
    expect(r('R3')).toBeGreaterThan(1.5e4);
  });
});
