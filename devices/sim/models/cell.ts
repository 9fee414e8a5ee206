/**
 * A simulated solid-state cell cycled like the reference study: CC charge at C/10 to 3.68 V, rest, an
 * impedance spectrum in the charged state, CC discharge to 1.88 V, rest. Pure and seedable: the same
 * parameters and seed give the same samples and spectra.
 *
 * Voltage = OCV(state of charge) + I R_ohmic + slow polarisation. Capacity fades along the study's
 * retention figure; the cell's accessible capacity in each cycle is solved so the delivered discharge
 * capacity follows it, whatever the resistance and the leakage take away. A soft short is a filament
 * that conducts once the cell is charged past half way and keeps growing while charge is forced through
 * it: charge goes into it and never comes back, the voltage stalls or dips, OCV decays in the rest, and
 * the spectrum gains a parallel leakage resistance. Stripping during discharge dissolves its tip.
 */
import type { Spectrum } from '../../../src/eis/spectrum';
import { type Random, seededRandom } from '../../../src/random';
import { type Protocol, type SimCellParams, studyProtocol } from './cell-params';
import { cellFrequenciesHz, cellSpectrum, cpeQForApex } from './cell-spectrum';
import { ocvV } from './ocv-nmc811-liin';

export type SimulatedCycle = {
  readonly cycle: number;
  /** This cycle's samples, as a cycler logs them (measured, with noise). Current > 0 while charging. */
  readonly timeS: number[];
  readonly voltageV: number[];
  readonly currentA: number[];
  /** Taken at the end of the rest after charge. */
  readonly spectrum: Spectrum;
  readonly temperatureC: number;
  /** What the model knows and an analysis has to find out. */
  readonly truth: {
    readonly rCatOhm: number;
    readonly leakOhm: number | null;
    readonly chargeAh: number;
    readonly dischargeAh: number;
  };
};

const BOLTZMANN_EV = 8.617e-5;
/** Activation energies of the separator and the two interfaces (Li6PS5Cl and its interphases). */
const ACTIVATION_EV = { se: 0.3, anode: 0.3, cathode: 0.34 };
/** Contact at the cathode interface improves with stack pressure; R_CAT ~ P^-1/2 around 150 MPa. */
const PRESSURE_EXPONENT = 0.5;
const REFERENCE_PRESSURE_MPA = 150;
/** The filament connects in the second half of charge, where the anode is lithiated enough. */
const FILAMENT_SOC = 0.55;
const FILAMENT_WIDTH = 0.05;
/** Charge forced through the filament thickens it: conductance gain per nominal capacity passed. */
const FILAMENT_GROWTH_PER_CAPACITY = 1.5;
const INITIAL_SOC = 0.03;

type CellState = { soc: number; polarisationV: number; timeS: number };

type CycleConditions = {
  readonly capacityAh: number;
  readonly currentA: number;
  readonly ohmicOhm: number;
  readonly sideReactionFraction: number;
  /** Filament conductance when fully connected, 0 without a short. */
  readonly filamentS: number;
};

type Trace = { timeS: number[]; voltageV: number[]; currentA: number[] };

type CycleRun = {
  readonly state: CellState;
  readonly trace: Trace;
  readonly chargeAh: number;
  readonly dischargeAh: number;
  readonly leakOhmAtEis: number | null;
};

export function retentionTarget(p: SimCellParams, cycle: number): number {
  return 1 - (1 - p.retentionAt100) * ((cycle - 1) / 99) ** p.fadeExponent;
}

export function rCatAtReference(p: SimCellParams, cycle: number): number {
  const formed = p.rCatFormationOhm * (1 - Math.exp(-(cycle - 1) / p.formationCycles));
  return p.rCatInitialOhm + formed + p.rCatGrowthOhmPerCycle * (cycle - 1);
}

/** Yields one cycle at a time, so a live simulation can pace them; `simulateCell` collects them all. */
export function* simulateCycles(
  p: SimCellParams,
  seed: number,
  cycles: number,
  protocol: Protocol = studyProtocol,
): Generator<SimulatedCycle> {
  const master = seededRandom(seed);
  const nominalAh = p.nominalCapacitymAh / 1000;
  const currentA = nominalAh * protocol.cRate;
  const firstDischargeAh = nominalAh * p.firstDischargeFraction;
  let state: CellState = { soc: INITIAL_SOC, polarisationV: 0, timeS: 0 };
  let capacityGuessAh = firstDischargeAh / 0.9;
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const temperatureC = p.temperatureC + p.noise.temperatureC * master.normal();
    const targetAh =
      firstDischargeAh * retentionTarget(p, cycle) * (1 + p.noise.capacityRelative * master.normal());
    const cycleSeed = master.int(0, 0x7fffffff);
    const z = impedanceAt(p, cycle, temperatureC);
    const short = p.softShort;
    const filamentS =
      short && cycle >= short.onsetCycle
        ? ((short.severity * currentA) / 3.6) * (1 + short.growthPerCycle * (cycle - short.onsetCycle))
        : 0;
    const sideReactionFraction =
      (1 - p.firstCycleEfficiency) * Math.exp(-(cycle - 1) / 0.7) + (1 - p.steadyEfficiency);
    const conditions = (capacityAh: number): CycleConditions => ({
      capacityAh,
      currentA,
      ohmicOhm: z.rSeOhm + z.rAnodeOhm + z.rCatOhm,
      sideReactionFraction,
      filamentS,
    });
    // The accessible capacity is whatever makes this cycle deliver the target; three secant-free
    // proportional corrections converge to well under the capacity noise.
    let run = runCycle(state, conditions(capacityGuessAh), p, protocol, seededRandom(cycleSeed));
    for (let k = 0; k < 3 && run.dischargeAh > 0; k++) {
      capacityGuessAh *= targetAh / run.dischargeAh;
      run = runCycle(state, conditions(capacityGuessAh), p, protocol, seededRandom(cycleSeed));
    }
    state = run.state;
    const eisRng = seededRandom(cycleSeed ^ 0x5bd1e995);
    const spectrum = cellSpectrum(
      { ...z, leakOhm: run.leakOhmAtEis },
      cellFrequenciesHz,
      eisRng,
      p.noise.eisRelative,
    );
    yield {
      cycle,
      ...run.trace,
      spectrum,
      temperatureC,
      truth: {
        rCatOhm: z.rCatOhm,
        leakOhm: run.leakOhmAtEis,
        chargeAh: run.chargeAh,
        dischargeAh: run.dischargeAh,
      },
    };
  }
}

export function simulateCell(
  p: SimCellParams,
  seed: number,
  cycles: number,
  protocol: Protocol = studyProtocol,
): SimulatedCycle[] {
  return [...simulateCycles(p, seed, cycles, protocol)];
}

function arrhenius(activationEv: number, tempC: number, refC: number): number {
  return Math.exp((activationEv / BOLTZMANN_EV) * (1 / (tempC + 273.15) - 1 / (refC + 273.15)));
}

function impedanceAt(p: SimCellParams, cycle: number, tempC: number) {
  const pressure = (REFERENCE_PRESSURE_MPA / p.pressureMPa) ** PRESSURE_EXPONENT;
  const rCatOhm = rCatAtReference(p, cycle) * pressure * arrhenius(ACTIVATION_EV.cathode, tempC, 25);
  const rAnodeOhm = p.rAnodeOhm * arrhenius(ACTIVATION_EV.anode, tempC, 25);
  return {
    rSeOhm: p.rSeOhm * arrhenius(ACTIVATION_EV.se, tempC, 25),
    rAnodeOhm,
    anodeQ: cpeQForApex(p.rAnodeOhm, p.anodeApexHz, 0.9),
    anodeAlpha: 0.9,
    rCatOhm,
    // The interface capacitance stays; a growing R_CAT moves the arc's apex to lower frequency.
    cathodeQ: cpeQForApex(p.rCatInitialOhm, p.cathodeApexHz, p.cathodeAlpha),
    cathodeAlpha: p.cathodeAlpha,
    warburgOhmSqrtS: p.warburgOhmSqrtS,
  };
}

function filamentConnection(soc: number): number {
  return 1 / (1 + Math.exp(-(soc - FILAMENT_SOC) / FILAMENT_WIDTH));
}

function runCycle(
  start: CellState,
  c: CycleConditions,
  p: SimCellParams,
  protocol: Protocol,
  rng: Random,
): CycleRun {
  const s: CellState = { ...start };
  const trace: Trace = { timeS: [], voltageV: [], currentA: [] };
  const log = (currentA: number, voltageV: number) => {
    trace.timeS.push(s.timeS);
    trace.voltageV.push(voltageV + p.noise.voltageV * rng.normal());
    trace.currentA.push(currentA === 0 ? 0 : currentA * (1 + p.noise.currentRelative * rng.normal()));
  };
  const nominalAh = p.nominalCapacitymAh / 1000;
  let filamentGain = 1;
  const leakA = (soc: number) => c.filamentS * filamentGain * filamentConnection(soc) * ocvV(soc);
  const terminalV = (currentA: number) => ocvV(s.soc) + currentA * c.ohmicOhm + s.polarisationV;
  const advance = (currentA: number, dtS: number, leaking: boolean) => {
    const stored = currentA > 0 ? currentA * (1 - c.sideReactionFraction) : currentA;
    const leak = leaking ? leakA(s.soc) : 0;
    s.soc = Math.min(1, Math.max(0, s.soc + ((stored - leak) * dtS) / 3600 / c.capacityAh));
    const target = currentA * p.rPolarisationOhm;
    s.polarisationV = target + (s.polarisationV - target) * Math.exp(-dtS / p.polarisationTauS);
    s.timeS += dtS;
  };
  // Constant-current step until the cut-off is crossed (the last sample lands on it) or time runs out.
  const ccStep = (currentA: number, cutoffV: number, limitS: number, leaking: boolean): number => {
    const t0 = s.timeS;
    const beyond = (v: number) => (currentA > 0 ? v >= cutoffV : v <= cutoffV);
    log(currentA, terminalV(currentA));
    // Whole sample intervals counted, not elapsed time compared: float time would never quite arrive.
    const steps = Math.ceil(limitS / protocol.sampleIntervalS);
    for (let k = 0; k < steps; k++) {
      const dt = Math.min(protocol.sampleIntervalS, limitS - k * protocol.sampleIntervalS);
      const before = { ...s };
      const vBefore = terminalV(currentA);
      advance(currentA, dt, leaking);
      if (leaking) filamentGain += (FILAMENT_GROWTH_PER_CAPACITY * currentA * dt) / 3600 / nominalAh;
      const vAfter = terminalV(currentA);
      if (beyond(vAfter)) {
        const fraction = Math.min(1, Math.max(0, (cutoffV - vBefore) / (vAfter - vBefore)));
        Object.assign(s, before);
        advance(currentA, dt * fraction, leaking);
        log(currentA, terminalV(currentA));
        break;
      }
      log(currentA, vAfter);
    }
    return (currentA * (s.timeS - t0)) / 3600;
  };
  const rest = (leaking: boolean) => {
    const steps = Math.ceil(protocol.restS / protocol.sampleIntervalS);
    for (let k = 0; k < steps; k++) {
      advance(0, Math.min(protocol.sampleIntervalS, protocol.restS - k * protocol.sampleIntervalS), leaking);
      log(0, terminalV(0));
    }
  };

  const shorted = c.filamentS > 0;
  const chargeAh = ccStep(c.currentA, protocol.chargeCutoffV, protocol.chargeTimeLimitS, shorted);
  rest(shorted);
  const leakAtEis = leakA(s.soc);
  const leakOhmAtEis = shorted && leakAtEis > 0 ? ocvV(s.soc) / leakAtEis : null;
  const dischargeAh = -ccStep(-c.currentA, protocol.dischargeCutoffV, protocol.chargeTimeLimitS, false);
  rest(false);
  return { state: s, trace, chargeAh, dischargeAh, leakOhmAtEis };
}
