import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIT_CASES } from '../../../bench/eis/fit-cases';
import { parseCircuit } from '../../../src/eis/circuit';
import { dropInductive } from '../../../src/eis/drop-inductive';
import { fitCircuit } from '../../../src/eis/fit';
import { parseSpectrumFile } from '../../../src/eis/readers';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');

/**
 * Two shared spectra no circuit of the grammar's elements fits under 2 % (README, "Circuit fits": a
 * convex non-negative relaxation-time fit bounds every such circuit at 3.64 % and 4.45 %). For them the
 * test asks for the circuit's global minimum, found independently by scipy from 150-300 random starts.
 */
const GLOBAL_MINIMUM: Readonly<Record<string, number>> = {
  'exampleDataGamry.DTA': 0.03763,
  'DAHN_TXT_example.txt': 0.04701,
};

describe('no-guess fits of every shared spectrum with its case circuit', () => {
  for (const c of FIT_CASES) {
    const minimum = GLOBAL_MINIMUM[c.file];
    const goal =
      minimum === undefined ? 'under 2 %' : `at its global minimum (${(minimum * 100).toFixed(2)} %)`;
    it(`${c.file}: ${c.circuit} reaches an rms relative residual ${goal}`, () => {
      const raw = parseSpectrumFile(c.file, readFileSync(path.join(dataDir, c.file))).spectrum;
      const data = c.dropInductive ? dropInductive(raw) : raw;
      const fit = fitCircuit(parseCircuit(c.circuit), data, { weighting: c.weighting });
      expect(fit.converged).toBe(true);
      if (minimum === undefined) expect(fit.rmsRelative).toBeLessThan(0.02);
      else expect(fit.rmsRelative).toBeLessThan(minimum * 1.001);
    });
  }
});
