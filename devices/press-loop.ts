/**
 * One cell channel's press loop, once per control period: read the stack load cell, run the pressure-hold
 * controller (when the channel is under control), and drive the press actuator from its output. A load
 * cell that does not answer counts as a lost reading, so the controller stops the press in that period.
 */
import type { Clock } from '../src/clock';
import type { PressureHold, PressureOutput } from '../src/control/pressure-hold';
import { DeviceNotAvailableError } from './i2c-bus';
import type { LoadCellReading, StackLoadCell } from './load-cell';
import type { PressActuator } from './press-actuator';

export type PressLoopSample = {
  ts: number;
  reading: LoadCellReading | null;
  /** Why there is no reading: 'not available' (no answer) or the driver's message. */
  readError: string | null;
  unavailable: boolean;
  control: PressureOutput | null;
};

export class PressLoop {
  constructor(
    private readonly loadCell: StackLoadCell,
    private readonly clock: Clock,
    private readonly hold?: PressureHold,
    private readonly actuator?: PressActuator,
  ) {}

  async sample(): Promise<PressLoopSample> {
    let reading: LoadCellReading | null = null;
    let readError: string | null = null;
    let unavailable = false;
    try {
      reading = await this.loadCell.read();
    } catch (err) {
      this.loadCell.reset();
      unavailable = err instanceof DeviceNotAvailableError;
      readError = unavailable ? 'not available' : err instanceof Error ? err.message : String(err);
    }
    const ts = this.clock.now();
    let control: PressureOutput | null = null;
    if (this.hold) {
      control = this.hold.step({ timeS: ts / 1000, pressureMPa: reading?.pressureMPa ?? null });
      if (control.velocityMmPerS === 0) this.actuator?.stop();
      else this.actuator?.setVelocity(control.velocityMmPerS);
    }
    return { ts, reading, readError, unavailable, control };
  }

  /** Safe state: press stopped where it is. */
  stop(): void {
    this.actuator?.stop();
  }
}
