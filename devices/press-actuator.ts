/**
 * The press actuator: an electro-hydraulic press with a pump (pushes) and a normally-closed release valve
 * (lets the ram back), each on a relay output. Chosen over a step/dir stepper because it needs only two
 * digital outputs, which Firmata, the Linux GPIO character device and the simulator all provide with the
 * same timing (a stepper needs a pulse train that Firmata cannot generate from the Pi's side), and because
 * its unpowered state is safe: pump off and valve closed hold the stack where it is.
 *
 * A velocity command (mm/s, as the pressure-hold controller gives) becomes one pulse on the pump (positive)
 * or the valve (negative), never both: on for |v| / speed of one window (the control period), starting now,
 * then off. A command replaces the pulse before it; nothing repeats by itself, so a loop that stops
 * commanding leaves the press stopped within one window, and the safety layer can bound what a pulse does.
 */
import type { Clock, TimerHandle } from '../src/clock';
import { type DigitalIo, SwitchedOutput } from './digital-out';

export type PressActuatorOptions = {
  pumpPin: number;
  valvePin: number;
  /** Ram speed with the pump running, and with the valve open, mm/s. */
  pumpSpeedMmPerS: number;
  releaseSpeedMmPerS: number;
  /** Length of the pulse at full command, ms: the control period. */
  windowMs?: number;
  /** Shorter pulses are dropped: the relays and the pump need a minimum on-time. */
  minPulseMs?: number;
};

export class PressActuator {
  private readonly pump: SwitchedOutput;
  private readonly valve: SwitchedOutput;
  private readonly windowMs: number;
  private readonly minPulseMs: number;
  private offTimer: TimerHandle | undefined;

  constructor(
    io: DigitalIo,
    private readonly clock: Clock,
    private readonly options: PressActuatorOptions,
  ) {
    this.pump = new SwitchedOutput(io, options.pumpPin);
    this.valve = new SwitchedOutput(io, options.valvePin);
    this.windowMs = options.windowMs ?? 1000;
    this.minPulseMs = options.minPulseMs ?? 5;
  }

  /** Signed ram velocity, mm/s, for the coming window; clamped to what the pump or the valve can do. */
  setVelocity(mmPerS: number): void {
    this.clock.clearTimer(this.offTimer);
    this.offTimer = undefined;
    let want: SwitchedOutput | undefined;
    let onMs = 0;
    if (Number.isFinite(mmPerS) && mmPerS !== 0) {
      const speed = mmPerS > 0 ? this.options.pumpSpeedMmPerS : this.options.releaseSpeedMmPerS;
      onMs = Math.min(1, Math.abs(mmPerS) / speed) * this.windowMs;
      if (onMs >= this.minPulseMs) want = mmPerS > 0 ? this.pump : this.valve;
    }
    // Never both at once, and no off-on glitch on an output that stays on.
    for (const o of [this.pump, this.valve]) if (o !== want && o.isOn) o.set(false);
    if (!want) return;
    const out = want;
    if (!out.isOn) out.set(true);
    this.offTimer = this.clock.setTimeout(() => {
      this.offTimer = undefined;
      out.set(false);
    }, onMs);
  }

  /** Safe state: pump off, valve closed, at once. The ram holds where it is. */
  stop(): void {
    this.clock.clearTimer(this.offTimer);
    this.offTimer = undefined;
    if (this.pump.isOn) this.pump.set(false);
    if (this.valve.isOn) this.valve.set(false);
  }

  get state(): { pumpOn: boolean; valveOpen: boolean } {
    return { pumpOn: this.pump.isOn, valveOpen: this.valve.isOn };
  }
}
