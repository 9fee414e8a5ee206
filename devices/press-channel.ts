/**
 * One cell channel's press, as a node or a test drives it: the load cell, the pressure hold (when the
 * channel is under control), the safety layer and the actuator, and the commands a user may send
 * (start, stop, reset, tare, span). The channel is made only when what it was deployed with (mux port,
 * die, pins, zero and span) is the rig's installation (devices/rig-installation.ts): the safety layer and
 * the interlocks judge raw counts by the installed calibration, so a deploy cannot move them. Every
 * command is checked here, below the node, so the same rules hold whatever sends it:
 * - tare only with the press released: not ramping, holding or releasing, no latched trip, and the raw
 *   reading near zero by the installed calibration (a `stop` leaves the press holding its load);
 * - span only with the press idle and a known load the installed calibration agrees with, within the
 *   cell's tolerance (a wrong known load or a wiring fault cannot rescale the cell);
 * - a new target only within the rig's hardware limits.
 * A refused command throws `CommandRefused` with the reason in plain words and changes nothing.
 */
import type { Clock } from '../src/clock';
import type { ControlEvent } from '../src/control/events';
import type { LoopOverrun } from '../src/control/loop-monitor';
import type { PressureHold } from '../src/control/pressure-hold';
import type { ChannelConfig } from '../src/rig/config';
import {
  checkCalibration,
  checkPressSettings,
  describeProblems,
  type PressHardware,
} from '../src/rig/hardware-limits';
import { type InstalledChannel, installationMismatch } from '../src/rig/installation';
import { type LoadCellCalibration, twoPointCalibration } from '../src/rig/load-cell';
import type { DigitalIo } from './digital-out';
import type { I2cBus } from './i2c-bus';
import { StackLoadCell } from './load-cell';
import { PressActuator } from './press-actuator';
import { PressGuard } from './press-guard';
import { PressLoop, type PressLoopSample } from './press-loop';

export type PressCommand =
  | { command: 'start'; targetMPa?: number }
  | { command: 'stop' }
  | { command: 'reset' }
  | { command: 'tare' }
  | { command: 'span'; knownForceN: number };

export class CommandRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandRefused';
  }
}

export type PressChannelOptions = {
  channel: Pick<ChannelConfig, 'channel' | 'muxPort' | 'dieDiameterMm' | 'calibration' | 'samplePeriodMs'>;
  hardware: PressHardware;
  /**
   * The channel's installation: the safety layer and the tare and span interlocks judge raw counts by
   * its calibration, and the channel is refused when `channel` and `pins` disagree with it. Required with
   * `hold`. Without it (a load cell's first calibration) a tare needs a reading within the cell's zero
   * balance and a span is judged by the nominal sensitivity.
   */
  installed?: InstalledFigures;
  /** Names the rig in a refusal. */
  rigId?: string;
  /** The pressure hold, when the channel controls its press (then `pins` too). */
  hold?: PressureHold;
  pins?: { pump: number; valve: number };
};

/** What a channel's installation fixes (its record entry; `set` says when and how, for a refusal). */
export type InstalledFigures = Omit<InstalledChannel, 'set'> & { set?: InstalledChannel['set'] };

const fmt = (x: number, d = 1) => x.toFixed(d);

export class PressChannel {
  readonly guard: PressGuard | undefined;
  private readonly loop: PressLoop;
  private readonly cell: { calibration: LoadCellCalibration };
  private readonly areaMm2: number;
  private last: { counts: number; ts: number } | undefined;
  private overrunBy: LoopOverrun | undefined;

  constructor(
    hw: { bus: I2cBus; io: DigitalIo },
    private readonly clock: Clock,
    private readonly options: PressChannelOptions,
  ) {
    const { channel, hardware, hold, pins, installed } = options;
    const refused = checkCalibration(channel.calibration, hardware);
    if (refused.length) throw new CommandRefused(describeProblems(refused));
    if (hold && !installed)
      throw new CommandRefused(
        `${channel.channel}: the press runs only on an installed channel (no installed calibration to judge its load cell by)`,
      );
    if (installed) {
      const mismatch = installationMismatch(
        { ...channel, pins: hold ? pins : undefined, overloadMPa: hold?.config.overloadMPa },
        installed,
        options.rigId ?? 'rig',
      );
      if (mismatch) throw new CommandRefused(mismatch);
    }
    // The load cell reads with this object's calibration, which tare and span replace; the guard keeps its own copy.
    this.cell = { ...channel, calibration: { ...channel.calibration } };
    this.areaMm2 = Math.PI * (channel.dieDiameterMm / 2) ** 2;
    let actuator: PressActuator | undefined;
    if (hold && pins) {
      actuator = new PressActuator(hw.io, clock, {
        pumpPin: pins.pump,
        valvePin: pins.valve,
        pumpSpeedMmPerS: hardware.pumpSpeedMmPerS,
        releaseSpeedMmPerS: hardware.releaseSpeedMmPerS,
        windowMs: channel.samplePeriodMs,
      });
      this.guard = new PressGuard({
        installed: installed!.calibration,
        dieDiameterMm: installed!.dieDiameterMm,
        overloadMPa: hold.config.overloadMPa,
        hardware,
        periodMs: channel.samplePeriodMs,
        releaseSpeedMmPerS: hold.config.releaseSpeedMmPerS,
      });
    }
    const loadCell = new StackLoadCell(hw.bus, clock, this.cell as typeof channel);
    this.loop = new PressLoop(loadCell, clock, hold, actuator, this.guard);
  }

  get calibration(): LoadCellCalibration {
    return { ...this.cell.calibration };
  }

  async sample(): Promise<PressLoopSample> {
    const s = await this.loop.sample();
    this.last = s.reading ? { counts: s.reading.counts, ts: s.ts } : undefined;
    return s;
  }

  /** Safe state: press stopped where it is. */
  safe(): void {
    this.loop.stop();
  }

  /**
   * The loop missed its period: press stopped, the hold halted (an overload release goes on: it is the one
   * way the press may move), no start until reset. Returns the alarm.
   */
  overrun(o: LoopOverrun): ControlEvent[] {
    this.overrunBy = o;
    this.safe();
    const timeS = this.clock.now() / 1000;
    this.options.hold?.halt(timeS, 'control loop missed its period');
    return [
      {
        kind: 'alarm',
        code: 'loop-overrun',
        timeS,
        message: `${o.message}: press stopped`,
        data: { gapMs: o.gapMs, periodMs: o.periodMs, marginMs: o.marginMs },
      },
    ];
  }

  /** Latched alarms below the controller: the safety layer's, and a missed period. */
  get latched(): string[] {
    return [...(this.guard?.activeAlarms ?? []), ...(this.overrunBy ? ['loop-overrun'] : [])];
  }

  /** Runs a command now; returns the events it produced (a `calibrated` event for tare and span). */
  command(cmd: PressCommand): ControlEvent[] {
    const timeS = this.clock.now() / 1000;
    const hold = this.options.hold;
    if (cmd.command === 'tare' || cmd.command === 'span') return [this.calibrate(cmd, timeS)];
    if (!hold)
      throw new CommandRefused(`${cmd.command} needs control: hold (this node only reads the load cell)`);
    if (cmd.command === 'start') {
      const targetMPa = cmd.targetMPa ?? hold.config.targetMPa;
      const c = hold.config;
      const problems = checkPressSettings(
        { ...c, targetMPa, dieDiameterMm: this.options.channel.dieDiameterMm },
        this.options.hardware,
      );
      if (problems.length) throw new CommandRefused(describeProblems(problems));
      if (this.guard?.trippedBy) throw new CommandRefused(this.tripText());
      if (this.overrunBy)
        throw new CommandRefused(
          `reset first: the control loop missed its period (${this.overrunBy.message})`,
        );
      try {
        hold.start(timeS, targetMPa);
      } catch (err) {
        throw new CommandRefused((err as Error).message);
      }
    } else if (cmd.command === 'stop') hold.stop(timeS);
    else {
      try {
        this.guard?.reset(this.last?.counts ?? null);
      } catch (err) {
        throw new CommandRefused((err as Error).message);
      }
      hold.reset(timeS);
      this.overrunBy = undefined;
    }
    return [];
  }

  private tripText(): string {
    return `the safety layer stopped the press (${this.guard?.activeAlarms.join(', ')}): reset first`;
  }

  private calibrate(cmd: Extract<PressCommand, { command: 'tare' | 'span' }>, timeS: number): ControlEvent {
    const hw = this.options.hardware;
    const phase = this.options.hold?.currentPhase;
    if (phase === 'ramp' || phase === 'hold' || phase === 'release')
      throw new CommandRefused(
        `the press is in ${phase}: stop the hold and release the press before a ${cmd.command}`,
      );
    if (phase === 'fault' || phase === 'tripped' || this.guard?.trippedBy)
      throw new CommandRefused(
        `the press is stopped by an alarm (${[...(this.options.hold?.activeAlarms ?? []), ...(this.guard?.activeAlarms ?? [])].join(', ')}): no ${cmd.command} until it is reset and the press released`,
      );
    const periodMs = this.options.channel.samplePeriodMs;
    const last = this.last;
    if (!last || this.clock.now() - last.ts > 2 * periodMs)
      throw new CommandRefused(
        `no fresh load-cell reading to ${cmd.command} against: wait for the next sample`,
      );
    // Judged with the installed calibration: the one a tare under load would otherwise replace. A first
    // calibration has none: its tare must be an unloaded reading and its span near the nominal one.
    const installed = this.options.installed?.calibration;
    const judge = installed ?? {
      zeroCounts: this.cell.calibration.zeroCounts,
      countsPerN: hw.nominalCountsPerN,
    };
    const forceN = (last.counts - judge.zeroCounts) / judge.countsPerN;
    const what = `${fmt(forceN, 0)} N (${fmt(forceN / this.areaMm2)} MPa) by the ${installed ? 'installed calibration' : "cell's nominal span"}`;
    let next: LoadCellCalibration;
    if (cmd.command === 'tare') {
      if (installed && Math.abs(forceN) > hw.nearZeroN)
        throw new CommandRefused(
          `tare refused: the load cell reads ${what}; a tare needs the press released, with at most ${hw.nearZeroN} N on the cell (stop leaves the press holding its load)`,
        );
      if (!installed && Math.abs(last.counts) > hw.maxZeroOffsetCounts)
        throw new CommandRefused(
          `tare refused: the load cell reads ${fmt(last.counts, 0)} counts, not an unloaded reading (a healthy cell and ADC read within ${hw.maxZeroOffsetCounts} counts of 0 with nothing on them): release the press, take everything off the cell`,
        );
      next = { zeroCounts: last.counts, countsPerN: this.cell.calibration.countsPerN };
    } else {
      const known = cmd.knownForceN;
      const top = hw.loadCellCapacityN * hw.usableFraction;
      if (!(known >= hw.minSpanForceN && known <= top))
        throw new CommandRefused(
          `span refused: a known load of ${fmt(known, 0)} N is outside ${hw.minSpanForceN} to ${fmt(top, 0)} N (too small magnifies the noise, too large leaves the cell's range)`,
        );
      if (!(Math.abs(forceN - known) <= hw.spanTolerance * known))
        throw new CommandRefused(
          `span refused: the load cell reads ${what} against a known ${fmt(known, 0)} N, more than ${fmt(hw.spanTolerance * 100, 0)} % apart (a wrong known load, or a wiring fault)`,
        );
      try {
        next = twoPointCalibration(
          { forceN: 0, counts: this.cell.calibration.zeroCounts },
          { forceN: known, counts: last.counts },
        );
      } catch (err) {
        throw new CommandRefused(`span refused: ${(err as Error).message}`);
      }
      const problems = checkCalibration(next, hw, { countsPerN: 'the fitted span' });
      if (problems.length) throw new CommandRefused(`span refused: ${describeProblems(problems)}`);
    }
    this.cell.calibration = next;
    return {
      kind: 'event',
      code: 'calibrated',
      timeS,
      message: `${cmd.command}: zero ${fmt(next.zeroCounts, 0)} counts, span ${next.countsPerN.toFixed(3)} counts/N`,
      data: { zeroCounts: next.zeroCounts, countsPerN: next.countsPerN },
    };
  }
}
