/** What several fit tests share: the shared spectra, frequency grids and impedance.py's worked example. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { parseSpectrumFile } from '../../../src/eis/readers';

export const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');

export const readShared = (name: string) =>
  parseSpectrumFile(name, readFileSync(path.join(dataDir, name))).spectrum;

export const logFrequencies = (fromHz: number, toHz: number, n: number) =>
  Array.from({ length: n }, (_, i) => fromHz * (toHz / fromHz) ** (i / (n - 1)));

/**
 * impedance.py's getting-started fit: exampleData.csv without its Im > 0 points, this circuit and guess,
 * curve_fit's default bounded fit. Values and standard errors as its docs print them (3 s.f.).
 */
export const GETTING_STARTED = {
  file: 'exampleData.csv',
  circuit: 'R0-p(R1,C1)-p(R2-Wo1,C2)',
  guess: [0.01, 0.01, 100, 0.01, 0.05, 100, 1],
  documented: {
    R0: [1.65e-2, 1.54e-4],
    R1: [8.68e-3, 1.91e-4],
    C1: [3.32, 1.9e-1],
    R2: [5.39e-3, 2.06e-4],
    Wo1_0: [6.31e-2, 1.94e-3],
    Wo1_1: [2.33e2, 1.62e1],
    C2: [2.2e-1, 1.75e-2],
  },
} as const;

/** The circuits the robustness tests throw mutated spectra at, and a base spectrum of the second. */
export function robustnessCircuits() {
  const circuits = ['R0-p(R1,CPE1)', GETTING_STARTED.circuit, 'L0-R0-Zarc1-K1-Ws1-La1-W1-G1'].map(
    parseCircuit,
  );
  const f0 = logFrequencies(1e-3, 1e4, 40);
  const base = circuitImpedance(circuits[1]!, [0.0165, 0.0087, 3.3, 0.0054, 0.063, 233, 0.22], f0);
  return { circuits, f0, base };
}
