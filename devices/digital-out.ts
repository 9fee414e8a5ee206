/**
 * Digital outputs for the rig's actuators, over any johnny-five IO plugin: a plain switched output, and a
 * time-proportioning output that turns a duty (0..1) into on-time within a fixed window, as a heater SSR
 * or a pump needs. Time comes from the rig's clock, so the simulator runs them on virtual time.
 */
import type { Clock, TimerHandle } from '../src/clock';

/** The part of the johnny-five IO plugin spec that digital outputs use. */
export type DigitalIo = {
  pinMode(pin: number, mode: number): unknown;
  digitalWrite(pin: number, value: number): unknown;
  MODES: { OUTPUT: number };
};

export class SwitchedOutput {
  private on = false;

  constructor(
    private readonly io: DigitalIo,
    readonly pin: number,
  ) {
    io.pinMode(pin, io.MODES.OUTPUT);
    io.digitalWrite(pin, 0);
  }

  set(on: boolean): void {
    this.on = on;
    this.io.digitalWrite(this.pin, on ? 1 : 0);
  }

  get isOn(): boolean {
    return this.on;
  }
}

export type TimeProportioningOptions = {
  /** Length of one on/off cycle, ms. */
  windowMs: number;
  /** Shorter pulses are dropped (or stretched to the full window near 100 %): SSRs and pumps need a minimum. */
  minPulseMs?: number;
};

export class TimeProportionedOutput {
  private readonly out: SwitchedOutput;
  private duty = 0;
  private windowTimer: TimerHandle | undefined;
  private offTimer: TimerHandle | undefined;
  private stopped = true;

  constructor(
    io: DigitalIo,
    pin: number,
    private readonly clock: Clock,
    private readonly options: TimeProportioningOptions,
  ) {
    this.out = new SwitchedOutput(io, pin);
  }

  get pin(): number {
    return this.out.pin;
  }

  get isOn(): boolean {
    return this.out.isOn;
  }

  get currentDuty(): number {
    return this.duty;
  }

  /** Takes effect at the next window; starts the windows on the first call with a duty above zero. */
  setDuty(duty: number): void {
    this.duty = Number.isFinite(duty) ? Math.max(0, Math.min(1, duty)) : 0;
    if (this.stopped && this.duty > 0) {
      this.stopped = false;
      this.cycle();
      this.windowTimer = this.clock.setInterval(() => this.cycle(), this.options.windowMs);
    }
  }

  /** Off now, not at the end of the window: the safe state. */
  stop(): void {
    this.duty = 0;
    this.stopped = true;
    this.clock.clearTimer(this.windowTimer);
    this.clock.clearTimer(this.offTimer);
    this.windowTimer = undefined;
    this.offTimer = undefined;
    this.out.set(false);
  }

  private cycle(): void {
    const { windowMs, minPulseMs = 0 } = this.options;
    let onMs = this.duty * windowMs;
    if (onMs < minPulseMs) onMs = 0;
    else if (windowMs - onMs < minPulseMs) onMs = windowMs;
    this.clock.clearTimer(this.offTimer);
    this.offTimer = undefined;
    if (onMs <= 0) {
      this.out.set(false);
      return;
    }
    this.out.set(true);
    if (onMs < windowMs) this.offTimer = this.clock.setTimeout(() => this.out.set(false), onMs);
  }
}
