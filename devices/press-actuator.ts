/**
 * The press actuator: an electro-hydraulic press with a pump (pushes) and a normally-closed release valve
 * (lets the ram back), each on a relay output. Chosen over a step/dir stepper because it needs only two
 * digital outputs, which Firmata, the Linux GPIO character device and the simulator all provide with the
 * same timing (a stepper needs a pulse train that Firmata cannot generate from the Pi's side), and because
 * its unpowered state is safe: pump off and valve closed hold the stack where it is.
 *
 * A velocity command (mm/s, as the pressure-hold controller gives) becomes a time-proportioned duty on the
 * pump (positive) or the valve (negative), never both.
 */
import type { Clock } from '../src/clock';
import { type DigitalIo, TimeProportionedOutput } from './digital-out';

export type PressActuatorOptions = {
  pumpPin: number;
  valvePin: number;
  /** Ram speed with the pump running, and with the valve open, mm/s. */
  pumpSpeedMmPerS: number;
  releaseSpeedMmPerS: number;
  windowMs?: number;
  minPulseMs?: number;
};

export class PressActuator {
  private readonly pump: TimeProportionedOutput;
  private readonly valve: TimeProportionedOutput;

  constructor(
    io: DigitalIo,
    clock: Clock,
    private readonly options: PressActuatorOptions,
  ) {
    const tp = { windowMs: options.windowMs ?? 1000, minPulseMs: options.minPulseMs ?? 5 };
    this.pump = new TimeProportionedOutput(io, options.pumpPin, clock, tp);
    this.valve = new TimeProportionedOutput(io, options.valvePin, clock, tp);
  }

  /** Signed ram velocity, mm/s; clamped to what the pump or the valve can do. */
  setVelocity(mmPerS: number): void {
    if (!Number.isFinite(mmPerS) || mmPerS === 0) {
      this.stop();
      return;
    }
    if (mmPerS > 0) {
      this.valve.stop();
      this.pump.setDuty(mmPerS / this.options.pumpSpeedMmPerS);
    } else {
      this.pump.stop();
      this.valve.setDuty(-mmPerS / this.options.releaseSpeedMmPerS);
    }
  }

  /** Safe state: pump off, valve closed, at once. The ram holds where it is. */
  stop(): void {
    this.pump.stop();
    this.valve.stop();
  }

  get state(): { pumpOn: boolean; valveOpen: boolean } {
    return { pumpOn: this.pump.isOn, valveOpen: this.valve.isOn };
  }
}
