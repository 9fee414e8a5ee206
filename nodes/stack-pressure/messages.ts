/** The stack-pressure node's outputs: a `pressure` telemetry sample, and one `events` sample per control event. */
import type { NodeMessage, NodeStatus } from 'node-red';
import type { PressLoopSample } from '../../devices/press-loop';
import type { ControlEvent } from '../../src/control/events';
import { eventFields } from '../../src/control/events';
import type { PressureHold } from '../../src/control/pressure-hold';
import { short, status } from '../shared/node-support';

export type TelemetryMsg = NodeMessage & { channel: string; stream: string };
type Who = { rigId: string; channel: string; cell: string; coating: string };

export function pressureMessages(
  s: PressLoopSample,
  who: Who,
  hold: PressureHold | undefined,
): { telemetry: TelemetryMsg | null; events: TelemetryMsg[] } {
  const c = s.control;
  const msg = (stream: string, payload: Record<string, unknown>): TelemetryMsg => ({
    topic: `${who.rigId}/${who.channel}/${stream}`,
    channel: who.channel,
    stream,
    payload: { ts: s.ts, cell: who.cell, coating: who.coating, ...payload },
  });
  // Without a reading there is no pressure sample; under control, the alarm still goes out as an event.
  const telemetry = s.reading
    ? msg('pressure', {
        pressureMPa: s.reading.pressureMPa,
        forceN: s.reading.forceN,
        counts: s.reading.counts,
        ...(c && hold
          ? {
              ...(c.setpointMPa !== null ? { setpointMPa: c.setpointMPa } : {}),
              toleranceMPa: hold.config.toleranceMPa,
              outputMmPerS: c.velocityMmPerS,
              phase: c.phase,
              inBand: c.inBand,
              excursion: c.excursion,
              alarms: [...hold.activeAlarms, ...(s.guard?.trip ? [s.guard.trip] : [])].join(','),
              // The safety layer's view: the same reading by the calibration installed at deploy.
              ...(s.guard?.pressureMPa != null ? { installedPressureMPa: s.guard.pressureMPa } : {}),
            }
          : {}),
      })
    : null;
  return { telemetry, events: (c?.events ?? []).map((e) => eventMessage(e, s.ts, who)) };
}

/** One control event as an `events` telemetry message. */
export function eventMessage(e: ControlEvent, ts: number, who: Who): TelemetryMsg {
  return {
    topic: `${who.rigId}/${who.channel}/events`,
    channel: who.channel,
    stream: 'events',
    payload: { ts, cell: who.cell, coating: who.coating, ...eventFields(e) },
  };
}

/** The node's face: pressure, and under control the setpoint and phase; grey when the load cell is away. */
export function statusFor(
  s: PressLoopSample,
  hold: PressureHold | undefined,
  latched: string[] = [],
): NodeStatus {
  const c = s.control;
  const mpa = s.reading ? `${s.reading.pressureMPa.toFixed(1)} MPa` : '';
  if (!c || !hold) {
    if (s.reading) return status.ok(mpa);
    return s.unavailable ? status.unavailable() : status.error(short(s.readError ?? 'read failed'));
  }
  const alarms = [...hold.activeAlarms, ...latched];
  if (s.guard?.trip) return status.error(short(`safety layer: ${s.guard.trip}, ${mpa}: press stopped`));
  if (c.phase === 'fault') {
    return s.unavailable
      ? status.unavailable('not available: press stopped')
      : status.error(short(`${alarms.join(', ')}: press stopped`));
  }
  if (c.phase === 'tripped' || c.phase === 'release')
    return status.error(short(`overload ${c.phase}: ${mpa}`));
  if (c.phase === 'idle') return status.idle(`${mpa} (not holding)`);
  const text = `${mpa} / ${c.setpointMPa?.toFixed(1)} MPa ${c.phase}`;
  return c.excursion || alarms.length ? status.warn(text) : status.ok(text);
}
