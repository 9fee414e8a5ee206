/** What several fit tests share: the shared spectra, frequency grids and impedance.py's worked example. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { parseSpectrumFile } from '../../../src/eis/readers';
import type { Random } from '../../../src/random';

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

/** The ways the robustness tests spoil a spectrum. */
export type Mutation = 'truncate' | 'special' | 'repeat-f' | 'scale-re' | 'zero' | 'noise' | 'flip-im';
const SPECIAL = [Number.NaN, Number.POSITIVE_INFINITY, 0, -1, 1e-300, 1e300, 1.7e308];

/** The base spectrum spoilt one way; `at` is the point 'special' and 'repeat-f' spoil. */
export function mutatedSpectrum(
  how: Mutation,
  random: Random,
  f0: readonly number[],
  base: { re: ArrayLike<number>; im: ArrayLike<number> },
  at = 0,
): { f: number[]; re: number[]; im: number[] } {
  let f = [...f0];
  let re = Array.from(base.re);
  let im = Array.from(base.im);
  switch (how) {
    case 'truncate': {
      const n = random.int(0, 4);
      [f, re, im] = [f.slice(0, n), re.slice(0, n), im.slice(0, n)];
      break;
    }
    case 'special':
      [f, re, im][random.int(0, 2)]![at] = SPECIAL[random.int(0, SPECIAL.length - 1)]!;
      break;
    case 'repeat-f':
      f[at] = f[(at + 1) % f.length]!;
      break;
    case 'scale-re':
      re = re.map((v) => v * 10 ** random.uniform(-150, 150));
      break;
    case 'zero':
      re = re.map(() => 0);
      im = im.map(() => 0);
      break;
    case 'noise':
      f = f.map(() => 10 ** random.uniform(-12, 15));
      re = re.map(() => random.normal());
      im = im.map(() => random.normal());
      break;
    case 'flip-im':
      im = im.map((v) => -v);
  }
  return { f, re, im };
}
