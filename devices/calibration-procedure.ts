/**
 * A stack load cell's two-point calibration as a technician runs it: the press released and the cell
 * unloaded (tare), then a known load on it (weights, or the press pumped until a reference cell in the die
 * reads a value). Each point waits for a steady reading, then goes through the channel's own tare and span
 * commands (devices/press-channel.ts), so the safety rules hold here as in a flow: a tare only with the
 * press released and the force near zero, a span only near what the installed calibration expects. A load
 * cell calibrated for the first time (no installation for it yet) is judged by what the hardware allows:
 * the tare within the cell's zero balance, the span within its tolerance of the nominal sensitivity.
 */
import type { Clock } from '../src/clock';
import type { ChannelConfig } from '../src/rig/config';
import type { PressHardware } from '../src/rig/hardware-limits';
import { roundSpan } from '../src/rig/installation';
import type { LoadCellCalibration } from '../src/rig/load-cell';
import type { DigitalIo } from './digital-out';
import type { I2cBus } from './i2c-bus';
import { type InstalledFigures, PressChannel } from './press-channel';
import type { RigInstallation } from './rig-installation';

export type CalibrationStep =
  | { step: 'release'; channel: string }
  /** Known weights: `knownForceN` is set. Reference cell: the answer is the reference reading in N. */
  | { step: 'load'; channel: string; knownForceN?: number };

export type CalibrationOptions = {
  hw: { bus: I2cBus; io: DigitalIo };
  clock: Clock;
  channel: Pick<ChannelConfig, 'channel' | 'muxPort' | 'dieDiameterMm' | 'calibration' | 'samplePeriodMs'>;
  hardware: PressHardware;
  /** The channel's installation, when its load cell was installed before: tare and span are judged by it. */
  installed?: InstalledFigures;
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

/**
 * `samples` readings one sample period apart (5 unless given) that agree within `steadyN` N (20): the last
 * one is what a command judges. A missing or unsteady reading is a CalibrationError saying so.
 */
export async function steadyReading(
  ch: PressChannel,
  clock: Clock,
  o: { what: string; periodMs: number; samples?: number; steadyN?: number },
): Promise<{ counts: number; forceN: number }> {
  const n = o.samples ?? 5;
  const steadyN = o.steadyN ?? 20;
  const forces: number[] = [];
  let counts = 0;
  for (let i = 0; i < n; i++) {
    if (i) await clock.sleep(o.periodMs);
    const s = await ch.sample();
    if (!s.reading)
      throw new CalibrationError(`${o.what}: the load cell is ${s.readError ?? 'not available'}`);
    forces.push(s.reading.forceN);
    counts = s.reading.counts;
  }
  const spread = Math.max(...forces) - Math.min(...forces);
  if (spread > steadyN)
    throw new CalibrationError(
      `${o.what}: the reading is not steady (${spread.toFixed(0)} N apart over ${n} samples, at most ${steadyN} N): wait for the press to settle and run again`,
    );
  return { counts, forceN: forces[forces.length - 1]! };
}

/** Runs tare then span; returns the new calibration (nothing is written here). */
export async function calibrateLoadCell(o: CalibrationOptions): Promise<LoadCellCalibration> {
  const log = o.log ?? (() => undefined);
  // Another mux port is another load cell: its installation says nothing about this one.
  const installed = o.installed?.muxPort === o.channel.muxPort ? o.installed : undefined;
  if (o.installed && !installed)
    log(
      `${o.channel.channel}: the installed load cell was behind mux port ${o.installed.muxPort}; port ${o.channel.muxPort} is calibrated as a new one`,
    );
  if (!installed)
    log(`${o.channel.channel}: first calibration of this load cell (nothing installed to judge it by)`);
  // Starts from the installed calibration (the node may hold values that were refused); the die is the
  // node's, which the new installation records.
  const ch = new PressChannel(o.hw, o.clock, {
    channel: installed ? { ...o.channel, calibration: installed.calibration } : o.channel,
    hardware: o.hardware,
    installed: installed ? { ...installed, dieDiameterMm: o.channel.dieDiameterMm } : undefined,
  });
  const steady = (what: string) =>
    steadyReading(ch, o.clock, {
      what,
      periodMs: o.channel.samplePeriodMs,
      samples: o.samples,
      steadyN: o.steadyN,
    });
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

/**
 * The calibration procedure on a channel of the rig's installation, and its result installed: the hardware
 * limits and the channel's installed load cell come from the record (never from the node), the new zero
 * and span (rounded as the flow file keeps them) replace the channel's entry with the node's port, die and
 * press pins. Nothing is written when the record does not serve this rig or the procedure refuses.
 */
export async function calibrateAndInstall(
  o: Omit<CalibrationOptions, 'hardware' | 'installed'> & {
    installation: RigInstallation;
    pins?: { pump: number; valve: number };
  },
): Promise<LoadCellCalibration> {
  const record = o.installation.record;
  if (!record) throw new CalibrationError(o.installation.refusal ?? 'no installation record');
  const name = o.channel.channel;
  let reference: number | undefined;
  const cal = await calibrateLoadCell({
    ...o,
    hardware: record.hardware.press,
    installed: record.channels[name],
    ask: async (s) => {
      const answer = await o.ask(s);
      if (s.step === 'load' && s.knownForceN === undefined) reference = Number(answer.trim());
      return answer;
    },
  });
  const installed = { zeroCounts: Math.round(cal.zeroCounts), countsPerN: roundSpan(cal.countsPerN) };
  o.installation.installChannel(
    name,
    {
      muxPort: o.channel.muxPort,
      dieDiameterMm: o.channel.dieDiameterMm,
      ...(o.pins ? { pumpPin: o.pins.pump, valvePin: o.pins.valve } : {}),
      calibration: installed,
    },
    'calibrate',
    reference !== undefined ? `reference cell reading ${reference} N` : `known load ${o.knownForceN} N`,
  );
  return installed;
}
