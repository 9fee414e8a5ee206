/**
 * The simulated cell's impedance in the charged state: R_SE, the LiIn interface arc, the cathode arc
 * (R_CAT with a CPE), semi-infinite diffusion, and, when a soft short is present, the leakage path in
 * parallel with all of it. Evaluated with src/eis's circuit code; noise is added per point.
 */
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { type Spectrum, spectrum } from '../../../src/eis/spectrum';
import type { Random } from '../../../src/random';

const cellCircuit = parseCircuit('R0-p(R1,CPE1)-p(R2,CPE2)-W1');
const shortedCellCircuit = parseCircuit('p(R0-p(R1,CPE1)-p(R2,CPE2)-W1,R3)');

export type CellImpedance = {
  readonly rSeOhm: number;
  readonly rAnodeOhm: number;
  readonly anodeQ: number;
  readonly anodeAlpha: number;
  readonly rCatOhm: number;
  readonly cathodeQ: number;
  readonly cathodeAlpha: number;
  readonly warburgOhmSqrtS: number;
  /** Resistance of the soft-short path, or null without one. */
  readonly leakOhm: number | null;
};

/** A potentiostat's usual sweep for these cells: 1 MHz down to 10 mHz, 10 points per decade. */
export const cellFrequenciesHz: Float64Array = (() => {
  const f = new Float64Array(81);
  for (let i = 0; i < f.length; i++) f[i] = 10 ** (6 - i / 10);
  return f;
})();

/** CPE coefficient that puts the apex of an R||CPE arc at `apexHz`: (R Q)^(1/alpha) = 1/(2 pi f). */
export function cpeQForApex(rOhm: number, apexHz: number, alpha: number): number {
  return 1 / (rOhm * (2 * Math.PI * apexHz) ** alpha);
}

export function cellSpectrum(
  z: CellImpedance,
  fHz: Float64Array,
  rng: Random,
  relativeNoise: number,
): Spectrum {
  const base = [z.rSeOhm, z.rAnodeOhm, z.anodeQ, z.anodeAlpha, z.rCatOhm, z.cathodeQ, z.cathodeAlpha];
  const clean =
    z.leakOhm === null
      ? circuitImpedance(cellCircuit, [...base, z.warburgOhmSqrtS], fHz)
      : circuitImpedance(shortedCellCircuit, [...base, z.warburgOhmSqrtS, z.leakOhm], fHz);
  const re = new Float64Array(fHz.length);
  const im = new Float64Array(fHz.length);
  for (let i = 0; i < fHz.length; i++) {
    const r = clean.re[i]!;
    const x = clean.im[i]!;
    const sd = relativeNoise * Math.hypot(r, x);
    re[i] = r + sd * rng.normal();
    im[i] = x + sd * rng.normal();
  }
  return spectrum(fHz, re, im);
}
