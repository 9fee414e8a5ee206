/**
 * Per-cycle figures from cleaned cycler samples. Steps are segmented by what the current does: a run
 * of samples with positive current is charge, negative discharge, and |I| under 1 % of the cycle's
 * largest is rest. Charge is every charge step of the cycle (a pause splits it, nothing else changes);
 * the rest after charge is the rest between the last charge step and the first discharge step; the rest
 * after discharge is the rest after the last discharge step. A pause anywhere is just a pause.
 *
 * Besides capacities and coulombic efficiency, each cycle carries what the detectors need to scale
 * their thresholds to the data: the voltage scatter within constant-current steps (robust, from second
 * differences, so the steps' own curvature cancels) and each rest slope's design (how many samples over
 * how long), from which its standard error follows for a given scatter.
 */
import type { CyclingSample } from './samples';

export type RestSummary = {
  readonly durationS: number;
  readonly startV: number;
  readonly endV: number;
  /**
   * Least-squares slope of the voltage over the second half of the rest, in V per hour. Polarisation
   * has relaxed by then, so what is left is self-discharge: a leakage path shows as a steady decay.
   */
  readonly lateSlopeVPerH: number;
  /** sqrt(sum (t - mean t)^2) over those samples, in hours: slope standard error = scatter / this. */
  readonly lateSpreadH: number;
  /** Median logged temperature over the rest (null without a temperature column). */
  readonly temperatureC: number | null;
  /** Median temperature over the last quarter of the rest: where the charged-state spectrum is taken. */
  readonly endTemperatureC: number | null;
};

export type CycleSummary = {
  readonly cycle: number;
  readonly startS: number;
  readonly endS: number;
  readonly chargeAh: number;
  readonly dischargeAh: number;
  /** dischargeAh / chargeAh, or null without a charge. */
  readonly coulombicEfficiency: number | null;
  readonly meanChargeV: number | null;
  readonly meanDischargeV: number | null;
  /** Time under charge current (pauses left out). */
  readonly chargeDurationS: number;
  readonly chargeMaxV: number | null;
  readonly chargeEndV: number | null;
  /** Voltage gained over the last 10 % of the charge time (within the last charge step). */
  readonly chargeFinalRiseV: number | null;
  /** Largest fall of the voltage below its running maximum within any one charge step. */
  readonly chargeDipV: number;
  /** Number of pauses (rests inside the charge or inside the discharge). */
  readonly pauses: number;
  readonly restAfterCharge: RestSummary | null;
  readonly restAfterDischarge: RestSummary | null;
  /** Robust voltage scatter (standard deviation) within this cycle's constant-current steps, or null. */
  readonly voltageNoiseV: number | null;
  /** Median logged temperature while charging and while discharging (null without one). */
  readonly chargeTemperatureC: number | null;
  readonly dischargeTemperatureC: number | null;
};

const REST_FRACTION = 0.01;
const FINAL_FRACTION = 0.1;
/** Second differences needed before the scatter is estimated. */
const MIN_NOISE_POINTS = 8;

export type StepKind = 'charge' | 'discharge' | 'rest';
export type Step = { readonly kind: StepKind; readonly samples: CyclingSample[] };

export function summarizeCycles(samples: readonly CyclingSample[]): CycleSummary[] {
  const byCycle = new Map<number, CyclingSample[]>();
  for (const s of samples) {
    const list = byCycle.get(s.cycle);
    if (list) list.push(s);
    else byCycle.set(s.cycle, [s]);
  }
  return [...byCycle.entries()].sort((a, b) => a[0] - b[0]).map(([cycle, list]) => summarize(cycle, list));
}

function summarize(cycle: number, list: CyclingSample[]): CycleSummary {
  const steps = splitSteps(list);
  const charge = steps.filter((s) => s.kind === 'charge');
  const discharge = steps.filter((s) => s.kind === 'discharge');
  const chargeAh = sum(charge.map((s) => integrateAh(s.samples)));
  const dischargeAh = -sum(discharge.map((s) => integrateAh(s.samples)));
  const chargeSamples = charge.flatMap((s) => s.samples);
  const lastCharge = lastIndex(steps, 'charge');
  const firstDischargeAfter = steps.findIndex((s, i) => i > lastCharge && s.kind === 'discharge');
  const lastDischarge = lastIndex(steps, 'discharge');
  const restBetween = (from: number, to: number) => {
    const rest = steps.slice(from + 1, to < 0 ? steps.length : to).filter((s) => s.kind === 'rest');
    return rest.length && from >= 0 ? restSummary(rest.flatMap((s) => s.samples)) : null;
  };
  const restAfterCharge = lastCharge >= 0 ? restBetween(lastCharge, firstDischargeAfter) : null;
  const restAfterDischarge =
    lastDischarge >= 0 && lastDischarge > lastCharge ? restBetween(lastDischarge, -1) : null;
  // Pauses: rests with charge on both sides, or discharge on both sides.
  let pauses = 0;
  for (let i = 1; i < steps.length - 1; i++) {
    if (steps[i]!.kind === 'rest' && steps[i - 1]!.kind === steps[i + 1]!.kind) pauses++;
  }
  return {
    cycle,
    startS: list[0]!.timeS,
    endS: list[list.length - 1]!.timeS,
    chargeAh,
    dischargeAh,
    coulombicEfficiency: chargeAh > 0 ? dischargeAh / chargeAh : null,
    meanChargeV: meanVoltage(charge),
    meanDischargeV: meanVoltage(discharge),
    chargeDurationS: sum(charge.map((s) => duration(s.samples))),
    chargeMaxV: chargeSamples.length ? Math.max(...chargeSamples.map((s) => s.voltageV)) : null,
    chargeEndV: chargeSamples.length ? chargeSamples[chargeSamples.length - 1]!.voltageV : null,
    chargeFinalRiseV: finalRise(charge),
    chargeDipV: Math.max(0, ...charge.map((s) => largestDip(s.samples))),
    pauses,
    restAfterCharge,
    restAfterDischarge,
    voltageNoiseV: constantCurrentScatter([...charge, ...discharge]),
    chargeTemperatureC: medianTemperature(chargeSamples),
    dischargeTemperatureC: medianTemperature(discharge.flatMap((s) => s.samples)),
  };
}

/** Runs of samples with one kind of current: charge (> 0), discharge (< 0), rest (under 1 % of peak). */
export function splitSteps(list: readonly CyclingSample[]): Step[] {
  let peak = 0;
  for (const s of list) peak = Math.max(peak, Math.abs(s.currentA));
  const kindOf = (s: CyclingSample): StepKind =>
    Math.abs(s.currentA) <= REST_FRACTION * peak ? 'rest' : s.currentA > 0 ? 'charge' : 'discharge';
  const steps: { kind: StepKind; samples: CyclingSample[] }[] = [];
  for (const s of list) {
    const kind = kindOf(s);
    const last = steps[steps.length - 1];
    if (last?.kind === kind) last.samples.push(s);
    else steps.push({ kind, samples: [s] });
  }
  return steps;
}

function lastIndex(steps: readonly Step[], kind: StepKind): number {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i]!.kind === kind) return i;
  return -1;
}

/** Trapezoidal charge over a step's samples, in Ah (signed like the current). */
function integrateAh(samples: readonly CyclingSample[]): number {
  let q = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    q += ((a.currentA + b.currentA) / 2) * (b.timeS - a.timeS);
  }
  return q / 3600;
}

function meanVoltage(steps: readonly Step[]): number | null {
  let vt = 0;
  let t = 0;
  for (const { samples } of steps) {
    for (let i = 1; i < samples.length; i++) {
      const dt = samples[i]!.timeS - samples[i - 1]!.timeS;
      vt += ((samples[i]!.voltageV + samples[i - 1]!.voltageV) / 2) * dt;
      t += dt;
    }
  }
  return t > 0 ? vt / t : null;
}

/** Rise over the last 10 % of the charge time, measured inside the last charge step. */
function finalRise(charge: readonly Step[]): number | null {
  const last = charge[charge.length - 1]?.samples;
  if (!last || last.length < 3) return null;
  const total = sum(charge.map((s) => duration(s.samples)));
  const end = last[last.length - 1]!;
  const from = end.timeS - Math.min(FINAL_FRACTION * total, duration(last));
  const start = last.find((s) => s.timeS >= from) ?? last[0]!;
  return end.voltageV - start.voltageV;
}

function largestDip(samples: readonly CyclingSample[]): number {
  let max = Number.NEGATIVE_INFINITY;
  let dip = 0;
  for (const s of samples) {
    max = Math.max(max, s.voltageV);
    dip = Math.max(dip, max - s.voltageV);
  }
  return dip;
}

/**
 * Standard deviation of white voltage noise from second differences v[i-1] - 2 v[i] + v[i+1] of
 * evenly spaced samples inside constant-current steps: their variance is 6 sigma^2, and the median
 * absolute value ignores where the curve bends sharply (near a cut-off). Null with too few.
 */
export function constantCurrentScatter(steps: readonly Step[]): number | null {
  const d2: number[] = [];
  for (const { samples } of steps) {
    for (let i = 1; i < samples.length - 1; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      const c = samples[i + 1]!;
      const h1 = b.timeS - a.timeS;
      const h2 = c.timeS - b.timeS;
      if (!(h1 > 0) || Math.abs(h2 - h1) > 0.01 * h1) continue;
      d2.push(Math.abs(a.voltageV - 2 * b.voltageV + c.voltageV));
    }
  }
  if (d2.length < MIN_NOISE_POINTS) return null;
  d2.sort((x, y) => x - y);
  const med = d2.length % 2 ? d2[d2.length >> 1]! : (d2[(d2.length >> 1) - 1]! + d2[d2.length >> 1]!) / 2;
  return (1.4826 * med) / Math.sqrt(6);
}

function restSummary(samples: readonly CyclingSample[]): RestSummary | null {
  if (samples.length < 4) return null;
  const t0 = samples[0]!.timeS;
  const half = t0 + duration(samples) / 2;
  const late = samples.filter((s) => s.timeS >= half);
  const x = late.map((s) => s.timeS / 3600);
  const mx = sum(x) / x.length;
  const quarter = t0 + (3 * duration(samples)) / 4;
  return {
    durationS: duration(samples),
    startV: samples[0]!.voltageV,
    endV: samples[samples.length - 1]!.voltageV,
    lateSlopeVPerH: slope(
      x,
      late.map((s) => s.voltageV),
    ),
    lateSpreadH: Math.sqrt(sum(x.map((v) => (v - mx) ** 2))),
    temperatureC: medianTemperature(samples),
    endTemperatureC: medianTemperature(samples.filter((s) => s.timeS >= quarter)),
  };
}

function medianTemperature(samples: readonly CyclingSample[]): number | null {
  const t = samples
    .map((s) => s.temperatureC)
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (t.length === 0) return null;
  t.sort((a, b) => a - b);
  return t.length % 2 ? t[t.length >> 1]! : (t[(t.length >> 1) - 1]! + t[t.length >> 1]!) / 2;
}

/** Least-squares slope of y against x; 0 for fewer than two distinct x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = sum(x) / n;
  const my = sum(y) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

function duration(samples: readonly CyclingSample[]): number {
  return samples.length ? samples[samples.length - 1]!.timeS - samples[0]!.timeS : 0;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
