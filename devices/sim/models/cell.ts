/**
 * A simulated LiIn | Li6PS5Cl | NMC811 cell cycled like the reference study: CC charge at C/10 to
 * 3.68 V, rest, an impedance spectrum in the charged state, CC discharge to 1.88 V, rest. Pure and
 * seedable: the same parameters and seed give the same samples and spectra.
 *
 * Terminal voltage = OCV of the particle's surface (a diffusing representative particle) + the
 * Butler-Volmer overpotential of the cathode interface (its exchange current falls as the surface
 * fills, so the discharge ends kinetically with the core not yet full) + the ohmic drops of the
 * interphase, the separator and the anode. A soft short is a resistance between the electrodes: it takes
 * its share of the current in charge, rest and discharge. The cell follows the lab temperature, which
 * the cycler logs; every resistance and the diffusivity follow it (Arrhenius). Nothing here is told the
 * retention, the short's cycle or R_CAT's course: cell-degradation.ts moves the mechanisms on.
 */
import type { Spectrum } from '../../../src/eis/spectrum';
import { type Random, seededRandom } from '../../../src/random';
import { type DegradationState, initialDegradation, nextCycle } from './cell-degradation';
import {
  COATINGS,
  interphaseOhmPerNm,
  CELL_CONSTANTS as K,
  LAB,
  nominalCapacityMAh,
  type Protocol,
  type SimCellParams,
  separatorOhm,
  studyProtocol,
} from './cell-params';
import { Particle } from './cell-particle';
import { cellFrequenciesHz, cellSpectrum, cpeQForApex } from './cell-spectrum';
import { ocvV } from './ocv-nmc811-liin';

export type SimulatedCycle = {
  readonly cycle: number;
  /** This cycle's samples, as a cycler logs them (measured, with noise). Current > 0 while charging. */
  readonly timeS: number[];
  readonly voltageV: number[];
  readonly currentA: number[];
  /** The cell's temperature as the cycler logs it, per sample (0.1 C resolution). */
  readonly temperatureC: number[];
  /** Taken at the end of the rest after charge. */
  readonly spectrum: Spectrum;
  /**
   * The model's own state, for the simulator's tests only: a detector never sees it (it reads the
   * logged samples and spectra, as from a real cycler).
   */
  readonly model: {
    readonly rCatOhm: number;
    readonly rSeOhm: number;
    readonly leakOhm: number | null;
    readonly accessible: number;
    readonly interphaseNm: number;
    readonly filamentUm: number;
    readonly eisTemperatureC: number;
  };
};

const BOLTZMANN_EV = 8.617333e-5;
const FARADAY = 96485.33;
const GAS = 8.314462;
const REFERENCE_C = 25;
const REFERENCE_PRESSURE_MPA = 150;
/** R_CAT is quoted in the charged state, where the surface holds about this lithium fraction. */
const X_REFERENCE = 0.25;
const SHELLS = 14;
const MAX_INTERNAL_STEP_S = 60;

export function arrhenius(activationEv: number, tempC: number): number {
  return Math.exp((activationEv / BOLTZMANN_EV) * (1 / (tempC + 273.15) - 1 / (REFERENCE_C + 273.15)));
}

/** Yields one cycle at a time, so a live simulation can pace them; `simulateCell` collects them all. */
export function* simulateCycles(
  p: SimCellParams,
  seed: number,
  cycles: number,
  protocol: Protocol = studyProtocol,
): Generator<SimulatedCycle> {
  const cell = new CellModel(p, seed, protocol);
  for (let n = 1; n <= cycles; n++) yield cell.runCycle();
}

export function simulateCell(
  p: SimCellParams,
  seed: number,
  cycles: number,
  protocol: Protocol = studyProtocol,
): SimulatedCycle[] {
  return [...simulateCycles(p, seed, cycles, protocol)];
}

type Trace = { timeS: number[]; voltageV: number[]; currentA: number[]; temperatureC: number[] };

class CellModel {
  private readonly coating;
  private readonly particle: Particle;
  private readonly process: Random;
  private readonly measure: Random;
  private degradation: DegradationState;
  private timeS = 0;
  /** Slow lab-temperature walk (C) and the daily phase. */
  private walkC = 0;
  private readonly phase: number;
  /** Transient filament contacts: extra conductance (S), decaying. */
  private transientS = 0;
  private readonly nominalA: number;
  private readonly theoreticalC: number;
  private readonly pressureFactor: number;
  private readonly cathodeQ: number;
  private sideFraction = 0;
  private lastV: number | undefined;
  private cached:
    | {
        timeS: number;
        degradation: DegradationState;
        tempC: number;
        dif: (x: number) => number;
        ohmic: number;
        thermal: number;
        chargeTransfer: number;
        interphase: number;
      }
    | undefined;

  constructor(
    private readonly p: SimCellParams,
    seed: number,
    private readonly protocol: Protocol,
  ) {
    this.coating = COATINGS[p.coating];
    const master = seededRandom(seed);
    this.process = seededRandom(master.int(1, 0x7fffffff));
    this.measure = seededRandom(master.int(1, 0x7fffffff));
    this.phase = this.process.uniform(0, 2 * Math.PI);
    this.walkC = LAB.walkC.value * this.process.normal();
    this.particle = new Particle(K.particleRadiusUm.value * 1e-4, SHELLS, 1 - 1e-6);
    this.degradation = initialDegradation(this.coating);
    this.nominalA = (nominalCapacityMAh() / 1000) * protocol.cRate;
    this.theoreticalC = ((K.nmcMassMg.value * K.theoreticalMAhPerG.value) / 1000) * 3.6;
    this.pressureFactor = (REFERENCE_PRESSURE_MPA / p.pressureMPa) ** K.pressureExponent.value;
    const firstRcat = this.coating.chargeTransferOhm.value + this.interphaseOhm(this.degradation);
    this.cathodeQ = cpeQForApex(firstRcat, K.cathodeApexHz.value, K.cathodeAlpha.value);
  }

  runCycle(): SimulatedCycle {
    const d = nextCycle(this.degradation, this.coating, this.nominalA, this.process);
    this.degradation = d;
    const trace: Trace = { timeS: [], voltageV: [], currentA: [], temperatureC: [] };
    const grownMAh = d.grownNm * K.sideChargeMAhPerNm.value + K.carbonSideChargeMAh.value;
    // The oxidation's charge goes with the charge current, in proportion over the expected charge.
    this.sideFraction = Math.min(0.5, grownMAh / (nominalCapacityMAh() * 1.1));
    this.ccStep(this.nominalA, this.protocol.chargeCutoffV, trace);
    this.rest(trace);
    const eis = this.spectrum();
    this.sideFraction = 0;
    this.ccStep(-this.nominalA, this.protocol.dischargeCutoffV, trace);
    this.rest(trace);
    return {
      cycle: d.cycle,
      ...trace,
      spectrum: eis.spectrum,
      model: {
        rCatOhm: eis.rCatOhm,
        rSeOhm: eis.rSeOhm,
        leakOhm: eis.leakOhm,
        accessible: d.accessible,
        interphaseNm: d.interphaseNm,
        filamentUm: d.filamentUm,
        eisTemperatureC: eis.tempC,
      },
    };
  }

  private interphaseOhm(d: DegradationState): number {
    return interphaseOhmPerNm() * d.interphaseNm;
  }

  private temperatureC(): number {
    const daily = LAB.dailySwingC.value * Math.sin((2 * Math.PI * this.timeS) / 86_400 + this.phase);
    return this.p.labTemperatureC + daily + this.walkC;
  }

  private diffusivity(tempC: number) {
    const d0 = K.diffusivityCm2PerS.value / arrhenius(K.diffusionActivationEv.value, tempC);
    const perX = (-K.diffusivityDropDecades.value * Math.LN10) / 0.2;
    return (x: number) => (x <= 0.8 ? d0 : d0 * Math.exp(perX * (x - 0.8)));
  }

  /** Cathode interface: charge-transfer resistance at surface fraction xs, and the interphase's. */
  private cathodeOhm(xs: number, tempC: number) {
    const scale =
      (arrhenius(K.cathodeActivationEv.value, tempC) * this.pressureFactor) / this.degradation.accessible;
    const shape = Math.sqrt((X_REFERENCE * (1 - X_REFERENCE)) / Math.max(1e-9, xs * (1 - xs)));
    return {
      chargeTransfer: this.coating.chargeTransferOhm.value * shape * scale,
      interphase: this.interphaseOhm(this.degradation) * scale,
    };
  }

  private ohmicOhm(tempC: number): number {
    return (
      separatorOhm() * arrhenius(K.separatorActivationEv.value, tempC) +
      K.anodeResistanceOhm.value * arrhenius(K.anodeActivationEv.value, tempC)
    );
  }

  private activeC(): number {
    return this.theoreticalC * this.degradation.accessible;
  }

  private leakS(): number {
    return this.degradation.filamentS > 0 ? this.degradation.filamentS + this.transientS : 0;
  }

  /** What depends on the temperature only, recomputed when time has moved on. */
  private conditions() {
    if (this.cached?.timeS === this.timeS && this.cached.degradation === this.degradation) return this.cached;
    const tempC = this.temperatureC();
    const scale =
      (arrhenius(K.cathodeActivationEv.value, tempC) * this.pressureFactor) / this.degradation.accessible;
    this.cached = {
      timeS: this.timeS,
      degradation: this.degradation,
      tempC,
      dif: this.diffusivity(tempC),
      ohmic: this.ohmicOhm(tempC),
      thermal: (2 * GAS * (tempC + 273.15)) / FARADAY,
      chargeTransfer: this.coating.chargeTransferOhm.value * scale,
      interphase: this.interphaseOhm(this.degradation) * scale,
    };
    return this.cached;
  }

  /** Terminal voltage and the current through the cathode for an external current (A, > 0 charging). */
  private operatingPoint(externalA: number) {
    const c = this.conditions();
    const activeC = this.activeC();
    const leakS = this.leakS();
    let v = this.lastV ?? ocvV(this.particle.surface(0, c.dif));
    let internalA = externalA;
    // The leak takes v / R of the current and v hardly moves with it: two passes settle it.
    for (let k = 0; k < 2; k++) {
      internalA = externalA * (externalA > 0 ? 1 - this.sideFraction : 1) - v * leakS;
      const xs = this.particle.surface(internalA / activeC, c.dif);
      const shape = Math.sqrt((X_REFERENCE * (1 - X_REFERENCE)) / Math.max(1e-9, xs * (1 - xs)));
      const eta = c.thermal * Math.asinh((internalA * c.chargeTransfer * shape) / c.thermal);
      v = ocvV(xs) + eta + internalA * (c.interphase + c.ohmic);
    }
    this.lastV = v;
    return { v, internalA, dif: c.dif, tempC: c.tempC };
  }

  private advance(externalA: number, dtS: number): void {
    const op = this.operatingPoint(externalA);
    this.particle.step(op.internalA / this.activeC(), dtS, op.dif);
    this.timeS += dtS;
    const tau = LAB.walkHours.value * 3600;
    const keep = Math.exp(-dtS / tau);
    this.walkC = this.walkC * keep + LAB.walkC.value * Math.sqrt(1 - keep * keep) * this.process.normal();
    if (this.degradation.filamentS > 0) {
      this.transientS *= Math.exp(-dtS / K.filamentEventTauS.value);
      if (this.process.next() < (K.filamentEventsPerHour.value * dtS) / 3600) {
        this.transientS +=
          this.degradation.filamentS * K.filamentEventGain.value * Math.exp(this.process.normal());
      }
    }
  }

  private log(trace: Trace, externalA: number): void {
    const n = this.p.noise;
    const op = this.operatingPoint(externalA);
    trace.timeS.push(Math.round(this.timeS * 1000) / 1000);
    trace.voltageV.push(op.v + n.voltageV * this.measure.normal());
    trace.currentA.push(externalA === 0 ? 0 : externalA * (1 + n.currentRelative * this.measure.normal()));
    trace.temperatureC.push(Math.round((op.tempC + n.temperatureC * this.measure.normal()) * 10) / 10);
  }

  /** One saved state, reused: a cut-off step goes back to it and takes the fraction that lands on it. */
  private readonly saved = { x: new Float64Array(SHELLS), timeS: 0, walkC: 0, transientS: 0 };

  private snapshot(): void {
    this.saved.x.set(this.particle.x);
    this.saved.timeS = this.timeS;
    this.saved.walkC = this.walkC;
    this.saved.transientS = this.transientS;
  }

  private restore(): void {
    this.particle.restore(this.saved.x);
    this.timeS = this.saved.timeS;
    this.walkC = this.saved.walkC;
    this.transientS = this.saved.transientS;
  }

  /** Constant current until the cut-off is crossed (the last sample lands on it) or time runs out. */
  private ccStep(currentA: number, cutoffV: number, trace: Trace): void {
    const beyond = (v: number) => (currentA > 0 ? v >= cutoffV : v <= cutoffV);
    const interval = this.protocol.sampleIntervalS;
    const sub = Math.max(1, Math.ceil(interval / MAX_INTERNAL_STEP_S));
    const dt = interval / sub;
    const steps = Math.ceil(this.protocol.stepTimeLimitS / dt);
    this.log(trace, currentA);
    let vBefore = this.operatingPoint(currentA).v;
    for (let k = 1; k <= steps; k++) {
      this.snapshot();
      this.advance(currentA, dt);
      const vAfter = this.operatingPoint(currentA).v;
      if (beyond(vAfter)) {
        const fraction = Math.min(1, Math.max(0, (cutoffV - vBefore) / (vAfter - vBefore)));
        this.restore();
        this.advance(currentA, dt * fraction);
        this.log(trace, currentA);
        return;
      }
      if (k % sub === 0) this.log(trace, currentA);
      vBefore = vAfter;
    }
  }

  private rest(trace: Trace): void {
    const interval = this.protocol.sampleIntervalS;
    const sub = Math.max(1, Math.ceil(interval / MAX_INTERNAL_STEP_S));
    const steps = Math.round(this.protocol.restS / (interval / sub));
    for (let k = 1; k <= steps; k++) {
      this.advance(0, interval / sub);
      if (k % sub === 0) this.log(trace, 0);
    }
  }

  private spectrum() {
    const tempC = this.temperatureC();
    const dif = this.diffusivity(tempC);
    const leak = this.leakS();
    const xs = this.particle.surface(0, dif);
    const r = this.cathodeOhm(xs, tempC);
    const rCatOhm = r.chargeTransfer + r.interphase;
    const rSeOhm = separatorOhm() * arrhenius(K.separatorActivationEv.value, tempC);
    const rAnodeOhm = K.anodeResistanceOhm.value * arrhenius(K.anodeActivationEv.value, tempC);
    const leakOhm = leak > 0 ? 1 / leak : null;
    const spectrum = cellSpectrum(
      {
        rSeOhm,
        rAnodeOhm,
        anodeQ: cpeQForApex(K.anodeResistanceOhm.value, K.anodeApexHz.value, 0.9),
        anodeAlpha: 0.9,
        rCatOhm,
        // The interface capacitance stays; a growing R_CAT moves the arc's apex to lower frequency.
        cathodeQ: this.cathodeQ,
        cathodeAlpha: K.cathodeAlpha.value,
        warburgOhmSqrtS:
          (K.warburgOhmSqrtS.value * arrhenius(K.diffusionActivationEv.value, tempC)) /
          this.degradation.accessible,
        leakOhm,
      },
      cellFrequenciesHz,
      this.measure,
      this.p.noise.eisRelative,
    );
    return { spectrum, rCatOhm, rSeOhm, leakOhm, tempC };
  }
}
