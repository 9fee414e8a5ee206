/**
 * What changes from one cycle to the next, by mechanism (parameters in cell-params.ts):
 *
 *  - Interphase: LPSCl oxidised at the charged cathode grows a poorly conducting interphase. It starts
 *    at what mixing left (pristine, LNO), grows fast in the first charges (formation) and then at a
 *    steady rate per cycle (oxygen released by NMC811 keeps oxidising LPSCl). R_CAT is the bare charge
 *    transfer plus the interphase's d / (sigma A), both over the accessible fraction.
 *  - Accessible cathode: each nm grown cuts some particles off (by-products that conduct neither ions
 *    nor electrons), and chemo-mechanical breathing loses a little contact every cycle.
 *  - Lithium filament: where cathode contact is lost the current crowds onto the rest; once the local
 *    current density passes the critical one, lithium penetrates the separator a little each cycle (a
 *    log-normal amount). When it has crossed the separator it is a soft short: a resistance between the
 *    electrodes that conducts in every step, thickens as cycling goes on, and makes transient contacts.
 */
import type { Random } from '../../../src/random';
import { type CoatingParams, CELL_CONSTANTS as K } from './cell-params';

export type DegradationState = {
  readonly cycle: number;
  readonly interphaseNm: number;
  /** Interphase grown in this cycle's charge. */
  readonly grownNm: number;
  /** Fraction of the cathode still in contact (1 at assembly). */
  readonly accessible: number;
  readonly filamentUm: number;
  /** First cycle the filament conducted in, or null. */
  readonly shortFromCycle: number | null;
  /** Filament conductance (S) while connected, 0 before. */
  readonly filamentS: number;
};

export function initialDegradation(c: CoatingParams): DegradationState {
  return {
    cycle: 0,
    interphaseNm: c.interphaseAtAssemblyNm.value,
    grownNm: 0,
    accessible: 1,
    filamentUm: 0,
    shortFromCycle: null,
    filamentS: 0,
  };
}

/** The state for cycle `prev.cycle + 1`: its charge grows the interphase and may advance the filament. */
export function nextCycle(
  prev: DegradationState,
  c: CoatingParams,
  chargeCurrentA: number,
  rng: Random,
): DegradationState {
  const cycle = prev.cycle + 1;
  const grownNm =
    c.formationNm.value * Math.exp(-(cycle - 1) / c.formationCycles.value) + c.growthNmPerCycle.value;
  const accessible =
    prev.accessible * Math.exp(-K.isolationPerNm.value * grownNm - K.contactLossPerCycle.value);
  let { filamentUm, shortFromCycle, filamentS } = prev;
  if (shortFromCycle === null) {
    // Current crowding: the local current density at the weakest spot of the separator.
    const meanMAPerCm2 = (chargeCurrentA * 1000) / K.areaCm2.value;
    const localMAPerCm2 = meanMAPerCm2 * accessible ** -K.focusingExponent.value;
    const over = localMAPerCm2 / K.criticalCurrentMAPerCm2.value - 1;
    if (over > 0) {
      const scatter = Math.exp(K.penetrationScatter.value * rng.normal());
      filamentUm += K.penetrationUmPerCycle.value * over * scatter;
    }
    if (filamentUm >= K.separatorThicknessUm.value) {
      shortFromCycle = cycle;
      filamentS = 1 / K.filamentOhm.value;
    }
  } else {
    filamentS *= 1 + K.filamentGrowthPerCycle.value;
  }
  return {
    cycle,
    interphaseNm: prev.interphaseNm + grownNm,
    grownNm,
    accessible,
    filamentUm,
    shortFromCycle,
    filamentS,
  };
}
