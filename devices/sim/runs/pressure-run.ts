/**
 * Closes the loop between the stack-pressure hold and the simulated press on virtual time: the controller a
 * node runs, stepped once per control period against the press and stack physics, reading the load cell
 * through the same counts -> force -> pressure arithmetic as the driver, with the raw counts passed through the
 * same safety layer as on the rig (devices/press-guard.ts), and faults injected on schedule. Used by
 * `cellrig sim pressure` and by the acceptance tests.
 */
import type { ControlEvent } from '../../../src/control/events';
import {
  PressureHold,
  type PressureHoldConfigInput,
  type PressureOutput,
  pressureHoldConfigSchema,
} from '../../../src/control/pressure-hold';
import { seededRandom } from '../../../src/random';
import { DEFAULT_LOAD_CELL } from '../../../src/rig/config';
import { type PressHardware, REFERENCE_RIG } from '../../../src/rig/hardware-limits';
import { countsFromForce, forceFromCounts, pressureMPaFromForce } from '../../../src/rig/load-cell';
import { PressGuard } from '../../press-guard';
import { DEFAULT_PRESS, PressModel, type PressParams } from '../models/press';

export type PressFault =
  | 'load-cell-disconnected'
  | 'load-cell-stuck'
  | 'actuator-stalled'
  /** The stack is pushed 0.05 mm harder from outside (about +38 MPa on a 10 mm die). */
  | 'overload-push'
  /** The stack gives 0.05 mm (a pellet settles or cracks): about -38 MPa at once. */
  | 'stack-slip';

export type PressureSample = {
  timeS: number;
  /** What the load cell read (null when it did not answer). */
  measuredMPa: number | null;
  /** True stack pressure. */
  trueMPa: number;
  actuatorVelocityMmPerS: number;
  out: PressureOutput;
};

export type PressureRunOptions = {
  seed: number;
  hours: number;
  controlPeriodS?: number;
  config?: PressureHoldConfigInput;
  press?: Partial<PressParams>;
  /** The press hardware the safety layer assumes (the reference rig's by default). */
  hardware?: PressHardware;
  /** Stack pressure when the run starts, MPa (0: a freshly assembled stack, just in contact). */
  startMPa?: number;
  faults?: { atS: number; fault: PressFault }[];
  onSample?: (s: PressureSample) => void;
};

export type PressureRunSummary = {
  durationS: number;
  samples: number;
  /** First time inside the band after the ramp, s. */
  approachS: number | null;
  /** Share of samples after the approach whose true pressure is inside the band. */
  inBandFraction: number;
  /** Share of samples after the approach whose measured pressure is inside the band. */
  measuredInBandFraction: number;
  maxOvershootMPa: number;
  /** Fastest rise of the true pressure over any 10 s during the ramp, MPa/s. */
  maxRampRateMPaPerS: number;
  worstDeviationMPa: number;
  events: ControlEvent[];
  finalPhase: PressureOutput['phase'];
};

const DIE_MM = 10;

export function runPressureHold(opts: PressureRunOptions): PressureRunSummary {
  const config = pressureHoldConfigSchema.parse({ dieDiameterMm: DIE_MM, ...opts.config });
  const periodS = opts.controlPeriodS ?? 1;
  const random = seededRandom(opts.seed);
  const startN = (opts.startMPa ?? 0) * Math.PI * (DIE_MM / 2) ** 2;
  const press = new PressModel({ ...DEFAULT_PRESS, ...opts.press }, random, startN);
  const hold = new PressureHold(config);
  const guard = new PressGuard({
    installed: DEFAULT_LOAD_CELL,
    dieDiameterMm: DIE_MM,
    overloadMPa: config.overloadMPa,
    hardware: opts.hardware ?? REFERENCE_RIG.press,
    periodMs: periodS * 1000,
    releaseSpeedMmPerS: config.releaseSpeedMmPerS,
  });
  const pending = [...(opts.faults ?? [])].sort((a, b) => a.atS - b.atS);
  const events: ControlEvent[] = [];
  const endS = opts.hours * 3600;
  let disconnected = false;
  let stuckCounts: number | undefined;
  let approachS: number | null = null;
  let inBand = 0;
  let measuredInBand = 0;
  let after = 0;
  let maxOvershoot = 0;
  let worstDeviation = 0;
  let maxRampRate = 0;
  const rampWindow: { timeS: number; mpa: number }[] = [];
  let samples = 0;
  let last: PressureOutput | undefined;
  hold.start(0);
  for (let i = 0; i * periodS <= endS; i++) {
    const timeS = Math.round(i * periodS * 1e6) / 1e6;
    press.advanceTo(timeS);
    while (pending[0] && pending[0].atS <= timeS) {
      const f = pending.shift()!.fault;
      if (f === 'load-cell-disconnected') disconnected = true;
      else if (f === 'load-cell-stuck') stuckCounts = readCounts(press);
      else if (f === 'actuator-stalled') press.stalled = true;
      else press.displace(f === 'overload-push' ? 0.05 : -0.05);
    }
    const counts = disconnected ? null : (stuckCounts ?? readCounts(press));
    const measured = counts === null ? null : mpaFromCounts(counts);
    const out = hold.step({ timeS, pressureMPa: measured });
    const g = guard.step(counts, out.velocityMmPerS, timeS, config.targetMPa, out.phase === 'release');
    hold.applied(g.velocityMmPerS);
    press.setActuatorVelocity(g.velocityMmPerS);
    events.push(...out.events, ...g.events);
    last = out;
    samples++;
    const trueMPa = pressureMPaFromForce(press.forceN, DIE_MM);
    opts.onSample?.({
      timeS,
      measuredMPa: measured,
      trueMPa,
      actuatorVelocityMmPerS: g.velocityMmPerS,
      out,
    });
    if (approachS === null && out.events.some((e) => e.code === 'approached')) approachS = timeS;
    if (out.phase === 'ramp') {
      rampWindow.push({ timeS, mpa: trueMPa });
      while (rampWindow.length > 1 && rampWindow[0]!.timeS < timeS - 10) rampWindow.shift();
      const first = rampWindow[0]!;
      if (timeS - first.timeS >= 10)
        maxRampRate = Math.max(maxRampRate, (trueMPa - first.mpa) / (timeS - first.timeS));
    }
    if (out.phase === 'hold' || out.phase === 'ramp')
      maxOvershoot = Math.max(maxOvershoot, trueMPa - config.targetMPa);
    if (approachS !== null) {
      after++;
      const dev = Math.abs(trueMPa - config.targetMPa);
      worstDeviation = Math.max(worstDeviation, dev);
      if (dev <= config.toleranceMPa) inBand++;
      if (measured !== null && Math.abs(measured - config.targetMPa) <= config.toleranceMPa) measuredInBand++;
    }
  }
  return {
    durationS: endS,
    samples,
    approachS,
    inBandFraction: after ? inBand / after : 0,
    measuredInBandFraction: after ? measuredInBand / after : 0,
    maxOvershootMPa: maxOvershoot,
    maxRampRateMPaPerS: maxRampRate,
    worstDeviationMPa: worstDeviation,
    events,
    finalPhase: last?.phase ?? 'idle',
  };
}

/** The load cell as the driver sees it: a whole ADC count. */
function readCounts(press: PressModel): number {
  return Math.round(countsFromForce(press.measuredForceN(), DEFAULT_LOAD_CELL));
}

/** Converted back with the calibration, as the driver does. */
function mpaFromCounts(counts: number): number {
  return pressureMPaFromForce(forceFromCounts(counts, DEFAULT_LOAD_CELL), DIE_MM);
}
