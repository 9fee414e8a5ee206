/**
 * A reviewer's cell model, written apart from devices/sim (it imports nothing of it, nor of src/eis):
 * an equivalent circuit on a lumped charge. Terminal voltage = OCV(state of charge) (its own curve) +
 * I (R0 + R_CAT(T)) + a diffusion RC + a kinetic resistance that grows as the discharge empties the
 * cathode (so discharge ends short of empty). Parasitic reactions take a fraction of the charge current
 * (large in formation, small afterwards); capacity fades linearly. A soft short is a leak resistance
 * from its onset cycle on, in every step, that may thicken and make transient contacts. The temperature
 * jitters and, for some cells, takes reversible warm or cold spells of up to 5 C that the cycler logs;
 * every resistance follows it with the cell's own activation energy. The cycler logs every interval and
 * at every step's start and end; pauses (current 0) may interrupt the charge, the discharge or a rest.
 */
import { type Rng, rng } from './rng';

export type ShortSpec = {
  readonly onsetCycle: number;
  /** Target drop of the coulombic efficiency in the onset cycle (0.01 = 1 %). */
  readonly ceDrop: number;
  /** Growth of the leak conductance per cycle after onset. */
  readonly growthPerCycle: number;
  /** Transient contacts (voltage drops) per hour; 0 for none. */
  readonly burstsPerHour: number;
};

export type ReviewCellSpec = {
  readonly id: string;
  readonly seed: number;
  readonly cycles: number;
  readonly capacityMAh: number;
  readonly fadePerCycle: number;
  readonly formationDeficit: number;
  readonly formationCycles: number;
  readonly steadyDeficit: number;
  readonly r0Ohm: number;
  readonly rCat: {
    readonly stabilisedOhm: number;
    /** R_CAT at cycle 1 is (1 - formationDrop) x the stabilised value. */
    readonly formationDrop: number;
    readonly formationCycles: number;
    readonly growthPerCycle: number;
    /** First cycle whose R_CAT has grown. */
    readonly growthFrom: number;
  };
  readonly activationEv: number;
  readonly diffusion: { readonly ohm: number; readonly tauS: number };
  readonly kineticOhm: number;
  readonly protocol: {
    readonly currentA: number;
    readonly chargeCutoffV: number;
    readonly dischargeCutoffV: number;
    readonly restS: number;
    readonly logIntervalS: number;
    readonly stepLimitS: number;
  };
  /** Per-sample current noise, and each step's gain error (calibration drift: what limits CE precision). */
  readonly noise: { readonly voltageV: number; readonly currentRelative: number; readonly stepGain: number };
  /** Reversible warm or cold spells of up to this many C (0: none). */
  readonly swingC: number;
  /** Probability that a cycle has a pause, and the longest pause. */
  readonly pauses: { readonly perCycle: number; readonly maxS: number };
  readonly short: ShortSpec | null;
  readonly spectrum: SpectrumSpec;
};

export type SpectrumSpec = {
  readonly fMaxHz: number;
  readonly fMinHz: number;
  readonly pointsPerDecade: number;
  readonly relativeNoise: number;
  /** Fraction of spectra spoiled (drift during the sweep, missing points, outliers). */
  readonly spoiledFraction: number;
  readonly rSeOhm: number;
  readonly anode: { readonly ohm: number; readonly apexHz: number; readonly phi: number };
  readonly cathode: { readonly apexHz: number; readonly phi: number };
  readonly warburg: { readonly ohm: number; readonly tauS: number };
  readonly inductanceH: number;
};

export type Sample = { t: number; cycle: number; v: number; i: number; temp: number };

export type ReviewCycle = {
  readonly cycle: number;
  /** The model's R_CAT at 25 C this cycle (for scoring only: never written to the cell's files). */
  readonly rCat25Ohm: number;
  /** Temperature when the spectrum was taken, and the spectrum's R_CAT at it. */
  readonly eisTempC: number;
  readonly rCatAtEisOhm: number;
  readonly leakOhm: number | null;
  readonly spoiled: boolean;
};

const K_B = 8.617333e-5;
const INTERNAL_STEP_S = 120;

/** Own OCV curve: a rising line with two smoothed steps, steep at both ends. */
export function ocv(z: number): number {
  const x = Math.min(1.02, Math.max(-0.02, z));
  return (
    2.78 +
    0.72 * x +
    0.06 * Math.tanh((x - 0.3) / 0.04) +
    0.05 * Math.tanh((x - 0.7) / 0.05) -
    0.9 * Math.exp(-(x + 0.002) / 0.012) +
    0.6 * Math.exp((x - 1) / 0.02)
  );
}

export class ReviewCell {
  readonly samples: Sample[] = [];
  readonly cycles: ReviewCycle[] = [];
  private readonly r: Rng;
  private readonly meas: Rng;
  private t = 0;
  private q: number;
  private vd = 0;
  private capacityMAh: number;
  private leakS = 0;
  private burstS = 0;
  private side = 0;
  private gain = 1;
  private cycle = 0;
  /** Temperature: jitter (OU) and the spells as [start, end, amplitude]. */
  private jitterC = 0;
  private readonly spells: [number, number, number][] = [];

  constructor(readonly spec: ReviewCellSpec) {
    this.r = rng(spec.seed);
    this.meas = rng(spec.seed ^ 0x2545f491);
    this.capacityMAh = spec.capacityMAh;
    this.q = 0.01 * spec.capacityMAh;
    if (spec.swingC > 0) {
      // A spell every 2-5 days, 6-48 h long, warm or cold.
      const horizon = spec.cycles * 30 * 3600;
      for (let s = this.r.uniform(0.5, 3) * 86_400; s < horizon; s += this.r.uniform(2, 5) * 86_400) {
        const len = this.r.uniform(6, 48) * 3600;
        const amp = this.r.uniform(0.5, 1) * spec.swingC * (this.r.next() < 0.5 ? -1 : 1);
        this.spells.push([s, s + len, amp]);
      }
    }
  }

  run(): this {
    for (let n = 1; n <= this.spec.cycles; n++) this.runCycle(n);
    return this;
  }

  private tempAt = Number.NaN;
  private tempValue = 25;
  /** Spells that ended more than 5 h before now are skipped for good (time only moves on). */
  private spellFrom = 0;

  tempC(): number {
    if (this.t === this.tempAt) return this.tempValue;
    while (this.spellFrom < this.spells.length && this.spells[this.spellFrom]![1] + 5 * 3600 < this.t)
      this.spellFrom++;
    let spell = 0;
    for (let k = this.spellFrom; k < this.spells.length; k++) {
      const [a, b, amp] = this.spells[k]!;
      if (this.t < a - 5 * 3600) break;
      // Smooth ramps, an hour's time constant on either side.
      const up = 1 / (1 + Math.exp(-(this.t - a) / 1800));
      const down = 1 / (1 + Math.exp((this.t - b) / 1800));
      spell += amp * up * down;
    }
    this.tempAt = this.t;
    this.tempValue = 25 + this.jitterC + spell;
    return this.tempValue;
  }

  private arr(ev: number, tempC: number): number {
    return Math.exp((ev / K_B) * (1 / (tempC + 273.15) - 1 / 298.15));
  }

  /** R_CAT at 25 C in cycle n. */
  rCat25(n: number): number {
    const c = this.spec.rCat;
    const formed = 1 - c.formationDrop * Math.exp(-(n - 1) / c.formationCycles);
    const grown = n >= c.growthFrom ? (1 + c.growthPerCycle) ** (n - c.growthFrom + 1) : 1;
    return c.stabilisedOhm * formed * grown;
  }

  private runCycle(n: number): void {
    const s = this.spec;
    this.cycle = n;
    this.capacityMAh = s.capacityMAh * (1 - s.fadePerCycle * (n - 1));
    this.q = Math.min(this.q, this.capacityMAh);
    this.side = s.formationDeficit * Math.exp(-(n - 1) / s.formationCycles) + s.steadyDeficit;
    const sh = s.short;
    if (sh && n >= sh.onsetCycle) {
      if (n === sh.onsetCycle) {
        // A leak that takes ceDrop of the charge over a cycle of about 2 Q / I plus two rests, at ~3.3 V.
        const cycleS = (2 * this.capacityMAh * 3.6) / s.protocol.currentA + 2 * s.protocol.restS;
        this.leakS = (sh.ceDrop * this.capacityMAh * 3.6) / (3.3 * cycleS);
      } else this.leakS *= 1 + sh.growthPerCycle;
    }
    const pause = this.r.next() < s.pauses.perCycle;
    const where = Math.floor(this.r.uniform(0, 4));
    const pauseS = this.r.uniform(0.25 * 3600, s.pauses.maxS);
    const rCat = this.rCat25(n);
    this.ccStep(s.protocol.currentA, rCat, pause && where === 0 ? pauseS : 0);
    this.restStep(rCat, s.protocol.restS + (pause && where === 1 ? pauseS : 0));
    const eisTempC = this.tempC();
    const rCatAtEis = rCat * this.arr(s.activationEv, eisTempC);
    this.cycles.push({
      cycle: n,
      rCat25Ohm: rCat,
      eisTempC,
      rCatAtEisOhm: rCatAtEis,
      leakOhm: this.leakS > 0 ? 1 / this.leakS : null,
      spoiled: this.r.next() < s.spectrum.spoiledFraction,
    });
    this.ccStep(-s.protocol.currentA, rCat, pause && where === 2 ? pauseS : 0);
    this.restStep(rCat, s.protocol.restS + (pause && where === 3 ? pauseS : 0));
  }

  /** Terminal voltage and the cell's internal current at external current i (A, > 0 charging). */
  private terminal(i: number, rCat25: number): { v: number; internal: number } {
    const s = this.spec;
    const tc = this.tempC();
    const z = this.q / this.capacityMAh;
    const leak = this.leakS > 0 ? this.leakS + this.burstS : 0;
    let v = ocv(z);
    let internal = i;
    for (let k = 0; k < 2; k++) {
      internal = (i > 0 ? i * (1 - this.side) : i) - v * leak;
      const rKin = internal < 0 ? s.kineticOhm * (0.02 / (Math.max(z, 0) + 0.004)) ** 2 : 0;
      const rTotal =
        s.r0Ohm * this.arr(0.3, tc) + (rCat25 * this.arr(s.activationEv, tc) + rKin * this.arr(0.4, tc));
      v = ocv(z) + internal * rTotal + this.vd;
    }
    return { v, internal };
  }

  private advance(i: number, rCat25: number, dt: number): void {
    const s = this.spec;
    const { internal } = this.terminal(i, rCat25);
    this.q = Math.min(
      this.capacityMAh * 1.02,
      Math.max(-0.01 * this.capacityMAh, this.q + (internal * dt) / 3.6),
    );
    const tc = this.tempC();
    const target = internal * s.diffusion.ohm * this.arr(0.35, tc);
    this.vd = target + (this.vd - target) * Math.exp(-dt / s.diffusion.tauS);
    const keep = Math.exp(-dt / (3 * 3600));
    this.jitterC = this.jitterC * keep + 0.2 * Math.sqrt(1 - keep * keep) * this.r.normal();
    if (this.leakS > 0 && s.short) {
      this.burstS *= Math.exp(-dt / 300);
      if (this.r.next() < (s.short.burstsPerHour * dt) / 3600)
        this.burstS += this.leakS * this.r.uniform(3, 20);
    }
    this.t += dt;
  }

  private log(i: number, rCat25: number): void {
    const s = this.spec;
    const { v } = this.terminal(i, rCat25);
    this.samples.push({
      t: this.t,
      cycle: this.cycle,
      v: Math.round((v + s.noise.voltageV * this.meas.normal()) * 1e5) / 1e5,
      i: i === 0 ? 0 : i * (this.gain + s.noise.currentRelative * this.meas.normal()),
      temp: Math.round((this.tempC() + 0.05 * this.meas.normal()) * 10) / 10,
    });
  }

  /** Rest for `durationS`, logging at its start, every interval, and its end. */
  private restStep(rCat25: number, durationS: number): void {
    this.timed(0, rCat25, durationS);
  }

  private timed(i: number, rCat25: number, durationS: number): void {
    const every = this.spec.protocol.logIntervalS;
    this.log(i, rCat25);
    let since = 0;
    let done = 0;
    while (done < durationS - 1e-9) {
      const dt = Math.min(INTERNAL_STEP_S, every - since, durationS - done);
      this.advance(i, rCat25, dt);
      done += dt;
      since += dt;
      if (since >= every - 1e-9 || done >= durationS - 1e-9) {
        this.log(i, rCat25);
        since = 0;
      }
    }
  }

  /** Constant current to the cut-off (or the step limit), with an optional pause part-way. */
  private ccStep(i: number, rCat25: number, pauseS: number): void {
    const p = this.spec.protocol;
    const cutoff = i > 0 ? p.chargeCutoffV : p.dischargeCutoffV;
    const beyond = (v: number) => (i > 0 ? v >= cutoff : v <= cutoff);
    const pauseAt = pauseS > 0 ? (this.r.uniform(0.2, 0.7) * this.capacityMAh * 3.6) / Math.abs(i) : -1;
    const every = p.logIntervalS;
    this.gain = 1 + this.spec.noise.stepGain * this.meas.normal();
    this.log(i, rCat25);
    let since = 0;
    let done = 0;
    let paused = false;
    while (done < p.stepLimitS) {
      if (!paused && pauseAt > 0 && done >= pauseAt) {
        paused = true;
        this.log(i, rCat25);
        this.timed(0, rCat25, pauseS);
        this.log(i, rCat25);
        since = 0;
      }
      const dt = Math.min(INTERNAL_STEP_S, every - since, p.stepLimitS - done);
      const before = { q: this.q, vd: this.vd, t: this.t, j: this.jitterC, b: this.burstS };
      const vBefore = this.terminal(i, rCat25).v;
      this.advance(i, rCat25, dt);
      const vAfter = this.terminal(i, rCat25).v;
      if (beyond(vAfter)) {
        const f = Math.min(1, Math.max(0, (cutoff - vBefore) / (vAfter - vBefore)));
        Object.assign(this, { q: before.q, vd: before.vd, t: before.t, jitterC: before.j, burstS: before.b });
        this.tempAt = Number.NaN;
        this.advance(i, rCat25, dt * f);
        this.log(i, rCat25);
        return;
      }
      done += dt;
      since += dt;
      if (since >= every - 1e-9) {
        this.log(i, rCat25);
        since = 0;
      }
    }
    this.log(i, rCat25);
  }

  /** This cycle's charged-state spectrum as the potentiostat records it (noise, and spoiled if so drawn). */
  spectrumOf(c: ReviewCycle): { f: number[]; re: number[]; im: number[] } {
    const sp = this.spec.spectrum;
    const r = rng(this.spec.seed * 7919 + c.cycle);
    const decades = Math.log10(sp.fMaxHz / sp.fMinHz);
    const n = Math.round(decades * sp.pointsPerDecade) + 1;
    const f: number[] = [];
    const re: number[] = [];
    const im: number[] = [];
    const tc = c.eisTempC;
    const arr = (ev: number) => this.arr(ev, tc);
    // The cathode's capacitance stays; its apex moves down as R_CAT grows.
    const qCat = 1 / (this.spec.rCat.stabilisedOhm * (2 * Math.PI * sp.cathode.apexHz) ** sp.cathode.phi);
    for (let k = 0; k < n; k++) {
      const fHz = sp.fMaxHz * 10 ** (-k / sp.pointsPerDecade);
      const w = 2 * Math.PI * fHz;
      let z: C = [sp.rSeOhm * arr(0.3), w * sp.inductanceH];
      z = add(z, zarc(sp.anode.ohm * arr(0.3), w, 1 / (2 * Math.PI * sp.anode.apexHz), sp.anode.phi));
      const tauCat = (c.rCatAtEisOhm * qCat) ** (1 / sp.cathode.phi);
      z = add(z, zarc(c.rCatAtEisOhm, w, tauCat, sp.cathode.phi));
      z = add(z, finiteWarburg(sp.warburg.ohm * arr(0.35), sp.warburg.tauS, w));
      if (c.leakOhm !== null) z = parallel(z, [c.leakOhm, 0]);
      const mod = Math.hypot(z[0], z[1]);
      f.push(fHz);
      re.push(z[0] + sp.relativeNoise * mod * r.normal());
      im.push(z[1] + sp.relativeNoise * mod * r.normal());
    }
    if (c.spoiled) spoil(r, f, re, im);
    return { f, re, im };
  }
}

/** Drift during the sweep (the low-frequency end wanders), a lost block of points, or wild points. */
function spoil(r: Rng, f: number[], re: number[], im: number[]): void {
  const kind = Math.floor(r.uniform(0, 3));
  const n = f.length;
  if (kind === 0) {
    const drift = r.uniform(0.15, 0.5);
    for (let k = 0; k < n; k++) {
      const late = (k / n) ** 3;
      re[k] = re[k]! * (1 + drift * late) + drift * late * 20;
      im[k] = im[k]! * (1 - drift * late);
    }
  } else if (kind === 1) {
    const keep = f.map((_, k) => k < n * 0.45 || r.next() < 0.15);
    for (const arr of [f, re, im]) {
      const kept = arr.filter((_, k) => keep[k]);
      arr.length = 0;
      arr.push(...kept);
    }
  } else {
    for (let j = 0; j < 4; j++) {
      const k = Math.floor(r.uniform(n * 0.3, n));
      re[k] = re[k]! * r.uniform(0.5, 2);
      im[k] = im[k]! * r.uniform(-1, 3);
    }
  }
}

type C = [number, number];
const add = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const div = (a: C, b: C): C => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
/** (j w tau)^phi */
const jpow = (w: number, tau: number, phi: number): C => {
  const m = (w * tau) ** phi;
  return [m * Math.cos((phi * Math.PI) / 2), m * Math.sin((phi * Math.PI) / 2)];
};
const zarc = (rOhm: number, w: number, tau: number, phi: number): C =>
  div([rOhm, 0], add([1, 0], jpow(w, tau, phi)));
const parallel = (a: C, b: C): C => div(mul(a, b), add(a, b));
/** Finite-length diffusion to a blocking end: R coth(sqrt(j w tau)) / sqrt(j w tau). */
function finiteWarburg(rOhm: number, tauS: number, w: number): C {
  const s = jpow(w, tauS, 0.5);
  // coth(s) = (1 + e^-2s) / (1 - e^-2s)
  const e2 = Math.exp(-2 * s[0]);
  const ex: C = [e2 * Math.cos(-2 * s[1]), e2 * Math.sin(-2 * s[1])];
  const coth = div(add([1, 0], ex), [1 - ex[0], -ex[1]]);
  return mul([rOhm, 0], div(coth, s));
}
