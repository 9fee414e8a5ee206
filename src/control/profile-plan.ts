/**
 * A temperature profile's plan, as a researcher reads it before and during a run: when each segment
 * starts and ends if the oven follows its setpoint (a ramp at its rate, a step at once, the soak exactly
 * as long as its hold), and how much of a run is left. A real run takes longer by the time it spends
 * settling into the band and waiting for the vacuum, so the plan is the lower bound the panel draws
 * beside the measured temperature.
 */
import type { ProfileRunState, TemperatureProfile } from './profile';

export type PlannedSegment = {
  readonly index: number;
  readonly name: string;
  readonly fromC: number;
  readonly targetC: number;
  readonly vacuum: boolean;
  /** Seconds after the run's start: the segment begins, its ramp reaches the target, its soak ends. */
  readonly startS: number;
  readonly rampEndS: number;
  readonly endS: number;
};

export type PlanPoint = { readonly tS: number; readonly tempC: number };

export type ProfilePlan = {
  readonly segments: readonly PlannedSegment[];
  readonly totalS: number;
  /** The planned setpoint as a polyline: its corners, in time order. */
  readonly points: readonly PlanPoint[];
};

/** Seconds a setpoint ramp takes from `fromC` to `toC`; a step takes none. */
export function rampDurationS(fromC: number, toC: number, rampCPerMin: number | 'step'): number {
  if (rampCPerMin === 'step') return 0;
  return (Math.abs(toC - fromC) / rampCPerMin) * 60;
}

/** The plan of `profile` started with the oven at `startTempC`. */
export function planProfile(profile: TemperatureProfile, startTempC: number): ProfilePlan {
  const segments: PlannedSegment[] = [];
  const points: PlanPoint[] = [{ tS: 0, tempC: startTempC }];
  let tS = 0;
  let fromC = startTempC;
  profile.segments.forEach((seg, index) => {
    const startS = tS;
    const rampEndS = startS + rampDurationS(fromC, seg.targetC, seg.rampCPerMin);
    const endS = rampEndS + seg.holdS;
    segments.push({
      index,
      name: seg.name,
      fromC,
      targetC: seg.targetC,
      vacuum: seg.vacuum,
      startS,
      rampEndS,
      endS,
    });
    // A step shows as a vertical edge: the old temperature and the new one at the same instant.
    if (rampEndS === startS && seg.targetC !== fromC) points.push({ tS: startS, tempC: seg.targetC });
    else points.push({ tS: rampEndS, tempC: seg.targetC });
    if (endS > rampEndS) points.push({ tS: endS, tempC: seg.targetC });
    tS = endS;
    fromC = seg.targetC;
  });
  return { segments, totalS: tS, points };
}

export type TimeLeft = {
  /** The segment being run, 0-based, and its name. */
  readonly segment: number;
  readonly segmentName: string;
  /** Planned seconds left in this segment and in the whole run (ramps at their rate, holds in full). */
  readonly segmentLeftS: number;
  readonly runLeftS: number;
};

/**
 * What is left of an active run, by the plan: the rest of the current ramp from the working setpoint,
 * the rest of its soak, then every later segment. Waiting for the band or the vacuum is not counted (it
 * cannot be known ahead), so the figure is a lower bound. Null when the run is not running or paused.
 */
export function timeLeft(
  run: Pick<
    ProfileRunState,
    'profile' | 'status' | 'segmentIndex' | 'phase' | 'rampSetpointC' | 'soakElapsedS'
  >,
  tempC: number | null,
): TimeLeft | null {
  if (run.status !== 'running' && run.status !== 'paused') return null;
  const segs = run.profile.segments;
  const seg = segs[run.segmentIndex];
  if (!seg) return null;
  let segmentLeftS = Math.max(0, seg.holdS - run.soakElapsedS);
  if (run.phase === 'wait-vacuum' || run.phase === 'ramp') {
    const fromC = run.rampSetpointC ?? tempC ?? seg.targetC;
    segmentLeftS += rampDurationS(fromC, seg.targetC, seg.rampCPerMin);
  }
  let runLeftS = segmentLeftS;
  let fromC = seg.targetC;
  for (const next of segs.slice(run.segmentIndex + 1)) {
    runLeftS += rampDurationS(fromC, next.targetC, next.rampCPerMin) + next.holdS;
    fromC = next.targetC;
  }
  return { segment: run.segmentIndex, segmentName: seg.name, segmentLeftS, runLeftS };
}
