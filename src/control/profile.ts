/**
 * Temperature-profile programmer: runs a list of segments (ramp or step to a target, then a hold) through
 * a PID and the thermal guard. The hold is a guaranteed soak: its timer runs only while the temperature is
 * inside the band (and the vacuum is there when the segment asks for it). Its progress is a plain,
 * serialisable state so a run can be picked up, or deliberately abandoned, after a power loss.
 */
import { z } from 'zod';
import { checkOvenSettings, describeProblems, ovenHardwareSchema } from '../rig/hardware-limits';
import { AlarmLatch, type ControlEvent } from './events';
import { Pid, pidGainsSchema } from './pid';
import {
  THERMAL_FAULT_TEXT,
  type ThermalFault,
  ThermalGuard,
  type ThermocoupleFault,
  thermalGuardConfigSchema,
} from './thermal-guard';

export const profileSegmentSchema = z.object({
  name: z.string().trim().min(1).max(80),
  targetC: z.number().finite().min(0).max(600),
  /** Setpoint ramp in C per minute, or 'step' to move the setpoint at once. */
  rampCPerMin: z.union([z.literal('step'), z.number().positive().max(600)]),
  /** Time to spend inside the soak band, s. */
  holdS: z
    .number()
    .finite()
    .min(0)
    .max(30 * 86_400),
  /** Pump down before this segment starts, and count the soak only while the vacuum holds. */
  vacuum: z.boolean().default(false),
});
export type ProfileSegment = z.infer<typeof profileSegmentSchema>;

export const temperatureProfileSchema = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).optional(),
  segments: z.array(profileSegmentSchema).min(1).max(100),
});
export type TemperatureProfile = z.infer<typeof temperatureProfileSchema>;
export type TemperatureProfileInput = z.input<typeof temperatureProfileSchema>;

/**
 * Tyreus-Luyben PID gains from relay autotune on the simulated oven (relay 0..0.6 duty, 0.3 C hysteresis):
 * it proposed kp 0.169 / 0.163, ki 0.00118 / 0.00101, kd 1.74 / 1.90 at 100 / 160 C; these are their
 * rounded middle.
 */
export const DEFAULT_OVEN_GAINS = { kp: 0.165, ki: 0.0011, kd: 1.8 };

export const profileProgrammerConfigSchema = z.object({
  controlPeriodS: z.number().positive().max(60).default(1),
  /** Half-width of the soak band, C. */
  soakBandC: z.number().positive().max(50).default(1),
  /** Time constant of the filter on the reading used for band decisions, s: noise must not toggle the soak timer. */
  bandFilterS: z.number().min(0).max(600).default(5),
  pid: pidGainsSchema.prefault(DEFAULT_OVEN_GAINS),
  derivativeFilterS: z.number().min(0).default(10),
  guard: thermalGuardConfigSchema.prefault({}),
  /** What a run that was interrupted by a power loss does when the rig comes back. */
  powerLossPolicy: z.enum(['resume', 'abort']).default('abort'),
  /** Under 'resume', an outage longer than this aborts anyway. */
  maxOutageS: z.number().positive().optional(),
  /** The oven's ratings: when given, every profile is checked against them before it starts. */
  oven: ovenHardwareSchema.optional(),
});
export type ProfileProgrammerConfig = z.infer<typeof profileProgrammerConfigSchema>;

export const runStatusSchema = z.enum(['running', 'paused', 'completed', 'aborted', 'fault']);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const segmentPhaseSchema = z.enum(['wait-vacuum', 'ramp', 'settle', 'soak']);
export type SegmentPhase = z.infer<typeof segmentPhaseSchema>;

/** Everything needed to continue a run: persist it (as JSON) every few control periods. */
export const profileRunStateSchema = z.object({
  runId: z.string().min(1),
  /** Label of the powder batch being dried, so a cell can be traced back to its cathode's drying. */
  batch: z.string().optional(),
  profile: temperatureProfileSchema,
  status: runStatusSchema,
  segmentIndex: z.number().int().min(0),
  phase: segmentPhaseSchema,
  /** Working setpoint; null means "start the ramp from the next measured temperature". */
  rampSetpointC: z.number().finite().nullable(),
  soakElapsedS: z.number().min(0),
  startedAtS: z.number().finite(),
  updatedAtS: z.number().finite(),
  fault: z.string().optional(),
});
export type ProfileRunState = z.infer<typeof profileRunStateSchema>;

export type ProgrammerInput = {
  timeS: number;
  tempC: number | null;
  sensorFault?: ThermocoupleFault | null;
  vacuumOk?: boolean;
};

export type ProgrammerOutput = {
  /** Heater SSR duty, 0..1. */
  heaterDuty: number;
  /** Safety contactor in series with the SSR: opened on any fault, so a welded SSR cannot keep heating. */
  heaterEnabled: boolean;
  vacuumOn: boolean;
  setpointC: number | null;
  status: RunStatus | 'idle';
  segmentIndex: number | null;
  phase: SegmentPhase | null;
  events: ControlEvent[];
};

export class ProfileProgrammer {
  readonly config: ProfileProgrammerConfig;
  private run: ProfileRunState | undefined;
  private readonly pid: Pid;
  private readonly guard: ThermalGuard;
  private readonly alarms = new AlarmLatch();
  private tripped: ThermalFault | undefined;
  private appliedDuty = 0;
  private lastTimeS: number | undefined;
  private bandTempC: number | undefined;
  private pending: ControlEvent[] = [];

  constructor(config: z.input<typeof profileProgrammerConfigSchema> = {}) {
    this.config = profileProgrammerConfigSchema.parse(config);
    this.pid = new Pid({
      ...this.config.pid,
      outputMin: 0,
      outputMax: 1,
      derivativeFilterS: this.config.derivativeFilterS,
    });
    this.guard = new ThermalGuard(this.config.guard);
  }

  /** A copy of the run's progress, for persistence; undefined when nothing was ever started. */
  snapshot(): ProfileRunState | undefined {
    return this.run ? structuredClone(this.run) : undefined;
  }

  get trippedBy(): ThermalFault | undefined {
    return this.tripped;
  }

  start(profileInput: TemperatureProfileInput, ids: { runId: string; batch?: string }, timeS: number): void {
    if (this.tripped) throw new Error(`cannot start: ${THERMAL_FAULT_TEXT[this.tripped]} (reset first)`);
    if (this.run && (this.run.status === 'running' || this.run.status === 'paused')) {
      throw new Error(`run ${this.run.runId} is still ${this.run.status}`);
    }
    const profile = temperatureProfileSchema.parse(profileInput);
    const cutoffC = this.config.guard.overTempCutoffC;
    const tooHot = profile.segments.find((s) => s.targetC >= cutoffC - this.config.soakBandC);
    if (tooHot)
      throw new Error(`segment '${tooHot.name}' targets ${tooHot.targetC} C, at the ${cutoffC} C cutoff`);
    if (this.config.oven) {
      const problems = checkOvenSettings(
        { overTempCutoffC: cutoffC, soakBandC: this.config.soakBandC, segments: profile.segments },
        this.config.oven,
      );
      if (problems.length) throw new Error(`cannot start '${profile.name}': ${describeProblems(problems)}`);
    }
    const first = profile.segments[0]!;
    this.run = {
      runId: ids.runId,
      ...(ids.batch ? { batch: ids.batch } : {}),
      profile,
      status: 'running',
      segmentIndex: 0,
      phase: first.vacuum ? 'wait-vacuum' : 'ramp',
      rampSetpointC: null,
      soakElapsedS: 0,
      startedAtS: timeS,
      updatedAtS: timeS,
    };
    this.pid.reset();
    this.bandTempC = undefined;
    this.emit('run-start', timeS, `run ${ids.runId} started: ${profile.name}`, { batch: ids.batch ?? null });
    this.emit('segment-start', timeS, `segment 1: ${first.name}`, { segment: 0, targetC: first.targetC });
  }

  pause(timeS: number): void {
    if (this.run?.status !== 'running') return;
    this.run.status = 'paused';
    this.emit('paused', timeS, 'profile paused: setpoint held, soak timer stopped');
  }

  resume(timeS: number): void {
    if (this.run?.status !== 'paused') return;
    this.run.status = 'running';
    this.emit('resumed', timeS, 'profile resumed');
  }

  /** Ends the current segment now and moves to the next (or completes the run). */
  skip(timeS: number): void {
    const run = this.run;
    if (!run || (run.status !== 'running' && run.status !== 'paused')) return;
    this.emit('segment-skipped', timeS, `segment ${run.segmentIndex + 1} skipped`, {
      segment: run.segmentIndex,
    });
    this.nextSegment(run, timeS, true);
  }

  abort(timeS: number, reason = 'aborted by operator'): void {
    const run = this.run;
    if (!run || (run.status !== 'running' && run.status !== 'paused')) return;
    run.status = 'aborted';
    this.emit('aborted', timeS, reason);
  }

  /** Clears a latched fault once the cause is fixed; the faulted run stays ended. */
  reset(): void {
    this.tripped = undefined;
    this.alarms.clearAll();
    this.guard.reset();
    this.pid.reset();
    this.bandTempC = undefined;
  }

  /**
   * Picks up a run saved before a power loss. Under 'resume' the ramp restarts from the temperature found
   * (the oven will have cooled) and the soak keeps the time it had already banked; under 'abort', or after
   * an outage longer than maxOutageS, the run ends and raises one alarm.
   */
  restore(saved: unknown, timeS: number): ProfileRunState {
    const run = profileRunStateSchema.parse(saved);
    this.run = run;
    this.pid.reset();
    this.bandTempC = undefined;
    this.lastTimeS = undefined;
    if (run.status !== 'running' && run.status !== 'paused') return structuredClone(run);
    const outageS = timeS - run.updatedAtS;
    const { powerLossPolicy, maxOutageS } = this.config;
    if (powerLossPolicy === 'abort' || (maxOutageS !== undefined && outageS > maxOutageS)) {
      run.status = 'aborted';
      run.fault = 'power-loss';
      this.alarms.raise(
        this.pending,
        'power-loss-abort',
        timeS,
        `run ${run.runId} aborted after a power loss`,
        {
          outageS,
          segment: run.segmentIndex,
        },
      );
    } else {
      if (run.phase !== 'wait-vacuum') run.phase = 'ramp';
      run.rampSetpointC = null;
      this.emit('power-loss-resume', timeS, `run ${run.runId} resumed after a power loss`, {
        outageS,
        segment: run.segmentIndex,
        soakElapsedS: run.soakElapsedS,
      });
    }
    run.updatedAtS = timeS;
    return structuredClone(run);
  }

  step(input: ProgrammerInput): ProgrammerOutput {
    const events = this.pending;
    this.pending = [];
    const dtS = this.lastTimeS === undefined ? 0 : Math.max(0, input.timeS - this.lastTimeS);
    this.lastTimeS = input.timeS;

    if (!this.tripped) {
      const fault = this.guard.check({
        timeS: input.timeS,
        tempC: input.tempC,
        sensorFault: input.sensorFault ?? null,
        appliedDuty: this.appliedDuty,
      });
      if (fault) this.trip(fault, input.timeS, events);
    }
    const run = this.run;
    if (
      this.tripped ||
      !run ||
      input.tempC === null ||
      (run.status !== 'running' && run.status !== 'paused')
    ) {
      this.appliedDuty = 0;
      return this.output(0, false, null, events);
    }
    run.updatedAtS = input.timeS;
    const alpha = this.config.bandFilterS > 0 ? dtS / (this.config.bandFilterS + dtS) : 1;
    this.bandTempC =
      this.bandTempC === undefined ? input.tempC : this.bandTempC + alpha * (input.tempC - this.bandTempC);
    const vacuumOk = input.vacuumOk ?? false;
    if (run.status === 'running') this.advance(run, this.bandTempC, vacuumOk, input.timeS, dtS, events);
    else run.rampSetpointC ??= input.tempC;
    if (run.status !== 'running' && run.status !== 'paused') {
      this.appliedDuty = 0;
      return this.output(0, false, null, events);
    }
    const setpointC = run.rampSetpointC ?? input.tempC;
    // While the setpoint ramps, the integral would store the ramp's extra power and release it as
    // overshoot at the target: proportional action follows the ramp, the integral trims the hold.
    const duty = this.pid.update(setpointC, input.tempC, dtS, { holdIntegral: run.phase === 'ramp' });
    this.appliedDuty = duty;
    return this.output(duty, true, setpointC, events);
  }

  private advance(
    run: ProfileRunState,
    tempC: number,
    vacuumOk: boolean,
    timeS: number,
    dtS: number,
    events: ControlEvent[],
  ): void {
    const seg = run.profile.segments[run.segmentIndex]!;
    run.rampSetpointC ??= tempC;
    if (run.phase === 'wait-vacuum') {
      if (!vacuumOk) return;
      run.phase = 'ramp';
      this.emit('vacuum-reached', timeS, `vacuum reached for segment ${run.segmentIndex + 1}`);
    }
    if (run.phase === 'ramp') {
      if (seg.rampCPerMin === 'step') run.rampSetpointC = seg.targetC;
      else {
        const maxStepC = (seg.rampCPerMin / 60) * dtS;
        const gap = seg.targetC - run.rampSetpointC;
        run.rampSetpointC =
          Math.abs(gap) <= maxStepC ? seg.targetC : run.rampSetpointC + Math.sign(gap) * maxStepC;
      }
      if (run.rampSetpointC !== seg.targetC) return;
      run.phase = 'settle';
    }
    const inBand = Math.abs(tempC - seg.targetC) <= this.config.soakBandC;
    const vacuumHeld = !seg.vacuum || vacuumOk;
    if (seg.vacuum) {
      if (!vacuumOk)
        this.alarms.raise(
          events,
          'vacuum-lost',
          timeS,
          `vacuum lost in segment ${run.segmentIndex + 1}: soak paused`,
        );
      else this.alarms.clear('vacuum-lost');
    }
    if (run.phase === 'settle') {
      // Enter the soak well inside the band, so noise at its edge does not stop the timer straight away.
      if (Math.abs(tempC - seg.targetC) > this.config.soakBandC / 2 || !vacuumHeld) return;
      run.phase = 'soak';
      this.emit('soak-start', timeS, `soak started at ${seg.targetC} C`, { segment: run.segmentIndex });
      dtS = 0; // the interval before this sample was not yet known to be in the band
    }
    if (inBand && vacuumHeld) run.soakElapsedS += dtS;
    if (run.soakElapsedS >= seg.holdS) {
      this.emit('segment-end', timeS, `segment ${run.segmentIndex + 1} done`, {
        segment: run.segmentIndex,
        soakS: run.soakElapsedS,
      });
      this.nextSegment(run, timeS, false);
    }
  }

  private nextSegment(run: ProfileRunState, timeS: number, skipped: boolean): void {
    const prev = run.profile.segments[run.segmentIndex]!;
    run.segmentIndex += 1;
    run.soakElapsedS = 0;
    const next = run.profile.segments[run.segmentIndex];
    if (!next) {
      run.status = 'completed';
      run.segmentIndex = run.profile.segments.length - 1;
      this.emit('run-complete', timeS, `run ${run.runId} completed`);
      return;
    }
    // A skipped ramp starts the next one from where the setpoint got to, not from the skipped target.
    if (!skipped) run.rampSetpointC = prev.targetC;
    run.phase = next.vacuum ? 'wait-vacuum' : 'ramp';
    this.emit('segment-start', timeS, `segment ${run.segmentIndex + 1}: ${next.name}`, {
      segment: run.segmentIndex,
      targetC: next.targetC,
    });
  }

  /**
   * A fault found outside the programmer (the loop's own period monitor): the same latched trip as the
   * guard's, heater off from the next output on; returns the alarm now, for a loop that may not step again.
   */
  tripNow(fault: ThermalFault, timeS: number): ControlEvent[] {
    const events: ControlEvent[] = [];
    if (!this.tripped) this.trip(fault, timeS, events);
    this.appliedDuty = 0;
    return events;
  }

  private trip(fault: ThermalFault, timeS: number, events: ControlEvent[]): void {
    this.tripped = fault;
    this.alarms.raise(events, fault, timeS, `${THERMAL_FAULT_TEXT[fault]}: heater off`, {
      runId: this.run?.runId ?? null,
    });
    if (this.run && (this.run.status === 'running' || this.run.status === 'paused')) {
      this.run.status = 'fault';
      this.run.fault = fault;
    }
  }

  private emit(code: string, timeS: number, message: string, data?: ControlEvent['data']): void {
    const runData = this.run
      ? { runId: this.run.runId, ...(this.run.batch ? { batch: this.run.batch } : {}) }
      : {};
    this.pending.push({ kind: 'event', code, timeS, message, data: { ...runData, ...data } });
  }

  private output(
    duty: number,
    enabled: boolean,
    setpointC: number | null,
    events: ControlEvent[],
  ): ProgrammerOutput {
    const run = this.run;
    const active = run && (run.status === 'running' || run.status === 'paused') && !this.tripped;
    const seg = active ? run.profile.segments[run.segmentIndex] : undefined;
    events.push(...this.pending);
    this.pending = [];
    return {
      heaterDuty: duty,
      heaterEnabled: enabled,
      vacuumOn: seg?.vacuum ?? false,
      setpointC,
      status: run ? run.status : 'idle',
      segmentIndex: active ? run.segmentIndex : null,
      phase: active ? run.phase : null,
      events,
    };
  }
}
