/**
 * The thermal-profile node's face on each control sample: the `oven` telemetry message (with the run's
 * progress and what the plan says is left, and the run itself beside the payload for the panel) and the
 * node status.
 */
import type { NodeMessage, NodeStatus } from 'node-red';
import type { OvenLoopSample } from '../../devices/oven-loop';
import type { ProfileRunState } from '../../src/control/profile';
import { timeLeft } from '../../src/control/profile-plan';
import { THERMAL_FAULT_TEXT, type ThermalFault } from '../../src/control/thermal-guard';
import { short, status } from '../shared/node-support';

export type OvenMessage = NodeMessage & {
  channel: string;
  stream: 'oven';
  /** The run's progress and profile (not telemetry: for the panel's plan and time left). */
  run?: ProfileRunState;
  /** The simulated oven's time scale (1 on real hardware), and the controller's time of this sample, s. */
  timeScale: number;
  ovenTimeS: number;
};

type Where = { rigId: string; channel: string; timeScale: number; wallMs: number };

/** The `oven` sample, or null while idle with no reading (nothing worth a sample). */
export function ovenMessage(
  s: OvenLoopSample,
  run: ProfileRunState | undefined,
  at: Where,
): OvenMessage | null {
  const o = s.out;
  if (s.reading.tempC === null && o.status === 'idle') return null;
  const fields: Record<string, unknown> = {
    ...(run ? { runId: run.runId, ...(run.batch ? { batch: run.batch } : {}) } : {}),
    heaterDuty: o.heaterDuty,
    heaterEnabled: o.heaterEnabled,
    vacuumOn: o.vacuumOn,
    vacuumOk: s.vacuumOk,
    status: o.status,
  };
  if (s.reading.tempC !== null) fields.tempC = s.reading.tempC;
  if (o.setpointC !== null) fields.setpointC = o.setpointC;
  if (o.segmentIndex !== null) {
    fields.segment = o.segmentIndex;
    fields.phase = o.phase ?? '';
    fields.soakS = run?.soakElapsedS ?? 0;
  }
  const left = run ? timeLeft(run, s.reading.tempC) : null;
  if (left) Object.assign(fields, left, { segment: left.segment });
  if (at.timeScale !== 1) fields.timeScale = at.timeScale;
  return {
    topic: `${at.rigId}/${at.channel}/oven`,
    channel: at.channel,
    stream: 'oven',
    payload: { ts: at.wallMs, ...fields },
    ...(run ? { run } : {}),
    timeScale: at.timeScale,
    ovenTimeS: s.ts / 1000,
  };
}

export function ovenStatus(
  s: OvenLoopSample,
  run: ProfileRunState | undefined,
  trippedBy: ThermalFault | undefined,
  timeScale: number,
): NodeStatus {
  const o = s.out;
  const t = s.reading.tempC === null ? '--' : s.reading.tempC.toFixed(1);
  const scale = timeScale !== 1 ? ` ×${timeScale}` : '';
  if (trippedBy) return status.error(short(`${THERMAL_FAULT_TEXT[trippedBy]}: heater off`));
  if (s.unavailable) return status.unavailable('not available: heater off');
  if ((o.status === 'running' || o.status === 'paused') && run) {
    const seg = run.profile.segments[run.segmentIndex]!;
    const text = `${t} / ${o.setpointC?.toFixed(1)} C, ${run.segmentIndex + 1}/${run.profile.segments.length} ${o.phase} ${Math.floor(run.soakElapsedS)}/${seg.holdS} s${scale}`;
    return o.status === 'paused' ? status.warn(`paused ${text}`) : status.ok(text);
  }
  return status.idle(`${t} C, ${o.status}${scale}`);
}
