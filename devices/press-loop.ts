/**
 * One cell channel's press loop, once per control period: read the stack load cell, run the pressure-hold
 * controller (when the channel is under control), pass its command through the safety layer (which judges
 * the raw counts with the installed calibration), and drive the press actuator with what the layer allows.
 * A load cell that does not answer counts as a lost reading, so the controller stops the press in that period.
 */
import type { Clock } from '../src/clock';
import type { ControlEvent } from '../src/control/events';
import type { PressureHold, PressureOutput } from '../src/control/pressure-hold';
import { DeviceNotAvailableError } from './i2c-bus';
import type { LoadCellReading, StackLoadCell } from './load-cell';
import type { PressActuator } from './press-actuator';
import type { PressGuard } from './press-guard';

export type PressLoopSample = {
  ts: number;
  reading: LoadCellReading | null;
  /** Why there is no reading: 'not available' (no answer) or the driver's message. */
  readError: string | null;
  unavailable: boolean;
  control: PressureOutput | null;
  /** The safety layer's view: stack pressure by the installed calibration, and whether it cut the pump. */
  guard: { pressureMPa: number | null; limited: boolean; trip: string | undefined } | null;
};

export class PressLoop {
  constructor(
    private readonly loadCell: StackLoadCell,
    private readonly clock: Clock,
    private readonly hold?: PressureHold,
    private readonly actuator?: PressActuator,
    private readonly guard?: PressGuard,
  ) {
    if (actuator && !guard) throw new Error('a press actuator needs its safety layer (PressGuard)');
  }

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
    let guard: PressLoopSample['guard'] = null;
    if (this.hold) {
      control = this.hold.step({ timeS: ts / 1000, pressureMPa: reading?.pressureMPa ?? null });
      if (this.guard && this.actuator) {
        const g = this.guard.step(
          reading?.counts ?? null,
          control.velocityMmPerS,
          ts / 1000,
          this.hold.config.targetMPa,
          control.phase === 'release',
        );
        this.hold.applied(g.velocityMmPerS);
        const trip = this.guard.trippedBy;
        if (trip && (control.phase === 'ramp' || control.phase === 'hold')) {
          this.hold.halt(ts / 1000, trip);
          control = { ...control, phase: this.hold.currentPhase, setpointMPa: null };
        }
        this.actuator.setVelocity(g.velocityMmPerS);
        guard = { pressureMPa: g.pressureMPa, limited: g.limited, trip: this.guard.trippedBy };
        control = withEvents(control, g.events);
      }
    }
    return { ts, reading, readError, unavailable, control, guard };
  }

  /** Safe state: press stopped where it is. */
  stop(): void {
    this.actuator?.stop();
  }
}

function withEvents(out: PressureOutput, extra: ControlEvent[]): PressureOutput {
  return extra.length ? { ...out, events: [...out.events, ...extra] } : out;
}
