/**
 * The drying oven on the panel, from the thermal-profile node's `oven` samples (with the run beside the
 * payload): the measured temperature and the setpoint against the run's planned profile, anchored at the
 * run's start, as chart points; and a readout with the segment, the time left and the heater output.
 * Times are the rig's (wall) time: a sped-up simulated oven's plan and time left are divided by its scale.
 * A whole run is kept in at most about 600 points per series, whatever its length.
 */
import type { ProfileRunState } from '../control/profile';
import { planProfile } from '../control/profile-plan';
import { type ChartPoint, finite } from './chart';

export type OvenReadout = {
  ts: number;
  status: string;
  tempC: number | null;
  setpointC: number | null;
  heaterPct: number;
  heaterEnabled: boolean;
  vacuumOn: boolean;
  vacuumOk: boolean;
  timeScale: number;
  runId?: string;
  batch?: string;
  profileName?: string;
  /** 1-based, of `segments`. */
  segment?: number;
  segments?: number;
  segmentName?: string;
  phase?: string;
  soakS?: number;
  holdS?: number;
  /** Wall-clock seconds the plan says are left (a lower bound). */
  segmentLeftS?: number;
  runLeftS?: number;
  /** Wall-clock ms of the run's start and of the plan's end. */
  startedMs?: number;
  plannedEndMs?: number;
};

type OvenMsg = { payload?: unknown; run?: ProfileRunState; timeScale?: unknown; ovenTimeS?: unknown };

const POINTS_PER_RUN = 600;
/** Before the first run: the last half hour, a point every 15 s, the chart redrawn with each. */
const IDLE_EVERY_MS = 15_000;
const IDLE_POINTS = 120;
/** After a run: a point a minute, appended to the run. */
const AFTER_RUN_EVERY_MS = 60_000;

export class OvenView {
  private runId: string | undefined;
  private everyMs = IDLE_EVERY_MS;
  private lastPointMs = Number.NEGATIVE_INFINITY;
  private startedMs: number | undefined;
  private plannedEndMs: number | undefined;
  private idle: ChartPoint[] = [];

  /** `replace`: a new run began, the chart starts over with its plan. */
  accept(msg: OvenMsg): { points: ChartPoint[] | null; replace: boolean; readout: OvenReadout | null } {
    const p = msg.payload as Record<string, unknown> | null | undefined;
    if (!p || !finite(p.ts)) return { points: null, replace: false, readout: null };
    const ts = p.ts;
    const scale = finite(msg.timeScale) && msg.timeScale >= 1 ? msg.timeScale : 1;
    const tempC = finite(p.tempC) ? p.tempC : null;
    const setpointC = finite(p.setpointC) ? p.setpointC : null;
    const run = msg.run;
    const points: ChartPoint[] = [];
    let replace = false;
    if (run && run.runId !== this.runId && finite(msg.ovenTimeS)) {
      replace = true;
      this.runId = run.runId;
      // The oven's time of the run's start, on the rig's clock.
      this.startedMs = ts - ((msg.ovenTimeS - run.startedAtS) * 1000) / scale;
      const justStarted = run.segmentIndex === 0 && run.soakElapsedS === 0 && run.phase !== 'soak';
      const plan = planProfile(run.profile, justStarted && tempC !== null ? tempC : 25);
      this.plannedEndMs = this.startedMs + (plan.totalS * 1000) / scale;
      this.everyMs = Math.max(1000, (plan.totalS * 1000) / scale / POINTS_PER_RUN);
      for (const q of plan.points)
        points.push({ series: 'plan', x: this.startedMs + (q.tS * 1000) / scale, y: q.tempC });
      this.lastPointMs = Number.NEGATIVE_INFINITY;
    }
    const active = p.status === 'running' || p.status === 'paused';
    if (this.runId && !active) this.everyMs = Math.max(this.everyMs, AFTER_RUN_EVERY_MS);
    if (ts - this.lastPointMs >= this.everyMs) {
      this.lastPointMs = ts;
      if (tempC !== null) points.push({ series: 'temperature', x: ts, y: tempC });
      if (setpointC !== null) points.push({ series: 'setpoint', x: ts, y: setpointC });
      if (!this.runId && points.length) {
        // No run yet: a rolling window, redrawn whole, so the chart neither grows nor starts empty.
        this.idle = [...this.idle, ...points].slice(-IDLE_POINTS);
        points.splice(0, points.length, ...this.idle);
        replace = true;
      }
    }
    const readout: OvenReadout = {
      ts,
      status: typeof p.status === 'string' ? p.status : 'idle',
      tempC,
      setpointC,
      heaterPct: finite(p.heaterDuty) ? Math.round(p.heaterDuty * 1000) / 10 : 0,
      heaterEnabled: p.heaterEnabled === true,
      vacuumOn: p.vacuumOn === true,
      vacuumOk: p.vacuumOk === true,
      timeScale: scale,
    };
    if (run) {
      Object.assign(readout, {
        runId: run.runId,
        ...(run.batch ? { batch: run.batch } : {}),
        profileName: run.profile.name,
        segments: run.profile.segments.length,
        startedMs: this.startedMs,
        plannedEndMs: this.plannedEndMs,
      });
      if (active) {
        const seg = run.profile.segments[run.segmentIndex];
        Object.assign(readout, {
          segment: run.segmentIndex + 1,
          segmentName: seg?.name,
          phase: run.phase,
          soakS: run.soakElapsedS,
          holdS: seg?.holdS,
        });
        if (finite(p.segmentLeftS)) readout.segmentLeftS = p.segmentLeftS / scale;
        if (finite(p.runLeftS)) readout.runLeftS = p.runLeftS / scale;
      }
    }
    return { points: points.length ? points : null, replace, readout };
  }
}
