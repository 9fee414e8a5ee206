/**
 * Closes the loop between the profile programmer and the simulated oven on virtual time: the same
 * controller a node runs, stepped once per control period against the physics, with faults injected on
 * schedule. Used by `cellrig sim profile` and by the acceptance tests.
 */
import type { z } from 'zod';
import type { ControlEvent } from '../../../src/control/events';
import {
  ProfileProgrammer,
  type ProgrammerOutput,
  profileProgrammerConfigSchema,
  type TemperatureProfile,
} from '../../../src/control/profile';
import { seededRandom } from '../../../src/random';
import { DEFAULT_OVEN, type OvenFault, OvenModel, type OvenParams } from '../models/oven';

export type ProfileSample = {
  timeS: number;
  setpointC: number | null;
  /** What the thermocouple read (null when it could not). */
  measuredC: number | null;
  chamberC: number;
  out: ProgrammerOutput;
};

export type ProfileRunOptions = {
  profile: TemperatureProfile;
  seed: number;
  config?: z.input<typeof profileProgrammerConfigSchema>;
  oven?: Partial<OvenParams>;
  /** Stop after this long even if the profile has not finished. */
  maxDurationS?: number;
  faults?: { atS: number; fault: OvenFault }[];
  runId?: string;
  batch?: string;
  onSample?: (s: ProfileSample) => void;
  /** Lets a test intervene (pause, skip, power loss) between control periods; return false to stop. */
  onStep?: (ctx: { timeS: number; programmer: ProfileProgrammer; oven: OvenModel }) => boolean | undefined;
};

export type ProfileRunSummary = {
  durationS: number;
  status: ProgrammerOutput['status'];
  events: ControlEvent[];
  samples: number;
};

export function runProfile(opts: ProfileRunOptions): ProfileRunSummary {
  const config = profileProgrammerConfigSchema.parse(opts.config ?? {});
  const periodS = config.controlPeriodS;
  const oven = new OvenModel({ ...DEFAULT_OVEN, ...opts.oven }, seededRandom(opts.seed));
  const programmer = new ProfileProgrammer(config);
  const pendingFaults = [...(opts.faults ?? [])].sort((a, b) => a.atS - b.atS);
  const events: ControlEvent[] = [];
  const maxS = opts.maxDurationS ?? estimateMaxDurationS(opts.profile);
  programmer.start(opts.profile, { runId: opts.runId ?? `sim-${opts.seed}`, batch: opts.batch }, 0);
  let samples = 0;
  let timeS = 0;
  for (; timeS <= maxS; timeS = round(timeS + periodS)) {
    oven.advanceTo(timeS);
    while (pendingFaults[0] && pendingFaults[0].atS <= timeS) oven.inject(pendingFaults.shift()!.fault);
    if (opts.onStep?.({ timeS, programmer, oven }) === false) break;
    const reading = oven.readThermocouple();
    const out = programmer.step({
      timeS,
      tempC: reading.tempC,
      sensorFault: reading.fault,
      vacuumOk: oven.vacuumOk,
    });
    oven.setHeater(out.heaterDuty, out.heaterEnabled);
    oven.setVacuumPump(out.vacuumOn);
    events.push(...out.events);
    samples++;
    opts.onSample?.({
      timeS,
      setpointC: out.setpointC,
      measuredC: reading.tempC,
      chamberC: oven.chamberTempC,
      out,
    });
    if (out.status !== 'running' && out.status !== 'paused' && pendingFaults.length === 0) break;
  }
  const last = programmer.snapshot();
  return { durationS: timeS, status: last?.status ?? 'idle', events, samples };
}

/** Ramps, holds and generous settling: a bound that only a stuck run reaches. */
export function estimateMaxDurationS(profile: TemperatureProfile): number {
  let s = 0;
  let fromC = 25;
  for (const seg of profile.segments) {
    const rampS = seg.rampCPerMin === 'step' ? 0 : (Math.abs(seg.targetC - fromC) / seg.rampCPerMin) * 60;
    s += rampS + seg.holdS + 2 * 3600;
    fromC = seg.targetC;
  }
  return s;
}

/** Keeps a long run of 0.1 s additions on exact decimal times. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
