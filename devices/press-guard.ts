/**
 * The press's safety layer, below every command: it sees the RAW load-cell counts and judges them with
 * the calibration installed when the channel was set up, never with the one the controller uses now. A
 * tare, a span or a controller that has lost its way therefore cannot move the overload trip.
 *
 * Each control period it takes the raw reading and what the controller asks of the actuator, and returns
 * what the actuator may do:
 * - the pump may push only as far as the headroom below the overload limit allows in one period, on the
 *   stiffest stack the hardware can have, less a margin for noise. It never runs longer than a period (the
 *   actuator's pulses end by themselves), so between two readings the stack cannot rise past the limit;
 * - an unchanged reading does not renew the headroom: what the pump did since the reading last moved still
 *   counts against it (a stuck ADC cannot wave the pump on);
 * - asking for the pump at the limit means the controller's view and the raw reading disagree: alarm,
 *   press stopped where it is, latched until reset;
 * - above the limit by the raw reading (an outside push): alarm, the valve lets the ram back to the
 *   target force, then the press stays stopped, latched until reset. The only case in which it releases.
 * - no reading: the press stays stopped.
 */
import type { ControlEvent } from '../src/control/events';
import { AlarmLatch } from '../src/control/events';
import type { PressHardware } from '../src/rig/hardware-limits';
import { countsFromForce, dieAreaMm2, forceFromCounts, type LoadCellCalibration } from '../src/rig/load-cell';

export type PressGuardOptions = {
  /** The calibration as installed: copied, and never changed by a later tare or span. */
  installed: LoadCellCalibration;
  dieDiameterMm: number;
  overloadMPa: number;
  hardware: PressHardware;
  /** Longest one actuator command runs, ms: the control period. */
  periodMs: number;
  /** How fast an overload is let back, mm/s (the controller's release speed; at most the valve's). */
  releaseSpeedMmPerS?: number;
};

export type GuardTrip = 'raw-overload' | 'overload-limit';

export type GuardStep = {
  /** What the actuator may do this period, mm/s (positive pumps). */
  velocityMmPerS: number;
  /** Force and stack pressure by the installed calibration; null without a reading. */
  forceN: number | null;
  pressureMPa: number | null;
  /** True when the pump was cut back below what the controller asked. */
  limited: boolean;
  events: ControlEvent[];
};

const fmt = (x: number, d = 1) => x.toFixed(d);

export class PressGuard {
  readonly installed: Readonly<LoadCellCalibration>;
  readonly overloadN: number;
  /** The overload limit as the ADC counts it, by the installed calibration. */
  readonly overloadCounts: number;
  /** The pump stops this far up, N. */
  readonly pumpStopN: number;
  private readonly areaMm2: number;
  private readonly alarms = new AlarmLatch();
  private trip: GuardTrip | undefined;
  private releaseToN = 0;
  private released = false;
  private lastCounts: number | undefined;
  /** Rise the pump may have caused since the reading last changed, N. */
  private unverifiedN = 0;
  private lastPumpRiseN = 0;

  constructor(private readonly options: PressGuardOptions) {
    this.installed = Object.freeze({ ...options.installed });
    this.areaMm2 = dieAreaMm2(options.dieDiameterMm);
    this.overloadN = options.overloadMPa * this.areaMm2;
    this.overloadCounts = countsFromForce(this.overloadN, this.installed);
    this.pumpStopN = this.overloadN - options.hardware.guardMarginN;
  }

  get trippedBy(): GuardTrip | undefined {
    return this.trip;
  }

  get activeAlarms(): string[] {
    return this.alarms.codes;
  }

  /** Force on the stack by the installed calibration, N. */
  forceN(counts: number): number {
    return forceFromCounts(counts, this.installed);
  }

  pressureMPa(counts: number): number {
    return this.forceN(counts) / this.areaMm2;
  }

  /**
   * One control period. `counts` is the raw reading (null when there was none), `requestedMmPerS` what the
   * controller asks, `targetMPa` where an overload is released to, `controllerReleasing` whether the
   * controller saw the overload itself (then this layer's trip is a record, not a second alarm).
   */
  step(
    counts: number | null,
    requestedMmPerS: number,
    timeS: number,
    targetMPa: number,
    controllerReleasing = false,
  ): GuardStep {
    const events: ControlEvent[] = [];
    const hw = this.options.hardware;
    if (counts === null || !Number.isFinite(counts)) {
      this.lastCounts = undefined;
      this.unverifiedN = this.lastPumpRiseN = 0;
      return this.out(0, null, false, events);
    }
    this.unverifiedN = counts === this.lastCounts ? this.unverifiedN + this.lastPumpRiseN : 0;
    this.lastCounts = counts;
    this.lastPumpRiseN = 0;
    const forceN = this.forceN(counts);

    if (forceN > this.overloadN && this.trip !== 'raw-overload') {
      this.trip = 'raw-overload';
      this.released = false;
      this.releaseToN = Math.min(targetMPa * this.areaMm2, this.pumpStopN);
      const raised: ControlEvent[] = [];
      this.alarms.raise(
        raised,
        'raw-overload',
        timeS,
        `stack overload by the raw reading: ${counts} counts, ${fmt(forceN / this.areaMm2)} MPa by the installed calibration (limit ${Math.round(this.overloadCounts)} counts, ${fmt(this.overloadN / this.areaMm2)} MPa): releasing`,
        { counts, forceN, limitCounts: Math.round(this.overloadCounts), limitN: this.overloadN },
      );
      // The controller saw it too and is already releasing: one alarm for one overload, this one a record.
      for (const e of raised) events.push(controllerReleasing ? { ...e, kind: 'event' } : e);
    }
    if (this.trip === 'raw-overload') {
      if (forceN > this.releaseToN) {
        const speed = Math.min(
          this.options.releaseSpeedMmPerS ?? hw.releaseSpeedMmPerS,
          hw.releaseSpeedMmPerS,
        );
        return this.out(-speed, forceN, requestedMmPerS !== -speed, events);
      }
      if (!this.released) {
        this.released = true;
        events.push({
          kind: 'event',
          code: 'raw-overload-released',
          timeS,
          message: `overload released to ${fmt(forceN / this.areaMm2)} MPa by the installed calibration: press stopped until reset`,
        });
      }
      return this.out(0, forceN, requestedMmPerS !== 0, events);
    }
    if (this.trip === 'overload-limit') return this.out(0, forceN, requestedMmPerS !== 0, events);
    if (!(requestedMmPerS > 0))
      return this.out(Number.isFinite(requestedMmPerS) ? requestedMmPerS : 0, forceN, false, events);

    const headroomN = this.pumpStopN - forceN - this.unverifiedN;
    if (headroomN <= hw.guardMarginN / 2) {
      this.trip = 'overload-limit';
      this.alarms.raise(
        events,
        'overload-limit',
        timeS,
        `pump held at the overload limit: ${fmt(forceN / this.areaMm2)} MPa by the installed calibration, limit ${fmt(this.overloadN / this.areaMm2)} MPa; the controller still asks for more (its calibration disagrees with the installed one?): press stopped`,
        { counts, forceN, limitN: this.overloadN },
      );
      return this.out(0, forceN, true, events);
    }
    // Longest pump run that cannot climb the headroom, even on the stiffest stack.
    const risePerSN = hw.maxStiffnessNPerMm * hw.pumpSpeedMmPerS;
    const periodS = this.options.periodMs / 1000;
    const maxVelocity = hw.pumpSpeedMmPerS * Math.min(1, headroomN / risePerSN / periodS);
    const velocity = Math.min(requestedMmPerS, maxVelocity);
    this.lastPumpRiseN = (velocity / hw.pumpSpeedMmPerS) * periodS * risePerSN;
    return this.out(velocity, forceN, velocity < requestedMmPerS, events);
  }

  /**
   * Clears a latched trip once the stack is back under the limit. Refused (with the reason) while the raw
   * reading is still above it: the next period would trip again anyway.
   */
  reset(counts: number | null): void {
    if (counts !== null && this.forceN(counts) > this.overloadN) {
      throw new Error(
        `stack still above the overload limit by the raw reading (${fmt(this.pressureMPa(counts))} MPa by the installed calibration): wait for the release`,
      );
    }
    this.trip = undefined;
    this.released = false;
    this.alarms.clearAll();
  }

  private out(velocity: number, forceN: number | null, limited: boolean, events: ControlEvent[]): GuardStep {
    return {
      velocityMmPerS: velocity,
      forceN,
      pressureMPa: forceN === null ? null : forceN / this.areaMm2,
      limited,
      events,
    };
  }
}
