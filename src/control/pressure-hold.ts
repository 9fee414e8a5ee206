/**
 * Stack-pressure hold: ramps a cell stack to its target pressure at a bounded rate, holds it inside a
 * tolerance band for weeks while the lithium-indium anode creeps, and keeps the press safe.
 *
 * The press actuator is a lead-screw stepper commanded in mm/s. Force follows position through the stack's
 * stiffness, so the loop is an integrator: the proportional term sets the response, the integral term
 * converges on the velocity that cancels creep relaxation (creep compensation), and during the ramp a
 * feed-forward of the ramp rate through the nominal stiffness keeps the lag, and so the overshoot, small.
 *
 * Safety, checked before the control law on every sample:
 * - overload above `overloadMPa`: alarm, then retract until the pressure is back at the target, then stop
 *   and stay stopped (latched) until reset. This is the only case in which the press moves back.
 * - load cell lost, implausible or stuck, actuator stalled: alarm and stop where it is (a lead screw holds
 *   its load unpowered), latched until reset.
 * - outside the band after the first approach: an excursion (tagged on every sample, with start and end
 *   events), and a holdback alarm when it lasts longer than `holdbackS`.
 */
import { z } from 'zod';
import { AlarmLatch, type ControlEvent } from './events';
import { clamp, Pid } from './pid';

export const pressureHoldConfigSchema = z
  .object({
    targetMPa: z.number().finite().min(0).max(500).default(150),
    /** Half-width of the hold band, MPa. */
    toleranceMPa: z.number().positive().max(50).default(1.5),
    rampMPaPerS: z.number().positive().max(50).default(0.5),
    overloadMPa: z.number().positive().max(1000).default(170),
    /** Longest time outside the band (after the first approach) before the holdback alarm. */
    holdbackS: z.number().positive().default(120),
    /** Proportional gain, mm/s per MPa, and integral gain, mm/s per MPa per s. */
    kp: z.number().positive().default(1.3e-4),
    ki: z.number().min(0).default(2e-6),
    maxSpeedMmPerS: z.number().positive().default(0.01),
    /** Retraction speed when releasing an overload, mm/s. */
    releaseSpeedMmPerS: z.number().positive().default(0.005),
    /** Nominal stack stiffness and die, for the ramp feed-forward and the stall check. */
    stiffnessNPerMm: z.number().positive().default(60_000),
    dieDiameterMm: z.number().positive().max(100).default(10),
    /** Readings outside this window are not a stack pressure but a wiring or calibration fault. */
    plausibleMinMPa: z.number().default(-10),
    plausibleMaxMPa: z.number().default(400),
    /** Identical consecutive readings that mean a stuck ADC (a live 24-bit bridge ADC always jitters). */
    stuckSamples: z.number().int().min(2).default(5),
    /** Stall check: over this window the commanded motion must move the pressure at least this fraction of what it should. */
    stallWindowS: z.number().positive().default(30),
    stallMinExpectedMPa: z.number().positive().default(1.5),
    stallMinFraction: z.number().min(0).max(1).default(0.3),
    /** An excursion ends only this far back inside the band, MPa, so noise at the edge is one excursion, not many. */
    excursionHysteresisMPa: z.number().min(0).default(0.2),
  })
  .refine((c) => c.overloadMPa > c.targetMPa + c.toleranceMPa, {
    message: 'must be above targetMPa + toleranceMPa',
    path: ['overloadMPa'],
  });
export type PressureHoldConfig = z.infer<typeof pressureHoldConfigSchema>;
export type PressureHoldConfigInput = z.input<typeof pressureHoldConfigSchema>;

export type PressurePhase = 'idle' | 'ramp' | 'hold' | 'release' | 'tripped' | 'fault';

export type PressureFault =
  | 'load-cell-lost'
  | 'load-cell-implausible'
  | 'load-cell-stuck'
  | 'actuator-stalled';
export const PRESSURE_FAULT_TEXT: Record<PressureFault | 'overload', string> = {
  'load-cell-lost': 'load cell reading lost',
  'load-cell-implausible': 'load cell reading outside the plausible window',
  'load-cell-stuck': 'load cell reading stuck',
  'actuator-stalled': 'press actuator stalled',
  overload: 'stack overload',
};

export type PressureInput = { timeS: number; pressureMPa: number | null };

export type PressureOutput = {
  /** Actuator command, mm/s; positive presses harder, 0 is stopped. */
  velocityMmPerS: number;
  /** The setpoint being chased now (ramping), MPa; null when idle. */
  setpointMPa: number | null;
  phase: PressurePhase;
  inBand: boolean;
  /** True while outside the band after the first approach: analysis should discount these samples. */
  excursion: boolean;
  events: ControlEvent[];
};

type Excursion = { startS: number; peakMPa: number };

export class PressureHold {
  readonly config: PressureHoldConfig;
  private readonly pid: Pid;
  private readonly alarms = new AlarmLatch();
  private phase: PressurePhase = 'idle';
  private working: number | undefined;
  private approached = false;
  private excursion: Excursion | undefined;
  private lastTimeS: number | undefined;
  private lastVelocity = 0;
  private sameCount = 0;
  private lastReading: number | undefined;
  private history: { timeS: number; pressureMPa: number; commandedMm: number }[] = [];
  private commandedMm = 0;
  private pending: ControlEvent[] = [];

  constructor(config: PressureHoldConfigInput = {}) {
    this.config = pressureHoldConfigSchema.parse(config);
    const { kp, ki, maxSpeedMmPerS } = this.config;
    this.pid = new Pid({ kp, ki, kd: 0, outputMin: -maxSpeedMmPerS, outputMax: maxSpeedMmPerS });
  }

  get currentPhase(): PressurePhase {
    return this.phase;
  }

  get activeAlarms(): string[] {
    return this.alarms.codes;
  }

  /** MPa per mm of press travel, from the nominal stiffness and die. */
  private get mpaPerMm(): number {
    return this.config.stiffnessNPerMm / (Math.PI * (this.config.dieDiameterMm / 2) ** 2);
  }

  /** Starts (or restarts) the ramp to `targetMPa` from wherever the pressure is. Refused while latched. */
  start(timeS: number, targetMPa = this.config.targetMPa): void {
    if (this.phase === 'tripped' || this.phase === 'fault' || this.phase === 'release') {
      throw new Error(`press is ${this.phase} (${this.alarms.codes.join(', ')}): reset first`);
    }
    if (!(targetMPa + this.config.toleranceMPa < this.config.overloadMPa)) {
      throw new Error(
        `target ${targetMPa} MPa is not below the ${this.config.overloadMPa} MPa overload limit`,
      );
    }
    this.config.targetMPa = targetMPa;
    this.phase = 'ramp';
    this.working = undefined;
    this.approached = false;
    this.pid.reset();
    this.event('ramp-start', timeS, `ramp to ${targetMPa} MPa at ${this.config.rampMPaPerS} MPa/s`, {
      targetMPa,
    });
  }

  /** Operator stop: the press stops where it is; nothing is released. */
  stop(timeS: number): void {
    if (this.phase === 'ramp' || this.phase === 'hold') {
      this.phase = 'idle';
      this.event('stopped', timeS, 'press stopped by operator');
    }
  }

  /**
   * What the actuator was really told this period, when a safety layer below the controller cut the
   * command back: the stall check must judge the travel that was commanded, not the travel asked for.
   */
  applied(velocityMmPerS: number): void {
    this.lastVelocity = velocityMmPerS;
  }

  /**
   * The safety layer below the controller stopped the press (it raised its own alarm): the controller stops
   * controlling too, latched as a fault until reset, so its phase never claims a hold the press is not doing.
   */
  halt(timeS: number, reason: string): void {
    if (this.phase !== 'ramp' && this.phase !== 'hold') return;
    this.phase = 'fault';
    this.event('halted', timeS, `press stopped by the safety layer: ${reason}`);
  }

  /** Clears latched alarms once the cause is fixed; the press stays stopped until started again. */
  reset(timeS: number): void {
    this.alarms.clearAll();
    this.phase = 'idle';
    this.sameCount = 0;
    this.lastReading = undefined;
    this.history = [];
    this.excursion = undefined;
    this.event('reset', timeS, 'alarms reset');
  }

  step(input: PressureInput): PressureOutput {
    const events = this.pending;
    this.pending = [];
    const dtS = this.lastTimeS === undefined ? 0 : Math.max(0, input.timeS - this.lastTimeS);
    this.lastTimeS = input.timeS;
    // What the actuator was told over the period that ends now.
    this.commandedMm += this.lastVelocity * dtS;
    const p = input.pressureMPa;
    const c = this.config;

    if (this.phase === 'fault') return this.output(0, false, events);
    const fault = this.checkSensor(p);
    if (fault) return this.trip(fault, input.timeS, events);
    const pressure = p as number;
    if (this.phase !== 'idle' && this.phase !== 'tripped') {
      if (pressure > c.overloadMPa && this.phase !== 'release') {
        this.alarms.raise(
          events,
          'overload',
          input.timeS,
          `${PRESSURE_FAULT_TEXT.overload}: ${pressure.toFixed(1)} MPa`,
          {
            pressureMPa: pressure,
            limitMPa: c.overloadMPa,
          },
        );
        this.phase = 'release';
        this.history = [];
      }
      if (this.phase !== 'release' && this.stalled(input.timeS, pressure)) {
        return this.trip('actuator-stalled', input.timeS, events);
      }
    }
    this.history.push({ timeS: input.timeS, pressureMPa: pressure, commandedMm: this.commandedMm });
    while (this.history.length > 2 && this.history[1]!.timeS <= input.timeS - c.stallWindowS)
      this.history.shift();

    const inBand = Math.abs(pressure - c.targetMPa) <= c.toleranceMPa;
    let velocity = 0;
    if (this.phase === 'release') {
      if (pressure <= c.targetMPa) {
        this.phase = 'tripped';
        this.event('released', input.timeS, `overload released to ${pressure.toFixed(1)} MPa: press stopped`);
      } else velocity = -c.releaseSpeedMmPerS;
    } else if (this.phase === 'ramp' || this.phase === 'hold') {
      velocity = this.control(pressure, dtS, input.timeS);
    }
    this.trackBand(inBand, pressure, input.timeS, events);
    return this.output(velocity, inBand, events);
  }

  private control(pressure: number, dtS: number, timeS: number): number {
    const c = this.config;
    let feedForward = 0;
    if (this.phase === 'ramp') {
      const from = this.working ?? pressure;
      const stepMPa = c.rampMPaPerS * dtS;
      this.working = from + clamp(c.targetMPa - from, -stepMPa, stepMPa);
      if (this.working === c.targetMPa) {
        this.phase = 'hold';
        this.event('hold-start', timeS, `holding ${c.targetMPa} MPa within ${c.toleranceMPa} MPa`);
      } else {
        // The command applies over the coming period, in which the setpoint moves by at most what is left:
        // feeding forward the full rate on the last step would carry the stack past the target.
        const horizonS = dtS > 0 ? dtS : 1;
        const nextMPa = clamp(
          c.targetMPa - this.working,
          -c.rampMPaPerS * horizonS,
          c.rampMPaPerS * horizonS,
        );
        feedForward = nextMPa / horizonS / this.mpaPerMm;
      }
    }
    const sp = this.working ?? c.targetMPa;
    const pid = this.pid.update(sp, pressure, dtS, { holdIntegral: this.phase === 'ramp' });
    return clamp(pid + feedForward, -c.maxSpeedMmPerS, c.maxSpeedMmPerS);
  }

  private checkSensor(p: number | null): PressureFault | undefined {
    if (p === null || !Number.isFinite(p)) return 'load-cell-lost';
    if (p < this.config.plausibleMinMPa || p > this.config.plausibleMaxMPa) return 'load-cell-implausible';
    this.sameCount = p === this.lastReading ? this.sameCount + 1 : 1;
    this.lastReading = p;
    if (this.sameCount >= this.config.stuckSamples) return 'load-cell-stuck';
    return undefined;
  }

  /**
   * Commanded travel over the window should have moved the pressure; if it barely did, the actuator is not
   * moving. Two views must agree, so that a sudden slip of the stack (a step, not a stall) is not taken for
   * one: the net change over the window, and the slope of pressure steps against travel steps.
   */
  private stalled(timeS: number, pressure: number): boolean {
    const c = this.config;
    const h = this.history;
    const first = h[0];
    if (!first || timeS - first.timeS < c.stallWindowS) return false;
    const expected = (this.commandedMm - first.commandedMm) * this.mpaPerMm;
    if (Math.abs(expected) < c.stallMinExpectedMPa) return false;
    const net = (pressure - first.pressureMPa) * Math.sign(expected);
    if (net >= c.stallMinFraction * Math.abs(expected)) return false;
    let sxy = 0;
    let sxx = 0;
    for (let i = 1; i <= h.length; i++) {
      const cur = h[i] ?? { pressureMPa: pressure, commandedMm: this.commandedMm };
      const dx = (cur.commandedMm - h[i - 1]!.commandedMm) * this.mpaPerMm;
      sxy += dx * (cur.pressureMPa - h[i - 1]!.pressureMPa);
      sxx += dx * dx;
    }
    return sxx > 0 && sxy / sxx < c.stallMinFraction;
  }

  private trackBand(inBand: boolean, pressure: number, timeS: number, events: ControlEvent[]): void {
    const c = this.config;
    if (!this.approached) {
      if (this.phase === 'hold' && inBand) {
        this.approached = true;
        this.event('approached', timeS, `within ${c.toleranceMPa} MPa of ${c.targetMPa} MPa`);
      }
      return;
    }
    // After an overload trip the press is not holding: samples stay tagged, but excursion events would
    // only repeat the trip alarm as the stopped stack creeps across the band edge.
    if (this.phase === 'release' || this.phase === 'tripped') return;
    const deviation = pressure - c.targetMPa;
    if (!inBand) {
      if (!this.excursion) {
        this.excursion = { startS: timeS, peakMPa: deviation };
        this.event('excursion-start', timeS, `pressure left the band: ${pressure.toFixed(2)} MPa`, {
          pressureMPa: pressure,
        });
      } else if (Math.abs(deviation) > Math.abs(this.excursion.peakMPa)) this.excursion.peakMPa = deviation;
      if (timeS - this.excursion.startS >= c.holdbackS && this.phase === 'hold') {
        this.alarms.raise(events, 'holdback', timeS, `pressure outside the band for ${c.holdbackS} s`, {
          pressureMPa: pressure,
        });
      }
    } else if (this.excursion && Math.abs(deviation) <= c.toleranceMPa - c.excursionHysteresisMPa) {
      this.event('excursion-end', timeS, 'pressure back in the band', {
        durationS: timeS - this.excursion.startS,
        peakDeviationMPa: this.excursion.peakMPa,
      });
      this.excursion = undefined;
      if (this.alarms.isActive('holdback')) {
        this.alarms.clear('holdback');
        this.event('holdback-cleared', timeS, 'holdback cleared');
      }
    }
  }

  private trip(fault: PressureFault, timeS: number, events: ControlEvent[]): PressureOutput {
    this.alarms.raise(events, fault, timeS, `${PRESSURE_FAULT_TEXT[fault]}: press stopped`, {
      phase: this.phase,
    });
    this.phase = 'fault';
    return this.output(0, false, events);
  }

  private event(code: string, timeS: number, message: string, data?: ControlEvent['data']): void {
    this.pending.push({ kind: 'event', code, timeS, message, ...(data ? { data } : {}) });
  }

  private output(velocity: number, inBand: boolean, events: ControlEvent[]): PressureOutput {
    this.lastVelocity = velocity;
    events.push(...this.pending);
    this.pending = [];
    const active = this.phase === 'ramp' || this.phase === 'hold';
    return {
      velocityMmPerS: velocity,
      setpointMPa: active ? (this.working ?? this.config.targetMPa) : null,
      phase: this.phase,
      inBand,
      excursion: this.approached && (!inBand || this.excursion !== undefined),
      events,
    };
  }
}
