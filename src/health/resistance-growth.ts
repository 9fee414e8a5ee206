/**
 * Resistance-growth detector: does the cathode interface resistance R_CAT level off after formation
 * (as the TFAA-coated cell's does after about 5 cycles) or keep growing (pristine, LNO)?
 *
 * Criterion:
 *  - R_CAT per cycle (from the fits) is first normalised to 25 C and 150 MPa where the cycle's
 *    temperature and pressure are known: Arrhenius with 0.34 eV, and R ~ P^-1/2 (contact area).
 *  - Baseline: the median of the first 3 cycles after the formation cycles (default 5).
 *  - Decision at each cycle once a full window (15 cycles after formation) exists: the least-squares
 *    slope of R_CAT over the last 15 cycles, divided by the baseline. "growing" when it exceeds
 *    0.5 % of the baseline per cycle, "stabilised" otherwise.
 *  - Alarm when "growing" holds for 3 decisions in a row, or when R_CAT passes 2x its baseline.
 */
import { fitLine, median, round } from './stats';

export type RcatPoint = {
  readonly cycle: number;
  readonly rCatOhm: number;
  readonly temperatureC?: number;
  readonly pressureMPa?: number;
};

export type ResistanceVerdict = 'formation' | 'insufficient-data' | 'stabilised' | 'growing';

export type ResistanceGrowthResult = {
  readonly verdict: ResistanceVerdict;
  readonly alarm: boolean;
  /** First cycle at which the alarm condition held. */
  readonly alarmCycle: number | null;
  readonly evidence: {
    readonly baselineOhm: number | null;
    readonly baselineCycles: readonly number[];
    readonly window: readonly number[];
    readonly windowOhm: readonly number[];
    /** Slope over the window as a fraction of the baseline per cycle. */
    readonly relativeSlopePerCycle: number | null;
    readonly growthThresholdPerCycle: number;
    readonly latestOhm: number | null;
    readonly ratioToBaseline: number | null;
    readonly multipleThreshold: number;
    readonly reason: string;
  };
  readonly warnings: readonly string[];
};

export const RESISTANCE_CRITERIA = {
  formationCycles: 5,
  baselineCycles: 3,
  window: 15,
  growthPerCycle: 0.005,
  confirmations: 3,
  multiple: 2,
  activationEv: 0.34,
  pressureExponent: 0.5,
} as const;

const BOLTZMANN_EV = 8.617e-5;

/** R_CAT at 25 C and 150 MPa. */
export function normaliseRcat(p: RcatPoint, c = RESISTANCE_CRITERIA): number {
  let r = p.rCatOhm;
  if (p.temperatureC !== undefined && Number.isFinite(p.temperatureC)) {
    r *= Math.exp((c.activationEv / BOLTZMANN_EV) * (1 / 298.15 - 1 / (p.temperatureC + 273.15)));
  }
  if (p.pressureMPa !== undefined && p.pressureMPa > 0) r *= (p.pressureMPa / 150) ** c.pressureExponent;
  return r;
}

export function detectResistanceGrowth(
  points: readonly RcatPoint[],
  c = RESISTANCE_CRITERIA,
): ResistanceGrowthResult {
  const warnings: string[] = [];
  const seen = new Set<number>();
  const series: { cycle: number; r: number }[] = [];
  for (const p of [...points].sort((a, b) => a.cycle - b.cycle)) {
    const r = normaliseRcat(p, c);
    if (!Number.isFinite(r) || r <= 0) {
      warnings.push(`cycle ${p.cycle}: R_CAT ${p.rCatOhm} is not a positive number; left out`);
    } else if (seen.has(p.cycle)) {
      warnings.push(`cycle ${p.cycle}: a second R_CAT value; the first is kept`);
    } else {
      seen.add(p.cycle);
      series.push({ cycle: p.cycle, r });
    }
  }
  const after = series.filter((s) => s.cycle > c.formationCycles);
  const base = after.slice(0, c.baselineCycles);
  const baselineOhm = base.length === c.baselineCycles ? median(base.map((b) => b.r)) : null;
  const latest = series[series.length - 1];
  const evidence = (window: typeof series, rel: number | null, reason: string) => ({
    baselineOhm: baselineOhm === null ? null : round(baselineOhm),
    baselineCycles: base.map((b) => b.cycle),
    window: window.map((w) => w.cycle),
    windowOhm: window.map((w) => round(w.r)),
    relativeSlopePerCycle: rel === null ? null : round(rel),
    growthThresholdPerCycle: c.growthPerCycle,
    latestOhm: latest ? round(latest.r) : null,
    ratioToBaseline: latest && baselineOhm ? round(latest.r / baselineOhm) : null,
    multipleThreshold: c.multiple,
    reason,
  });
  if (baselineOhm === null || after.length < c.window) {
    const formation = !latest || latest.cycle <= c.formationCycles;
    return {
      verdict: formation ? 'formation' : 'insufficient-data',
      alarm: false,
      alarmCycle: null,
      evidence: evidence(
        after,
        null,
        `needs ${c.window} cycles after the ${c.formationCycles} formation cycles`,
      ),
      warnings,
    };
  }
  let streak = 0;
  let alarmCycle: number | null = null;
  let rel = 0;
  let window = after.slice(0, c.window);
  let alarmNow = false;
  for (let end = c.window; end <= after.length; end++) {
    window = after.slice(end - c.window, end);
    rel =
      fitLine(
        window.map((w) => w.cycle),
        window.map((w) => w.r),
      ).slope / baselineOhm;
    streak = rel > c.growthPerCycle ? streak + 1 : 0;
    const tooHigh = window[window.length - 1]!.r > c.multiple * baselineOhm;
    alarmNow = streak >= c.confirmations || tooHigh;
    if (alarmCycle === null && alarmNow) alarmCycle = window[window.length - 1]!.cycle;
  }
  const growing = rel > c.growthPerCycle;
  const ratio = latest!.r / baselineOhm;
  const reason = growing
    ? `R_CAT grows ${round(rel * 100, 3)} % of baseline per cycle over cycles ${window[0]!.cycle}-${latest!.cycle} (threshold ${c.growthPerCycle * 100} %)`
    : `R_CAT changes ${round(rel * 100, 3)} % of baseline per cycle over cycles ${window[0]!.cycle}-${latest!.cycle}, under ${c.growthPerCycle * 100} %`;
  return {
    verdict: growing ? 'growing' : 'stabilised',
    alarm: alarmNow,
    alarmCycle,
    evidence: evidence(
      window,
      rel,
      ratio > c.multiple ? `${reason}; R_CAT is ${round(ratio, 3)}x baseline` : reason,
    ),
    warnings,
  };
}
