/**
 * Soft-short detector: a lithium filament through the separator is a leak that conducts in charge,
 * rest and discharge. Its signs, each judged against this cell's own clean cycles with a threshold
 * scaled to this cell's own noise (both stated in the evidence):
 *
 *  - ce-trend: the coulombic efficiency drops and stays down (ce-trend.ts: CUSUM against a baseline that
 *    suspect and flagged cycles never enter). Alone enough: a persistent CE drop is charge going somewhere.
 *  - rest-decay: the late-rest voltage slope after charge is below the clean cycles' median by more than
 *    5 x sqrt(se^2 + spread^2): se = the voltage scatter / sqrt(sum (t - mean t)^2) of this rest (its
 *    logging interval and length), spread = the clean slopes' own robust scatter.
 *  - charge-dip: within one charge step the voltage falls below its running maximum by more than
 *    sigma_V (2 sqrt(2 ln n) + 3) (n samples: the largest dip noise alone gives, with margin), at least 2 mV.
 *  - charge-stall: the charge stopped more than max(10 sigma_V, 5 mV) under the clean cycles' end
 *    voltage after 1.3x their charge time (the leak ate the current; the cycler's time limit ended it).
 *  - spectrum-plateau: the spectrum's low-frequency tail bends toward the real axis (a parallel
 *    resistance): its slope falls under the clean cycles' median by max(20 %, 5 x their scatter).
 *
 * sigma_V is the median over the cycles so far of each cycle's voltage scatter in constant-current
 * steps (summary.ts). A cycle is flagged when the CE trend alarms or 2 of the other 4 signs hold; the
 * first flagged cycle is the detection, critical (a filament can turn into a hard short). Pauses are
 * pauses: the signs are measured per step (summary.ts).
 */
import type { CycleSummary } from '../cycling/summary';
import { CE_CRITERIA, type CeStep, CeTrend, describeCeStep } from './ce-trend';
import { median, robustScale, round } from './stats';

export type SoftShortSignalName =
  | 'ce-trend'
  | 'rest-decay'
  | 'charge-dip'
  | 'charge-stall'
  | 'spectrum-plateau';

export type SoftShortSignal = {
  readonly name: SoftShortSignalName;
  readonly present: boolean;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: number;
  /** The figures behind the decision, in words. */
  readonly detail: string;
};

export type SoftShortCycle = {
  readonly cycle: number;
  readonly flagged: boolean;
  readonly severity: 'warning' | 'critical' | null;
  readonly signals: readonly SoftShortSignal[];
  readonly baselineCycles: readonly number[];
  /** The noise the thresholds were scaled to. */
  readonly noise: { readonly voltageV: number | null; readonly ceSigma: number };
  readonly ce: CeStep;
};

export type SoftShortResult = {
  readonly detected: boolean;
  /** First flagged cycle: when the detector said so. */
  readonly onsetCycle: number | null;
  /** Where the CE drop began by the CUSUM (its last zero before the alarm, plus one), if it alarmed. */
  readonly dropFromCycle: number | null;
  readonly severity: 'warning' | 'critical' | null;
  /** The first flagged cycle's evaluation, or the latest one when nothing was flagged. */
  readonly evidence: SoftShortCycle | null;
  readonly latest: SoftShortCycle | null;
  readonly cycles: readonly SoftShortCycle[];
  readonly warnings: readonly string[];
};

export const SOFT_SHORT_CRITERIA = {
  signsRequired: 2,
  baselineCycles: 10,
  minBaselineCycles: 3,
  restSigmas: 5,
  dipMarginSigmas: 3,
  minDipV: 0.002,
  stallSigmas: 10,
  minStallV: 0.005,
  stallDurationRatio: 1.3,
  tailFraction: 0.2,
  tailSigmas: 5,
} as const;

const mV = (v: number) => `${round(v * 1000, 3)} mV`;

/** `tailSlopes`: per cycle, the spectrum's low-frequency tail slope (spectrum-tail.ts), when known. */
export function detectSoftShort(
  cycles: readonly CycleSummary[],
  tailSlopes: ReadonlyMap<number, number> = new Map(),
  c = SOFT_SHORT_CRITERIA,
): SoftShortResult {
  const warnings: string[] = [];
  const trend = new CeTrend(CE_CRITERIA);
  const clean: CycleSummary[] = [];
  const noise: number[] = [];
  const results: SoftShortCycle[] = [];
  let first: SoftShortCycle | null = null;
  let lastZero: number | null = null;
  let dropFromCycle: number | null = null;
  for (const cy of [...cycles].sort((a, b) => a.cycle - b.cycle)) {
    if (cy.voltageNoiseV !== null) noise.push(cy.voltageNoiseV);
    if (!(cy.chargeAh > 0) || !(cy.dischargeAh > 0) || cy.coulombicEfficiency === null) {
      warnings.push(`cycle ${cy.cycle} has no complete charge and discharge: not evaluated`);
      continue;
    }
    const sigmaV = noise.length ? median(noise) : null;
    const base = clean.slice(-c.baselineCycles);
    const signals = base.length >= c.minBaselineCycles ? instantaneous(cy, base, sigmaV, tailSlopes, c) : [];
    const signs = signals.filter((s) => s.present).length;
    const ce = trend.step(cy.cycle, cy.coulombicEfficiency, signs > 0);
    if (ce.cusum === 0) lastZero = cy.cycle;
    const ceSignal: SoftShortSignal = {
      name: 'ce-trend',
      present: ce.alarm,
      value: round(ce.cusum),
      threshold: round(ce.threshold),
      baseline: round(ce.baseline ?? Number.NaN),
      detail: describeCeStep(ce),
    };
    const flagged = ce.alarm || signs >= c.signsRequired;
    // A filament through the separator can turn hard: every soft short is critical.
    const severity = flagged ? 'critical' : null;
    const r: SoftShortCycle = {
      cycle: cy.cycle,
      flagged,
      severity,
      signals: [ceSignal, ...signals],
      baselineCycles: base.map((b) => b.cycle),
      noise: { voltageV: sigmaV === null ? null : round(sigmaV), ceSigma: round(ce.sigma) },
      ce,
    };
    results.push(r);
    if (flagged && first === null) {
      first = r;
      if (ce.alarm && lastZero !== null) dropFromCycle = lastZero + 1;
    }
    if (ce.clean) clean.push(cy);
  }
  const latest = results[results.length - 1] ?? null;
  const worst = results.some((r) => r.severity === 'critical') ? 'critical' : first ? 'warning' : null;
  return {
    detected: first !== null,
    onsetCycle: first?.cycle ?? null,
    dropFromCycle,
    severity: worst,
    evidence: first ?? latest,
    latest,
    cycles: results,
    warnings,
  };
}

function instantaneous(
  cy: CycleSummary,
  base: readonly CycleSummary[],
  sigmaV: number | null,
  tailSlopes: ReadonlyMap<number, number>,
  c: typeof SOFT_SHORT_CRITERIA,
): SoftShortSignal[] {
  const out: SoftShortSignal[] = [];
  const sig = (
    name: SoftShortSignalName,
    present: boolean,
    value: number,
    threshold: number,
    baseline: number,
    detail: string,
  ) =>
    out.push({
      name,
      present,
      value: round(value),
      threshold: round(threshold),
      baseline: round(baseline),
      detail,
    });
  const finite = (xs: (number | null | undefined)[]) =>
    xs.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const s = sigmaV ?? 0.001;
  const sText = `${mV(s)}${sigmaV === null ? ' (assumed: no constant-current scatter yet)' : ''}`;

  const rest = cy.restAfterCharge;
  const restBase = finite(base.map((b) => b.restAfterCharge?.lateSlopeVPerH));
  if (rest && rest.lateSpreadH > 0 && restBase.length >= 3) {
    const se = s / rest.lateSpreadH;
    const spread = robustScale(restBase);
    const b = median(restBase);
    const threshold = b - c.restSigmas * Math.hypot(se, spread);
    sig(
      'rest-decay',
      rest.lateSlopeVPerH < threshold,
      rest.lateSlopeVPerH,
      threshold,
      b,
      `late-rest slope ${mV(rest.lateSlopeVPerH)}/h vs clean median ${mV(b)}/h; threshold ${mV(threshold)}/h = median - ${c.restSigmas} x sqrt(se^2 + spread^2), se ${mV(se)}/h (scatter ${sText} over ${round(rest.durationS / 60, 3)} min), spread ${mV(spread)}/h`,
    );
  }
  const n = Math.max(2, Math.round(cy.chargeDurationS / 60));
  const dipThreshold = Math.max(c.minDipV, s * (2 * Math.sqrt(2 * Math.log(n)) + c.dipMarginSigmas));
  sig(
    'charge-dip',
    cy.chargeDipV > dipThreshold,
    cy.chargeDipV,
    dipThreshold,
    0,
    `largest fall while charging ${mV(cy.chargeDipV)}; threshold ${mV(dipThreshold)} from the voltage scatter ${sText}`,
  );
  const endBase = finite(base.map((b) => b.chargeEndV));
  const durBase = finite(base.map((b) => b.chargeDurationS));
  if (cy.chargeEndV !== null && endBase.length >= 3 && durBase.length >= 3) {
    const b = median(endBase);
    const margin = Math.max(c.minStallV, c.stallSigmas * s);
    const long = cy.chargeDurationS > c.stallDurationRatio * median(durBase);
    sig(
      'charge-stall',
      cy.chargeEndV < b - margin && long,
      cy.chargeEndV,
      b - margin,
      b,
      `charge ended at ${round(cy.chargeEndV)} V after ${round(cy.chargeDurationS / 3600, 3)} h vs clean ${round(b)} V after ${round(median(durBase) / 3600, 3)} h; threshold ${round(b - margin)} V (${mV(margin)} under) and ${c.stallDurationRatio}x the time`,
    );
  }
  const tail = tailSlopes.get(cy.cycle);
  const tailBase = finite(base.map((b) => tailSlopes.get(b.cycle)));
  if (tail !== undefined && Number.isFinite(tail) && tailBase.length >= 3) {
    const b = median(tailBase);
    const threshold = b - Math.max(c.tailFraction * Math.abs(b), c.tailSigmas * robustScale(tailBase));
    sig(
      'spectrum-plateau',
      tail < threshold,
      tail,
      threshold,
      b,
      `low-frequency tail slope ${round(tail, 3)} vs clean median ${round(b, 3)} (threshold ${round(threshold, 3)})`,
    );
  }
  return out;
}
