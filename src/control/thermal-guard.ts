/**
 * The oven's safety checks, kept apart from the PID so that a badly tuned or wound-up loop cannot argue
 * with them: hard over-temperature cutoff, lost or faulted thermocouple, a reading that no longer moves,
 * thermal runaway (temperature rising while the heater is off, as with a welded SSR) and heater failure
 * (high output for a long time without the temperature rising).
 */
import { z } from 'zod';

export const thermalGuardConfigSchema = z.object({
  /** Above this the heater is cut whatever the program says. */
  overTempCutoffC: z.number().finite().min(0).max(1000).default(220),
  /** Duty at or below which the heater counts as off for runaway detection. */
  heaterOffDuty: z.number().min(0).max(1).default(0.02),
  /** Rise above the lowest temperature seen since the heater went off that means something else heats. */
  runawayRiseC: z.number().positive().default(5),
  /** Duty at or above which the temperature must be seen to rise. */
  heaterFailureDuty: z.number().min(0).max(1).default(0.9),
  heaterFailureWindowS: z.number().positive().default(180),
  heaterFailureMinRiseC: z.number().positive().default(2),
  /** A live thermocouple always jitters in its last bits; an unchanged reading this long means it is stuck. */
  stuckWindowS: z.number().positive().default(120),
});
export type ThermalGuardConfig = z.infer<typeof thermalGuardConfigSchema>;

/** Fault bits a thermocouple amplifier reports (MCP9600 / MAX31855). */
export const thermocoupleFaultSchema = z.enum(['open', 'short']);
export type ThermocoupleFault = z.infer<typeof thermocoupleFaultSchema>;

export type ThermalFault =
  | 'sensor-lost'
  | 'thermocouple-open'
  | 'thermocouple-short'
  | 'sensor-stuck'
  | 'over-temperature'
  | 'thermal-runaway'
  | 'heater-failure'
  /** The oven's control loop missed its period (reported by the loop's own monitor, not by this guard). */
  | 'loop-overrun';

export const THERMAL_FAULT_TEXT: Record<ThermalFault, string> = {
  'sensor-lost': 'thermocouple reading lost',
  'thermocouple-open': 'thermocouple open circuit',
  'thermocouple-short': 'thermocouple shorted',
  'sensor-stuck': 'thermocouple reading stuck',
  'over-temperature': 'over-temperature cutoff',
  'thermal-runaway': 'temperature rising with the heater off',
  'heater-failure': 'heater on without the temperature rising',
  'loop-overrun': 'control loop missed its period',
};

export type ThermalSample = {
  timeS: number;
  tempC: number | null;
  sensorFault?: ThermocoupleFault | null;
  /** Duty applied over the period that ends now (what the temperature has had a chance to respond to). */
  appliedDuty: number;
};

export class ThermalGuard {
  readonly config: ThermalGuardConfig;
  private offMinC: number | undefined;
  private highSince: { timeS: number; tempC: number } | undefined;
  private unchangedSince: { timeS: number; tempC: number } | undefined;

  constructor(config: z.input<typeof thermalGuardConfigSchema> = {}) {
    this.config = thermalGuardConfigSchema.parse(config);
  }

  /** The first fault found in this sample, most direct evidence first. */
  check(s: ThermalSample): ThermalFault | undefined {
    if (s.sensorFault === 'open') return 'thermocouple-open';
    if (s.sensorFault === 'short') return 'thermocouple-short';
    if (s.tempC === null || !Number.isFinite(s.tempC)) return 'sensor-lost';
    const c = this.config;
    const tempC = s.tempC;
    if (tempC > c.overTempCutoffC) return 'over-temperature';

    if (this.unchangedSince && this.unchangedSince.tempC === tempC) {
      if (s.timeS - this.unchangedSince.timeS >= c.stuckWindowS) return 'sensor-stuck';
    } else this.unchangedSince = { timeS: s.timeS, tempC };

    if (s.appliedDuty <= c.heaterOffDuty) {
      this.offMinC = Math.min(this.offMinC ?? tempC, tempC);
      if (tempC - this.offMinC >= c.runawayRiseC) return 'thermal-runaway';
    } else this.offMinC = undefined;

    if (s.appliedDuty >= c.heaterFailureDuty) {
      this.highSince ??= { timeS: s.timeS, tempC };
      if (s.timeS - this.highSince.timeS >= c.heaterFailureWindowS) {
        if (tempC - this.highSince.tempC < c.heaterFailureMinRiseC) return 'heater-failure';
        // Rose as it should: judge the next window from here.
        this.highSince = { timeS: s.timeS, tempC };
      }
    } else this.highSince = undefined;
    return undefined;
  }

  reset(): void {
    this.offMinC = undefined;
    this.highSince = undefined;
    this.unchangedSince = undefined;
  }
}
