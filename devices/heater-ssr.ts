/**
 * The oven heater: a zero-cross solid-state relay driven by time proportioning, in series with a
 * mechanical safety contactor. The SSR modulates; the contactor is closed only while the programmer is
 * healthy, so an SSR that fails short (welded, the common way SSRs die) still cannot heat a faulted oven.
 */
import type { Clock } from '../src/clock';
import { type DigitalIo, SwitchedOutput, TimeProportionedOutput } from './digital-out';

export type HeaterSsrOptions = {
  ssrPin: number;
  contactorPin: number;
  /** Time-proportioning window, ms (a zero-cross SSR on 50 Hz mains wants whole half-cycles: >= 1 s). */
  windowMs?: number;
  minPulseMs?: number;
};

export class HeaterSsr {
  private readonly ssr: TimeProportionedOutput;
  private readonly contactor: SwitchedOutput;

  constructor(io: DigitalIo, clock: Clock, options: HeaterSsrOptions) {
    this.contactor = new SwitchedOutput(io, options.contactorPin);
    this.ssr = new TimeProportionedOutput(io, options.ssrPin, clock, {
      windowMs: options.windowMs ?? 2000,
      minPulseMs: options.minPulseMs ?? 20,
    });
  }

  /** Duty 0..1 through the SSR; `enabled` closes the contactor. Disabled means both off at once. */
  set(duty: number, enabled: boolean): void {
    if (!enabled) {
      this.off();
      return;
    }
    this.contactor.set(true);
    this.ssr.setDuty(duty);
  }

  /** Safe state: SSR off and contactor open, immediately. */
  off(): void {
    this.ssr.stop();
    this.contactor.set(false);
  }

  get state(): { duty: number; ssrOn: boolean; contactorClosed: boolean } {
    return { duty: this.ssr.currentDuty, ssrOn: this.ssr.isOn, contactorClosed: this.contactor.isOn };
  }
}
