/**
 * A stack load cell's two-point calibration as a technician runs it: the press released and the cell
 * unloaded (tare), then a known load on it (weights, or the press pumped until a reference cell in the die
 * reads a value). Each point waits for a steady reading, then goes through the channel's own tare and span
 * commands (devices/press-channel.ts), so the safety rules hold here as in a flow: a tare only with the
 * press released and the force near zero, a span only near what the installed calibration expects.
 */
import type { Clock } from '../src/clock';
import type { ChannelConfig } from '../src/rig/config';
import type { PressHardware } from '../src/rig/hardware-limits';
import type { LoadCellCalibration } from '../src/rig/load-cell';
import type { DigitalIo } from './digital-out';
import type { I2cBus } from './i2c-bus';
import { PressChannel } from './press-channel';

export type CalibrationStep =
  | { step: 'release'; channel: string }
  /** Known weights: `knownForceN` is set. Reference cell: the answer is the reference reading in N. */
  | { step: 'load'; channel: string; knownForceN?: number };

export type CalibrationOptions = {
  hw: { bus: I2cBus; io: DigitalIo };
  clock: Clock;
  channel: Pick<ChannelConfig, 'channel' | 'muxPort' | 'dieDiameterMm' | 'calibration' | 'samplePeriodMs'>;
  hardware: PressHardware;
  /** Known load on the cell, N; without it the load step's answer (a reference cell's reading) is used. */
  knownForceN?: number;
  /** Tells the technician what to do next and resolves when done, with what they typed. */
  ask(step: CalibrationStep): Promise<string>;
  /** Readings that must agree before a point is taken. */
  samples?: number;
  /** Largest spread of those readings, N. */
  steadyN?: number;
  log?(line: string): void;
};

export class CalibrationError extends Error {
  override name = 'CalibrationError';
}

/** Runs tare then span; returns the new calibration (nothing is written here). */
export async function calibrateLoadCell(o: CalibrationOptions): Promise<LoadCellCalibration> {
  const ch = new PressChannel(o.hw, o.clock, { channel: o.channel, hardware: o.hardware });
  const log = o.log ?? (() => undefined);
  const n = o.samples ?? 5;
  const steadyN = o.steadyN ?? 20;
  /** `n` readings one sample period apart; the last one is what the command judges. */
  const steady = async (what: string): Promise<number> => {
    const forces: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i) await o.clock.sleep(o.channel.samplePeriodMs);
      const s = await ch.sample();
      if (!s.reading)
        throw new CalibrationError(`${what}: the load cell is ${s.readError ?? 'not available'}`);
      forces.push(s.reading.forceN);
    }
    const spread = Math.max(...forces) - Math.min(...forces);
    if (spread > steadyN)
      throw new CalibrationError(
        `${what}: the reading is not steady (${spread.toFixed(0)} N apart over ${n} samples, at most ${steadyN} N): wait for the press to settle and run again`,
      );
    return forces[forces.length - 1]!;
  };
  const run = (cmd: Parameters<PressChannel['command']>[0]) => {
    try {
      return ch.command(cmd)[0]!;
    } catch (err) {
      throw new CalibrationError((err as Error).message);
    }
  };

  await o.ask({ step: 'release', channel: o.channel.channel });
  await steady('tare');
  log(run({ command: 'tare' }).message);

  const answer = await o.ask({ step: 'load', channel: o.channel.channel, knownForceN: o.knownForceN });
  const knownForceN = o.knownForceN ?? Number(answer.trim());
  if (!(Number.isFinite(knownForceN) && knownForceN > 0))
    throw new CalibrationError(`the known load must be a force in N above 0 (got "${answer.trim()}")`);
  // The known load is judged against a reading taken after it was applied.
  await steady('span');
  log(run({ command: 'span', knownForceN }).message);
  return ch.calibration;
}
