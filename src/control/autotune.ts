/**
 * Relay autotune (Astrom and Hagglund, 1984): switch the output between two levels around the setpoint,
 * let the loop settle into a limit cycle, and read the ultimate gain and period from its amplitude and
 * period. From those, the classic tuning rules propose gains; the operator decides which to use.
 */
import { z } from 'zod';
import type { PidGains } from './pid';

export const relayAutotuneConfigSchema = z
  .object({
    setpoint: z.number().finite(),
    outputHigh: z.number().finite(),
    outputLow: z.number().finite(),
    /** Switching hysteresis in measurement units; a little above the noise keeps the relay from chattering. */
    hysteresis: z.number().finite().min(0).default(0),
    /** Full oscillation periods averaged, after the first (transient) one is discarded. */
    cycles: z.number().int().min(2).max(20).default(4),
    maxDurationS: z
      .number()
      .finite()
      .positive()
      .default(6 * 3600),
  })
  .refine((c) => c.outputHigh > c.outputLow, { message: 'must be above outputLow', path: ['outputHigh'] });
export type RelayAutotuneConfig = z.infer<typeof relayAutotuneConfigSchema>;

export type ProposedGains = {
  /** Ziegler-Nichols classic PID: fast, about 25 % overshoot. */
  zieglerNichols: PidGains;
  /** Tyreus-Luyben PI: gentler, suits lag-dominant thermal loops. */
  tyreusLuybenPi: PidGains;
  /** Tyreus-Luyben PID: the recommended starting point for the oven. */
  tyreusLuybenPid: PidGains;
};

export type AutotuneResult = {
  ultimateGain: number;
  ultimatePeriodS: number;
  /** Half the peak-to-peak oscillation of the measurement. */
  amplitude: number;
  cyclesUsed: number;
  gains: ProposedGains;
};

export type AutotuneStatus = 'running' | 'done' | 'failed';

type Cycle = { startS: number; max: number; min: number };

export class RelayAutotune {
  readonly config: RelayAutotuneConfig;
  private high = true;
  private startS: number | undefined;
  private cycle: Cycle | undefined;
  private readonly periods: number[] = [];
  private readonly amplitudes: number[] = [];
  private currentStatus: AutotuneStatus = 'running';
  private outcome: AutotuneResult | undefined;
  private reason: string | undefined;

  constructor(config: z.input<typeof relayAutotuneConfigSchema>) {
    this.config = relayAutotuneConfigSchema.parse(config);
  }

  get status(): AutotuneStatus {
    return this.currentStatus;
  }

  get result(): AutotuneResult | undefined {
    return this.outcome;
  }

  get failureReason(): string | undefined {
    return this.reason;
  }

  /** One sample; returns the output to apply until the next one (outputLow once finished or failed). */
  step(measurement: number, timeS: number): number {
    const { setpoint, hysteresis, outputHigh, outputLow, maxDurationS } = this.config;
    if (this.currentStatus !== 'running') return outputLow;
    if (!Number.isFinite(measurement)) return this.fail('measurement lost during autotune');
    this.startS ??= timeS;
    if (timeS - this.startS > maxDurationS) return this.fail('no steady oscillation within maxDurationS');

    if (this.cycle) {
      this.cycle.max = Math.max(this.cycle.max, measurement);
      this.cycle.min = Math.min(this.cycle.min, measurement);
    }
    if (this.high && measurement > setpoint + hysteresis) this.high = false;
    else if (!this.high && measurement < setpoint - hysteresis) {
      this.high = true;
      this.closeCycle(timeS, measurement);
    }
    if (this.periods.length > this.config.cycles) this.finish();
    if (this.currentStatus !== 'running') return outputLow;
    return this.high ? outputHigh : outputLow;
  }

  /** A cycle runs from one switch to high to the next. */
  private closeCycle(timeS: number, measurement: number): void {
    if (this.cycle) {
      this.periods.push(timeS - this.cycle.startS);
      this.amplitudes.push((this.cycle.max - this.cycle.min) / 2);
    }
    this.cycle = { startS: timeS, max: measurement, min: measurement };
  }

  private finish(): void {
    const { cycles, hysteresis, outputHigh, outputLow } = this.config;
    // The first cycle starts from wherever the loop was: leave it out.
    const periods = this.periods.slice(1, cycles + 1);
    const amplitudes = this.amplitudes.slice(1, cycles + 1);
    const tuS = mean(periods);
    const a = mean(amplitudes);
    if (!(a > hysteresis)) {
      this.fail('oscillation no larger than the hysteresis');
      return;
    }
    const d = (outputHigh - outputLow) / 2;
    // Describing function of a relay with hysteresis.
    const ku = (4 * d) / (Math.PI * Math.sqrt(a * a - hysteresis * hysteresis));
    this.outcome = {
      ultimateGain: ku,
      ultimatePeriodS: tuS,
      amplitude: a,
      cyclesUsed: periods.length,
      gains: proposeGains(ku, tuS),
    };
    this.currentStatus = 'done';
  }

  private fail(reason: string): number {
    this.currentStatus = 'failed';
    this.reason = reason;
    return this.config.outputLow;
  }
}

/** Tuning rules in parallel form (ki = kp / Ti, kd = kp * Td). */
export function proposeGains(ultimateGain: number, ultimatePeriodS: number): ProposedGains {
  const ku = ultimateGain;
  const tu = ultimatePeriodS;
  const rule = (kp: number, tiS: number, tdS: number): PidGains => ({ kp, ki: kp / tiS, kd: kp * tdS });
  return {
    zieglerNichols: rule(0.6 * ku, tu / 2, tu / 8),
    tyreusLuybenPi: rule(ku / 3.2, 2.2 * tu, 0),
    tyreusLuybenPid: rule(ku / 2.2, 2.2 * tu, tu / 6.3),
  };
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
