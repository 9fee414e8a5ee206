/**
 * R_CAT at a common temperature and pressure, so a warm spell is not read as the interface healing and
 * a cold one as it growing. The activation energy is the cell's own: from cell.json when given, else
 * estimated from the data. A cell's R_CAT changes slowly from cycle to cycle while its temperature can
 * jump, so consecutive determined cycles give
 *     ln R(n+1) - ln R(n) = Ea (u(n+1) - u(n)) + g,     u = 1 / (k_B T),
 * a line through the pairs whose slope is Ea and whose intercept g absorbs the slow growth. It is fitted
 * robustly (Huber), so one odd cycle does not tilt it. Without enough temperature spread for a standard
 * error under 0.1 eV, nothing is estimated and R_CAT is not normalised (the temperature then varies too
 * little to matter, or is not logged): the evidence says which.
 */
import { huberRegression } from './stats';

export const BOLTZMANN_EV = 8.617333e-5;
export const REFERENCE_TEMPERATURE_C = 25;
export const REFERENCE_PRESSURE_MPA = 150;
/** R ~ P^-n around 150 MPa (contact area under stack pressure); assumed, documented in the README. */
export const PRESSURE_EXPONENT = 0.5;

export const ACTIVATION_CRITERIA = {
  minPairs: 8,
  maxStderrEv: 0.1,
  minEv: 0.05,
  maxEv: 1.5,
} as const;

export type ActivationEnergy = {
  readonly ev: number | null;
  readonly stderrEv: number | null;
  readonly source: 'cell.json' | 'estimated' | 'none';
  readonly pairs: number;
  readonly reason: string;
};

export type TemperaturePoint = {
  readonly cycle: number;
  readonly rCatOhm: number;
  readonly temperatureC: number | null;
};

export const inverseKT = (tempC: number) => 1 / (BOLTZMANN_EV * (tempC + 273.15));

/** Ea from consecutive determined cycles (both with a temperature), or why not. */
export function estimateActivation(points: readonly TemperaturePoint[], given?: number): ActivationEnergy {
  if (given !== undefined) {
    return { ev: given, stderrEv: null, source: 'cell.json', pairs: 0, reason: `${given} eV from cell.json` };
  }
  const c = ACTIVATION_CRITERIA;
  const usable = points.filter((p) => p.temperatureC !== null && p.rCatOhm > 0);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 1; i < usable.length; i++) {
    const a = usable[i - 1]!;
    const b = usable[i]!;
    if (b.cycle - a.cycle > 3) continue;
    X.push([1, inverseKT(b.temperatureC!) - inverseKT(a.temperatureC!)]);
    y.push(Math.log(b.rCatOhm / a.rCatOhm));
  }
  const none = (reason: string): ActivationEnergy => ({
    ev: null,
    stderrEv: null,
    source: 'none',
    pairs: X.length,
    reason,
  });
  if (usable.length === 0) return none('no temperature logged: R_CAT not normalised for temperature');
  if (X.length < c.minPairs)
    return none(`${X.length} pairs of consecutive cycles with a temperature (need ${c.minPairs})`);
  const spread = Math.max(...X.map((r) => Math.abs(r[1]!)));
  if (!(spread > 0)) return none('the temperature did not change: R_CAT not normalised');
  const fit = huberRegression(X, y);
  const ev = fit.coefficients[1]!;
  const se = fit.stderr[1]!;
  if (!(se <= c.maxStderrEv)) {
    return none(
      `the temperature varied too little to estimate Ea (standard error ${Number.isFinite(se) ? se.toFixed(2) : 'unknown'} eV over ${X.length} pairs): R_CAT not normalised`,
    );
  }
  if (!(ev >= c.minEv && ev <= c.maxEv)) {
    return none(`estimated Ea ${ev.toFixed(2)} eV is outside ${c.minEv}-${c.maxEv} eV: R_CAT not normalised`);
  }
  return {
    ev,
    stderrEv: se,
    source: 'estimated',
    pairs: X.length,
    reason: `${ev.toFixed(3)} +- ${se.toFixed(3)} eV estimated from ${X.length} pairs of consecutive cycles`,
  };
}

/** R_CAT at 25 C (with Ea) and 150 MPa (with a pressure). */
export function normaliseRcat(
  rCatOhm: number,
  temperatureC: number | null,
  activationEv: number | null,
  pressureMPa?: number,
): number {
  let r = rCatOhm;
  if (activationEv !== null && temperatureC !== null) {
    r *= Math.exp(-activationEv * (inverseKT(temperatureC) - inverseKT(REFERENCE_TEMPERATURE_C)));
  }
  if (pressureMPa !== undefined && pressureMPa > 0)
    r *= (pressureMPa / REFERENCE_PRESSURE_MPA) ** PRESSURE_EXPONENT;
  return r;
}
