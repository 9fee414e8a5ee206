/**
 * A PID controller stepped with explicit time. Derivative acts on the measurement (no kick when the
 * setpoint steps), the integral stops growing while the output is saturated in the error's direction
 * (anti-windup), and in manual mode the integral tracks the manual output so that switching back to
 * auto continues from where the operator left it (bumpless transfer).
 */
import { z } from 'zod';

export const pidGainsSchema = z.object({
  /** Output per unit of error. */
  kp: z.number().finite(),
  /** Output per unit of error and second. */
  ki: z.number().finite().min(0).default(0),
  /** Output per unit of measurement change per second (output x seconds per unit). */
  kd: z.number().finite().min(0).default(0),
});
export type PidGains = z.infer<typeof pidGainsSchema>;

export const pidConfigSchema = pidGainsSchema
  .extend({
    outputMin: z.number().finite().default(0),
    outputMax: z.number().finite().default(1),
    /** First-order filter on the derivative, s; noise on the measurement otherwise reaches the output. */
    derivativeFilterS: z.number().finite().min(0).default(0),
    /** Fastest the working setpoint may move, units per second; absent means setpoint steps pass through. */
    setpointRampPerS: z.number().finite().positive().optional(),
  })
  .refine((c) => c.outputMin < c.outputMax, { message: 'must be above outputMin', path: ['outputMax'] });
export type PidConfig = z.infer<typeof pidConfigSchema>;
export type PidConfigInput = z.input<typeof pidConfigSchema>;

export type PidMode = 'auto' | 'manual';

export type PidUpdateOptions = {
  /** Keep the integral where it is for this step (for example while a setpoint ramp is being followed). */
  holdIntegral?: boolean;
};

export class Pid {
  readonly config: PidConfig;
  private integral = 0;
  private lastMeasurement: number | undefined;
  private derivative = 0;
  private working: number | undefined;
  private manualOutput = 0;
  private currentMode: PidMode = 'auto';
  private output = 0;

  constructor(config: PidConfigInput) {
    this.config = pidConfigSchema.parse(config);
  }

  get mode(): PidMode {
    return this.currentMode;
  }

  /** The setpoint the loop is actually chasing (the ramped one when a ramp rate is configured). */
  get workingSetpoint(): number | undefined {
    return this.working;
  }

  get lastOutput(): number {
    return this.output;
  }

  get integralTerm(): number {
    return this.integral;
  }

  /** One control step: `dtS` is the time since the previous step (0 on the first). */
  update(setpoint: number, measurement: number, dtS: number, options: PidUpdateOptions = {}): number {
    const { kp, ki, kd, outputMin, outputMax, derivativeFilterS } = this.config;
    const dt = dtS > 0 && Number.isFinite(dtS) ? dtS : 0;
    const sp = this.advanceSetpoint(setpoint, measurement, dt);
    const error = sp - measurement;

    if (this.lastMeasurement !== undefined && dt > 0) {
      const raw = (measurement - this.lastMeasurement) / dt;
      const alpha = derivativeFilterS > 0 ? dt / (derivativeFilterS + dt) : 1;
      this.derivative += alpha * (raw - this.derivative);
    }
    this.lastMeasurement = measurement;

    if (this.currentMode === 'manual') {
      this.integral = clamp(this.manualOutput - kp * error + kd * this.derivative, outputMin, outputMax);
      this.output = this.manualOutput;
      return this.output;
    }

    let integral = options.holdIntegral ? this.integral : this.integral + ki * error * dt;
    const unclamped = kp * error + integral - kd * this.derivative;
    // Conditional integration: never integrate further into a saturated output.
    if ((unclamped > outputMax && error > 0) || (unclamped < outputMin && error < 0))
      integral = this.integral;
    this.integral = clamp(integral, outputMin, outputMax);
    this.output = clamp(kp * error + this.integral - kd * this.derivative, outputMin, outputMax);
    return this.output;
  }

  /** Operator takes the output; the loop keeps tracking so the return to auto is bumpless. */
  setManual(output: number): void {
    this.currentMode = 'manual';
    this.manualOutput = clamp(output, this.config.outputMin, this.config.outputMax);
  }

  /** Back to closed loop; a configured ramp restarts from the present measurement rather than jumping. */
  setAuto(): void {
    if (this.currentMode === 'auto') return;
    this.currentMode = 'auto';
    if (this.config.setpointRampPerS !== undefined && this.lastMeasurement !== undefined) {
      this.working = this.lastMeasurement;
    }
  }

  /** Forget history (after a trip or when a new run starts); the next step starts from `initialOutput`. */
  reset(initialOutput = 0): void {
    this.integral = clamp(initialOutput, this.config.outputMin, this.config.outputMax);
    this.lastMeasurement = undefined;
    this.derivative = 0;
    this.working = undefined;
    this.output = this.integral;
  }

  private advanceSetpoint(target: number, measurement: number, dt: number): number {
    const rate = this.config.setpointRampPerS;
    if (rate === undefined) {
      this.working = target;
      return target;
    }
    const from = this.working ?? measurement;
    const maxStep = rate * dt;
    this.working = from + clamp(target - from, -maxStep, maxStep);
    return this.working;
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}
