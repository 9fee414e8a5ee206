/** The stack-pressure node's outputs: a `pressure` telemetry sample, and one `events` sample per control event. */
import type { NodeMessage } from 'node-red';
import type { PressLoopSample } from '../../devices/press-loop';
import { eventFields } from '../../src/control/events';
import type { PressureHold } from '../../src/control/pressure-hold';

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
              alarms: hold.activeAlarms.join(','),
            }
          : {}),
      })
    : null;
  return { telemetry, events: (c?.events ?? []).map((e) => msg('events', eventFields(e))) };
}
