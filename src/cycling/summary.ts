/**
 * Per-cycle figures from cleaned cycler samples: charge and discharge capacity, coulombic efficiency,
 * time-weighted mean voltages, how the charge voltage ended (its last rise, any dip), and how the
 * voltage relaxed in the rests. A step is a run of samples whose current has one sign; a sample whose
 * |current| is under 1 % of the cycle's largest counts as rest.
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
  readonly chargeDurationS: number;
  readonly chargeMaxV: number | null;
  readonly chargeEndV: number | null;
  /** Voltage gained over the last 10 % of the charge time: large as a healthy charge nears cut-off. */
  readonly chargeFinalRiseV: number | null;
  /** Largest fall of the voltage below its running maximum while charging. */
  readonly chargeDipV: number;
  readonly restAfterCharge: RestSummary | null;
  readonly restAfterDischarge: RestSummary | null;
};

const REST_FRACTION = 0.01;
const FINAL_FRACTION = 0.1;

type Step = { kind: 'charge' | 'discharge' | 'rest'; samples: CyclingSample[] };

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
  const restAfter = (kind: Step['kind']) => {
    const i = steps.findIndex((s) => s.kind === kind);
    const next = i >= 0 ? steps[i + 1] : undefined;
    return next?.kind === 'rest' ? restSummary(next.samples) : null;
  };
  const chargeDurationS = sum(charge.map((s) => duration(s.samples)));
  return {
    cycle,
    startS: list[0]!.timeS,
    endS: list[list.length - 1]!.timeS,
    chargeAh,
    dischargeAh,
    coulombicEfficiency: chargeAh > 0 ? dischargeAh / chargeAh : null,
    meanChargeV: meanVoltage(charge),
    meanDischargeV: meanVoltage(discharge),
    chargeDurationS,
    chargeMaxV: chargeSamples.length ? Math.max(...chargeSamples.map((s) => s.voltageV)) : null,
    chargeEndV: chargeSamples.length ? chargeSamples[chargeSamples.length - 1]!.voltageV : null,
    chargeFinalRiseV: finalRise(charge[charge.length - 1]?.samples),
    chargeDipV: largestDip(chargeSamples),
    restAfterCharge: restAfter('charge'),
    restAfterDischarge: restAfter('discharge'),
  };
}

function splitSteps(list: CyclingSample[]): Step[] {
  const peak = Math.max(...list.map((s) => Math.abs(s.currentA)));
  const kindOf = (s: CyclingSample): Step['kind'] =>
    Math.abs(s.currentA) <= REST_FRACTION * peak ? 'rest' : s.currentA > 0 ? 'charge' : 'discharge';
  const steps: Step[] = [];
  for (const s of list) {
    const kind = kindOf(s);
    const last = steps[steps.length - 1];
    if (last?.kind === kind) last.samples.push(s);
    else steps.push({ kind, samples: [s] });
  }
  return steps;
}

/** Trapezoidal charge over a step's samples, in Ah (signed like the current). */
function integrateAh(samples: CyclingSample[]): number {
  let q = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    q += ((a.currentA + b.currentA) / 2) * (b.timeS - a.timeS);
  }
  return q / 3600;
}

function meanVoltage(steps: Step[]): number | null {
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

function finalRise(samples: CyclingSample[] | undefined): number | null {
  if (!samples || samples.length < 3) return null;
  const end = samples[samples.length - 1]!;
  const from = end.timeS - FINAL_FRACTION * duration(samples);
  const start = samples.find((s) => s.timeS >= from) ?? samples[0]!;
  return end.voltageV - start.voltageV;
}

function largestDip(samples: CyclingSample[]): number {
  let max = Number.NEGATIVE_INFINITY;
  let dip = 0;
  for (const s of samples) {
    max = Math.max(max, s.voltageV);
    dip = Math.max(dip, max - s.voltageV);
  }
  return dip;
}

function restSummary(samples: CyclingSample[]): RestSummary | null {
  if (samples.length < 4) return null;
  const t0 = samples[0]!.timeS;
  const half = t0 + duration(samples) / 2;
  const late = samples.filter((s) => s.timeS >= half);
  return {
    durationS: duration(samples),
    startV: samples[0]!.voltageV,
    endV: samples[samples.length - 1]!.voltageV,
    lateSlopeVPerH: slope(
      late.map((s) => s.timeS / 3600),
      late.map((s) => s.voltageV),
    ),
  };
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

function duration(samples: CyclingSample[]): number {
  return samples.length ? samples[samples.length - 1]!.timeS - samples[0]!.timeS : 0;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
