/**
 * Resistance-growth detector: does the cathode interface resistance stabilise (as a TFAA-coated cell's
 * does after about 5 cycles) or keep growing (pristine, LNO)?
 *
 * Criterion, re-evaluated at every determined cycle from the data up to it (so the verdict at cycle n
 * is what a live monitor said at cycle n):
 *  - Only determined R_CAT values count (rcat.ts); each is normalised to 25 C with the cell's own
 *    activation energy (temperature.ts, from cell.json or estimated from the data so far) and to 150 MPa.
 *  - Formation: the first 5 cycles are left out (the interphase forms there).
 *  - Trend: the Theil-Sen slope of ln R_CAT over the last 20 determined cycles after formation (at
 *    least 12), with Sen's 95 % interval: its relative growth per cycle and that growth's uncertainty.
 *    "growing" when the interval's lower end is above 0.25 % per cycle, "stabilised" when its upper end
 *    is below it, "uncertain" otherwise. A single odd cycle moves neither the median slope nor the
 *    interval much, so it cannot make the verdict.
 *  - Alarm when "growing" holds at 3 evaluations in a row (a formation tail fades, growth persists), or when the median of the last 3 determined
 *    values passes 2x the baseline (median of the first 5 after formation).
 */

import { median, round, theilSen } from './stats';
import { type ActivationEnergy, estimateActivation, normaliseRcat } from './temperature';

export type RcatPoint = {
  readonly cycle: number;
  readonly rCatOhm: number;
  readonly stderrOhm: number | null;
  /** The cell's temperature when the spectrum was taken, or null. */
  readonly temperatureC: number | null;
};

export type ResistanceVerdict = 'formation' | 'insufficient-data' | 'stabilised' | 'uncertain' | 'growing';

export const RESISTANCE_CRITERIA = {
  formationCycles: 5,
  baselineCycles: 5,
  window: 20,
  minWindow: 12,
  growthPerCycle: 0.0025,
  confirmations: 3,
  multiple: 2,
  levelCycles: 3,
} as const;

export type ResistanceGrowthResult = {
  readonly verdict: ResistanceVerdict;
  readonly alarm: boolean;
  /** First cycle at which the alarm condition held. */
  readonly alarmCycle: number | null;
  readonly activation: ActivationEnergy;
  readonly evidence: {
    readonly baselineOhm: number | null;
    readonly baselineCycles: readonly number[];
    readonly window: readonly number[];
    /** R_CAT over the window, normalised (25 C, 150 MPa when known). */
    readonly windowOhm: readonly number[];
    /** Theil-Sen growth of R_CAT per cycle (relative), its 95 % interval and standard error. */
    readonly growthPerCycle: number | null;
    readonly growthLower: number | null;
    readonly growthUpper: number | null;
    readonly growthStderr: number | null;
    readonly growthThresholdPerCycle: number;
    readonly latestOhm: number | null;
    readonly ratioToBaseline: number | null;
    readonly multipleThreshold: number;
    readonly activationEv: number | null;
    readonly activationSource: ActivationEnergy['source'];
    readonly reason: string;
  };
  readonly warnings: readonly string[];
};

type Decision = {
  cycle: number;
  verdict: ResistanceVerdict;
  alarmNow: boolean;
  activation: ActivationEnergy;
  evidence: ResistanceGrowthResult['evidence'];
};

export function detectResistanceGrowth(
  points: readonly RcatPoint[],
  options: { activationEv?: number; pressureMPa?: number } = {},
  c = RESISTANCE_CRITERIA,
): ResistanceGrowthResult {
  const warnings: string[] = [];
  const seen = new Set<number>();
  const series: RcatPoint[] = [];
  for (const p of [...points].sort((a, b) => a.cycle - b.cycle)) {
    if (!Number.isFinite(p.rCatOhm) || p.rCatOhm <= 0) {
      warnings.push(`cycle ${p.cycle}: R_CAT ${p.rCatOhm} is not a positive number; left out`);
    } else if (seen.has(p.cycle)) {
      warnings.push(`cycle ${p.cycle}: a second R_CAT value; the first is kept`);
    } else {
      seen.add(p.cycle);
      series.push(p);
    }
  }
  let streak = 0;
  let alarmCycle: number | null = null;
  let last: Decision | null = null;
  const after = series.filter((p) => p.cycle > c.formationCycles);
  for (let i = 0; i < after.length; i++) {
    const d = decide(series, after.slice(0, i + 1), options, c);
    streak = d.verdict === 'growing' ? streak + 1 : 0;
    const alarmNow = streak >= c.confirmations || d.alarmNow;
    if (alarmNow && alarmCycle === null) alarmCycle = d.cycle;
    last = { ...d, alarmNow };
  }
  if (!last) {
    const latest = series[series.length - 1];
    const activation = estimateActivation(
      series.map((p) => ({ cycle: p.cycle, rCatOhm: p.rCatOhm, temperatureC: p.temperatureC })),
      options.activationEv,
    );
    return {
      verdict: !latest || latest.cycle <= c.formationCycles ? 'formation' : 'insufficient-data',
      alarm: false,
      alarmCycle: null,
      activation,
      evidence: emptyEvidence(
        activation,
        `needs ${c.minWindow} determined cycles after the ${c.formationCycles} formation cycles`,
        c,
      ),
      warnings,
    };
  }
  return {
    verdict: last.verdict,
    alarm: last.alarmNow,
    alarmCycle,
    activation: last.activation,
    evidence: last.evidence,
    warnings,
  };
}

function emptyEvidence(activation: ActivationEnergy, reason: string, c: typeof RESISTANCE_CRITERIA) {
  return {
    baselineOhm: null,
    baselineCycles: [],
    window: [],
    windowOhm: [],
    growthPerCycle: null,
    growthLower: null,
    growthUpper: null,
    growthStderr: null,
    growthThresholdPerCycle: c.growthPerCycle,
    latestOhm: null,
    ratioToBaseline: null,
    multipleThreshold: c.multiple,
    activationEv: activation.ev,
    activationSource: activation.source,
    reason,
  };
}

/** The verdict at the last point of `after`, from the data up to it. */
function decide(
  all: readonly RcatPoint[],
  after: readonly RcatPoint[],
  options: { activationEv?: number; pressureMPa?: number },
  c: typeof RESISTANCE_CRITERIA,
): Decision {
  const now = after[after.length - 1]!.cycle;
  const known = all.filter((p) => p.cycle <= now);
  const activation = estimateActivation(
    known.map((p) => ({ cycle: p.cycle, rCatOhm: p.rCatOhm, temperatureC: p.temperatureC })),
    options.activationEv,
  );
  const norm = (p: RcatPoint) => normaliseRcat(p.rCatOhm, p.temperatureC, activation.ev, options.pressureMPa);
  const base = after.slice(0, c.baselineCycles);
  const baselineOhm = base.length === c.baselineCycles ? median(base.map(norm)) : null;
  const window = after.slice(-c.window);
  const levelOhm = median(after.slice(-c.levelCycles).map(norm));
  const ratio = baselineOhm ? levelOhm / baselineOhm : null;
  const pct = (x: number) => `${round(x * 100, 3)} %`;
  const evidence = (ts: ReturnType<typeof theilSen> | null, reason: string) => ({
    baselineOhm: baselineOhm === null ? null : round(baselineOhm),
    baselineCycles: base.map((b) => b.cycle),
    window: window.map((w) => w.cycle),
    windowOhm: window.map((w) => round(norm(w))),
    growthPerCycle: ts ? round(Math.expm1(ts.slope)) : null,
    growthLower: ts ? round(Math.expm1(ts.lower)) : null,
    growthUpper: ts ? round(Math.expm1(ts.upper)) : null,
    growthStderr: ts ? round(ts.slopeStderr) : null,
    growthThresholdPerCycle: c.growthPerCycle,
    latestOhm: round(norm(after[after.length - 1]!)),
    ratioToBaseline: ratio === null ? null : round(ratio),
    multipleThreshold: c.multiple,
    activationEv: activation.ev === null ? null : round(activation.ev, 3),
    activationSource: activation.source,
    reason,
  });
  if (window.length < c.minWindow) {
    return {
      cycle: now,
      verdict: 'insufficient-data',
      alarmNow: false,
      activation,
      evidence: evidence(null, `${window.length} determined cycles after formation (needs ${c.minWindow})`),
    };
  }
  const ts = theilSen(
    window.map((w) => w.cycle),
    window.map((w) => Math.log(norm(w))),
  );
  const lo = Math.expm1(ts.lower);
  const hi = Math.expm1(ts.upper);
  const g = Math.expm1(ts.slope);
  const verdict: ResistanceVerdict =
    lo > c.growthPerCycle ? 'growing' : hi < c.growthPerCycle ? 'stabilised' : 'uncertain';
  const span = `cycles ${window[0]!.cycle}-${now}`;
  let reason =
    verdict === 'growing'
      ? `R_CAT grows ${pct(g)} per cycle (95 % ${pct(lo)} to ${pct(hi)}) over ${span}, above ${pct(c.growthPerCycle)}`
      : verdict === 'stabilised'
        ? `R_CAT changes ${pct(g)} per cycle (95 % ${pct(lo)} to ${pct(hi)}) over ${span}, under ${pct(c.growthPerCycle)}`
        : `R_CAT changes ${pct(g)} per cycle (95 % ${pct(lo)} to ${pct(hi)}) over ${span}: not yet decided against ${pct(c.growthPerCycle)}`;
  const tooHigh = ratio !== null && ratio > c.multiple;
  if (tooHigh) reason += `; R_CAT is ${round(ratio, 3)}x its baseline`;
  return { cycle: now, verdict, alarmNow: tooHigh, activation, evidence: evidence(ts, reason) };
}
