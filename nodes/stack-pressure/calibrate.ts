/**
 * Load-cell calibration by msg: `tare` takes the latest reading as zero (press open, nothing on the cell),
 * `span` takes it as a known force and fits the span through the zero (a two-point calibration). The new
 * values go out as an event so they can be written into the node's settings (Zero, Span).
 */
import { z } from 'zod';
import type { ControlEvent } from '../../src/control/events';
import { twoPointCalibration } from '../../src/rig/load-cell';

export const calibrationCommandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('tare') }),
  z.object({ command: z.literal('span'), knownForceN: z.number().positive().max(1e6) }),
]);
export type CalibrationCommand = z.infer<typeof calibrationCommandSchema>;

export function isCalibrationCommand(p: unknown): boolean {
  const c = (p as { command?: unknown } | null)?.command;
  return c === 'tare' || c === 'span';
}

/** The calibration after the command, from the counts read last. Throws when the span cannot be fitted. */
export function calibrate(
  cmd: CalibrationCommand,
  counts: number,
  current: { zeroCounts: number; countsPerN: number },
): { zeroCounts: number; countsPerN: number } {
  if (cmd.command === 'tare') return { zeroCounts: counts, countsPerN: current.countsPerN };
  return twoPointCalibration({ forceN: 0, counts: current.zeroCounts }, { forceN: cmd.knownForceN, counts });
}

export function calibrationEvent(
  cmd: CalibrationCommand,
  cal: { zeroCounts: number; countsPerN: number },
  timeS: number,
): ControlEvent {
  return {
    kind: 'event',
    code: 'calibrated',
    timeS,
    message: `${cmd.command}: zero ${cal.zeroCounts.toFixed(0)} counts, span ${cal.countsPerN.toFixed(3)} counts/N`,
    data: { zeroCounts: cal.zeroCounts, countsPerN: cal.countsPerN },
  };
}
