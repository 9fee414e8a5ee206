/**
 * The example spectra in examples/data/eis are generated (test/support/eis-example.ts), never copied
 * from ../shared data. This checks they are what the generator makes (UPDATE_EXAMPLES=1 rewrites them),
 * that each reads in its format to the generated points, and that they show what the docs say of them:
 * the cathode arc grows from cycle 1 to 20 as the model's does, the clean sweeps pass Kramers-Kronig and
 * the drifting one does not.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileProgrammerConfigSchema, temperatureProfileSchema } from '../../../src/control/profile';
import { parseCircuit } from '../../../src/eis/circuit';
import { dropInductive } from '../../../src/eis/drop-inductive';
import { fitCircuit } from '../../../src/eis/fit';
import { kramersKronigTest } from '../../../src/eis/kk';
import { parseSpectrumFile } from '../../../src/eis/readers';
import { checkOvenSettings, REFERENCE_RIG } from '../../../src/rig/hardware-limits';
import { cellAtCycle, eisExampleFiles, eisExampleSweeps } from '../../support/eis-example';

const DIR = path.join(__dirname, '..', '..', '..', 'examples', 'data');
const FILES = eisExampleFiles();

if (process.env.UPDATE_EXAMPLES === '1') {
  for (const [name, bytes] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(DIR, name)), { recursive: true });
    writeFileSync(path.join(DIR, name), bytes);
  }
}

const read = (name: string) => parseSpectrumFile(name, readFileSync(path.join(DIR, name)));

describe('example spectra', () => {
  it.each(Object.keys(FILES))('%s is what the generator makes', (name) => {
    expect(readFileSync(path.join(DIR, name)).equals(FILES[name]!)).toBe(true);
  });

  it('each file reads in its format to the generated points', () => {
    const formats: Record<string, string> = { csv: 'csv', mpt: 'biologic-mpt', DTA: 'gamry-dta' };
    const expected = eisExampleSweeps();
    for (const name of Object.keys(FILES)) {
      const { format, spectrum } = read(name);
      expect(format).toBe(formats[name.split('.').pop()!]);
      const points = expected[name]!;
      expect(spectrum.fHz.length).toBe(points.length);
      points.forEach((p, k) => {
        expect(Math.abs(spectrum.fHz[k]! / p.fHz - 1)).toBeLessThan(1e-5);
        expect(Math.abs(spectrum.reOhm[k]! - p.reOhm)).toBeLessThan(1e-5 * Math.abs(p.reOhm));
        expect(Math.abs(spectrum.imOhm[k]! - p.imOhm)).toBeLessThan(1e-5 * Math.hypot(p.reOhm, p.imOhm));
      });
    }
  });

  it("a fit without a guess finds the model's cathode resistance in every clean sweep", () => {
    const circuit = parseCircuit('R0-p(R1,CPE1)-p(R2,CPE2)-Wo1');
    const cycles: Record<string, number> = {
      'eis/cell-03_cycle-001.csv': 1,
      'eis/cell-03_cycle-010.mpt': 10,
      'eis/cell-03_cycle-020.DTA': 20,
    };
    for (const [name, cycle] of Object.entries(cycles)) {
      const fit = fitCircuit(circuit, dropInductive(read(name).spectrum), { weighting: 'modulus' });
      const r2 = fit.parameters.find((p) => p.name === 'R2')!;
      // The model's cathode arc is skewed (Havriliak-Negami); the fit's is a symmetric CPE arc.
      expect(Math.abs(r2.value / cellAtCycle(cycle).cathodeOhm - 1)).toBeLessThan(0.05);
      expect(r2.determined).toBe(true);
      expect(fit.rmsRelative).toBeLessThan(0.01);
    }
  });

  it('the clean sweeps pass the Kramers-Kronig test and the drifting one fails it', () => {
    for (const name of Object.keys(FILES)) {
      expect(kramersKronigTest(read(name).spectrum).valid).toBe(!name.includes('drifting'));
    }
  });
});

describe('example thermal profiles', () => {
  const dir = path.join(DIR, 'profiles');
  const profile = (name: string) =>
    temperatureProfileSchema.parse(JSON.parse(readFileSync(path.join(dir, name), 'utf8')));
  // The programmer's defaults, as `cellrig sim profile` and the thermal-profile node check them.
  const programmer = profileProgrammerConfigSchema.parse({});
  const problems = (name: string) =>
    checkOvenSettings(
      {
        overTempCutoffC: programmer.guard.overTempCutoffC,
        soakBandC: programmer.soakBandC,
        segments: profile(name).segments,
      },
      REFERENCE_RIG.oven,
    ).map((p) => p.message);

  it('the short TFAA drying trial is a valid profile the reference oven can run', () => {
    expect(problems('tfaa-drying-short.json')).toEqual([]);
  });

  it('too-fast.json is refused for its ramp, the segment named', () => {
    expect(problems('too-fast.json')).toEqual([
      expect.stringMatching(/heat-treat.*30 C\/min, faster than the oven/),
    ]);
  });
});
